"""Tests of the observation mask and the registered MaskedCartPole-v1."""

import json
import os
import subprocess
import sys

import gymnasium as gym
import numpy as np
import pytest

from graphrl import envs
from graphrl.envs import masked

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_mask_keeps_the_chosen_entries_and_bounds():
  # CartPole's bounds: x in [-4.8, 4.8], x_dot unbounded (float32 max),
  # theta in [-2 * 12 degrees, +] = [-0.41887903, +]; indices (2, 0) keep
  # theta, then x.
  env = masked.MaskObservation(gym.make('CartPole-v1'), (2, 0))
  assert env.observation_space.shape == (2,)
  np.testing.assert_allclose(env.observation_space.high, [0.41887903, 4.8])
  np.testing.assert_allclose(env.observation_space.low, [-0.41887903, -4.8])
  np.testing.assert_array_equal(
      env.observation(np.array([1., 2., 3., 4.], np.float32)), [3., 1.])


def test_masked_cartpole_observes_x_and_theta_of_cartpole():
  # Equal seeds and actions give equal episodes: the masked observation is
  # entries 0 and 2 (x, theta) of CartPole-v1's at every step.
  full = envs.load('CartPole-v1', seed=3)
  part = envs.load(masked.MASKED_CARTPOLE_ID, seed=3)
  assert part.observation_spec().shape == (2,)
  assert part.action_spec() == full.action_spec()
  full_step, part_step = full.reset(), part.reset()
  for action in [0, 1, 1, 0, 1, 1, 1, 0]:
    np.testing.assert_array_equal(part_step.observation,
                                  full_step.observation[[0, 2]])
    assert part_step.step_type == full_step.step_type
    full_step, part_step = full.step(action), part.step(action)
  assert part_step.reward == full_step.reward


def test_masked_cartpole_has_the_cartpole_v1_time_limit():
  env = envs.load(masked.MASKED_CARTPOLE_ID)
  assert env.gym_env.spec.max_episode_steps == 500
  assert env.gym_env.spec.reward_threshold == 475.0
  shorter = envs.load(masked.MASKED_CARTPOLE_ID, max_episode_steps=3, seed=0)
  shorter.reset()
  steps = [shorter.step(i % 2) for i in range(3)]
  assert steps[-1].is_last() and steps[-1].discount == 1.0  # Truncation.


@pytest.mark.parametrize('indices, message', [
    ((), 'at least one'), ((0, 0), 'distinct'), ((4,), r'\[0, 4\)'),
    ((-1,), 'distinct ints'), ((0.5,), 'distinct ints'),
])
def test_bad_indices_are_refused(indices, message):
  with pytest.raises(ValueError, match=message):
    masked.MaskObservation(gym.make('CartPole-v1'), indices)


def test_non_box_observations_are_refused():
  with pytest.raises(ValueError, match='1-D Box'):
    masked.MaskObservation(gym.make('FrozenLake-v1'), (0,))


def _binary(module, *args):
  process = subprocess.run(
      [sys.executable, '-m', module] + list(args), cwd=ROOT,
      env=dict(os.environ, PYTHONPATH=ROOT), capture_output=True, text=True,
      timeout=300)
  assert process.returncode == 0, process.stderr
  return json.loads(process.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize('torso', ['gru', 'mlp'])
def test_binaries_train_and_evaluate_on_masked_cartpole(tmp_path, torso):
  logdir = str(tmp_path / torso)
  trained = _binary(
      'graphrl.train', '--agent=a2c', '--torso=%s' % torso,
      '--env=MaskedCartPole-v1', '--num_steps=2000', '--logdir=' + logdir,
      '--eval_episodes=3', '--progress_every_s=1000')
  assert trained['steps'] >= 2000 and trained['eval']['episodes'] == 3
  evaluated = _binary('graphrl.evaluate', '--logdir=' + logdir,
                      '--episodes=2')
  assert evaluated['env'] == 'MaskedCartPole-v1'
  assert evaluated['checkpoint_step'] == trained['steps']
  assert len(evaluated['returns']) == 2


if __name__ == '__main__':
  sys.exit(pytest.main([__file__]))
