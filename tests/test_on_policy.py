"""Tests of the on-policy training loop with REINFORCE and A2C."""

import functools
import os
import sys

import numpy as np
import pytest

from graphrl import envs
from graphrl.agents import a2c
from graphrl.agents import reinforce
from graphrl.compat import tf
from graphrl.envs import gym_suite
from graphrl.envs import time_step as ts
from graphrl.training import cli
from graphrl.training import episode_log
from graphrl.training import on_policy
from graphrl.training import run as run_lib
from toy_envs import Corridor
from toy_envs import CORRIDOR_LENGTH


class FixedLength(envs.PyEnvironment):
  """Episodes of `length` steps, reward `reward` per step, then termination."""

  def __init__(self, length, reward=1.0):
    self._length = length
    self._reward = reward
    self._steps = 0

  def observation_spec(self):
    return envs.ArraySpec((1,), np.float32)

  def action_spec(self):
    return envs.BoundedArraySpec((), np.int64, 0, 1)

  def _reset(self):
    self._steps = 0
    return ts.restart(np.zeros(1, np.float32))

  def _step(self, action):
    self._steps += 1
    observation = np.full(1, self._steps, np.float32)
    if self._steps == self._length:
      return ts.termination(observation, self._reward)
    return ts.transition(observation, self._reward)


def _agent(kind, env, **overrides):
  if kind == 'reinforce':
    config = dict(hidden_sizes=(16,), num_envs=env.batch_size,
                  max_episode_steps=20)
    config.update(overrides)
    return reinforce.ReinforceAgent(env.observation_spec(), env.action_spec(),
                                    reinforce.ReinforceConfig(**config))
  config = dict(hidden_sizes=(16,), num_envs=env.batch_size, n_steps=2)
  config.update(overrides)
  return a2c.A2CAgent(env.observation_spec(), env.action_spec(),
                      a2c.A2CConfig(**config))


def _run(logdir, kind, env, eval_env, agent_config=None, **loop):
  """Builds the agent in a fresh graph with seed 0 and runs the loop."""
  with tf.Graph().as_default():
    tf.set_random_seed(0)
    agent = _agent(kind, env, **(agent_config or {}))
    config = dict(num_steps=10, eval_every=0, eval_episodes=1,
                  checkpoint_every=10**6, progress_every_s=1e6)
    config.update(loop)
    config = on_policy.LoopConfig(**config)
    stepping = on_policy.OnPolicyLoop(agent, env, config)
    return run_lib.Run(agent, eval_env, str(logdir), config,
                       {'agent': kind, 'env': 'test'}).train(stepping)


def _fixed_length_eval_env():
  """Greedy evaluation on one episode of 3 steps: return 3."""
  return envs.BatchedPyEnvironment([FixedLength(3)])


def _checkpointed(logdir, name):
  """A variable of the latest checkpoint in `logdir`."""
  directory = os.path.join(str(logdir), 'checkpoints')
  return tf.train.load_variable(tf.train.latest_checkpoint(directory), name)


@pytest.mark.parametrize('kind', ['reinforce', 'a2c'])
def test_learns_the_corridor(tmp_path, kind):
  env = envs.BatchedPyEnvironment([Corridor() for _ in range(4)])
  eval_env = envs.BatchedPyEnvironment([Corridor() for _ in range(3)])
  # REINFORCE at 0.05 settles on a wrong greedy action for one of the
  # graph seeds 0-4; at 0.01 all five learn the corridor.
  settings = {'reinforce': dict(learning_rate=0.01, gamma=0.9),
              'a2c': dict(learning_rate=0.01, gamma=0.9, n_steps=4)}[kind]
  result = _run(tmp_path, kind, env, eval_env, settings, num_steps=3000)
  # Greedy episodes walk straight right: return 1 after 4 steps.
  assert result['eval']['min_return'] == 1.0
  assert result['eval']['mean_length'] == CORRIDOR_LENGTH - 1


@pytest.mark.parametrize('kind', ['reinforce', 'a2c'])
def test_same_seed_same_returns(tmp_path, kind):
  def returns(logdir):
    env = envs.BatchedPyEnvironment([Corridor() for _ in range(2)])
    _run(logdir, kind, env, envs.BatchedPyEnvironment([Corridor()]),
         num_steps=300)
    return [(row['step'], row['return'], row['length'])
            for row in episode_log.read_episodes(str(logdir))]
  first, second = returns(tmp_path / 'a'), returns(tmp_path / 'b')
  assert len(first) > 10
  assert first == second


@pytest.mark.parametrize('kind, train_steps', [('reinforce', 1), ('a2c', 3)])
def test_counts_steps_and_logs_every_episode_of_every_env(tmp_path, kind,
                                                          train_steps):
  # Members of episode length 1 and 3. Batched steps, env steps summed
  # without the auto-reset after an episode's end:
  #   b0: member 0 ends (step 2), member 1 runs;
  #   b1: member 0 auto-resets (not a step), member 1 runs (step 3);
  #   b2: both end (step 5).
  # REINFORCE trains once both finished (after b2) and resets both;
  # A2C's b3 auto-resets both. Either way b4-b6 repeat this: steps 7, 10.
  # REINFORCE trains after b2; the loop ends after b6, before the run that
  # would store b6 and train. A2C (n_steps = 2) trains at the 2nd, 4th and
  # 6th store (b1, b3, b5).
  env = envs.BatchedPyEnvironment([FixedLength(1), FixedLength(3)])
  result = _run(tmp_path, kind, env, _fixed_length_eval_env())
  rows = episode_log.read_episodes(str(tmp_path))
  assert [(row['step'], row['env'], row['length']) for row in rows] == [
      (2, 0, 1), (5, 0, 1), (5, 1, 3), (7, 0, 1), (10, 0, 1), (10, 1, 3)]
  assert [row['return'] for row in rows] == [1., 1., 3., 1., 1., 3.]
  assert (result['steps'], result['episodes']) == (10, 6)
  assert _checkpointed(tmp_path, kind + '/env_steps') == 10
  assert _checkpointed(tmp_path, kind + '/train_steps') == train_steps
  evaluations = episode_log.read_rows(
      os.path.join(str(tmp_path), episode_log.EVALUATIONS_FILENAME))
  assert [row['mean_return'] for row in evaluations] == [3.]


def test_resume_continues_from_the_last_checkpoint(tmp_path, capsys):
  def run(num_steps):
    env = envs.BatchedPyEnvironment([FixedLength(2), FixedLength(2)])
    return _run(tmp_path, 'a2c', env, _fixed_length_eval_env(),
                num_steps=num_steps, checkpoint_every=4)
  run(8)
  result = run(16)
  assert 'Resuming from the checkpoint of step 8.' in capsys.readouterr().out
  assert (result['steps'], result['episodes']) == (16, 8)
  # Episodes end every 2 steps of each member: at steps 4, 8, 12 and 16.
  rows = episode_log.read_episodes(str(tmp_path))
  assert [row['step'] for row in rows] == [4, 4, 8, 8, 12, 12, 16, 16]


def test_episode_longer_than_the_buffer_is_a_user_error(tmp_path):
  env = envs.BatchedPyEnvironment([FixedLength(3)])
  with pytest.raises(cli.UserError, match='max_episode_steps=2'):
    _run(tmp_path, 'reinforce', env, _fixed_length_eval_env(),
         agent_config=dict(max_episode_steps=2))


@pytest.mark.parametrize('kind', ['reinforce', 'a2c'])
def test_nan_loss_is_a_user_error(tmp_path, kind):
  env = envs.BatchedPyEnvironment([FixedLength(2, reward=np.nan)])
  with pytest.raises(cli.UserError, match='the loss became nan at step 2'):
    _run(tmp_path, kind, env, _fixed_length_eval_env())


def test_env_batch_must_match_num_envs(tmp_path, graph):
  del graph
  env = envs.BatchedPyEnvironment([FixedLength(2)])
  agent = _agent('a2c', envs.BatchedPyEnvironment([FixedLength(2)] * 2))
  with pytest.raises(ValueError, match='num_envs=2 environments; got a '
                     'batch of 1'):
    on_policy.OnPolicyLoop(agent, env, on_policy.LoopConfig())


@pytest.mark.parametrize('kind', ['reinforce', 'a2c'])
def test_cartpole_smoke(tmp_path, kind):
  # Default hyperparameters, 8 CartPole-v1 members: a few thousand steps run.
  env = envs.BatchedPyEnvironment(
      [gym_suite.load('CartPole-v1', seed=i) for i in range(8)])
  eval_env = envs.BatchedPyEnvironment(
      [gym_suite.load('CartPole-v1', seed=100)])
  with tf.Graph().as_default():
    tf.set_random_seed(0)
    if kind == 'reinforce':
      agent = reinforce.ReinforceAgent(
          env.observation_spec(), env.action_spec(),
          reinforce.ReinforceConfig())
    else:
      agent = a2c.A2CAgent(env.observation_spec(), env.action_spec(),
                           a2c.A2CConfig())
    config = on_policy.LoopConfig(num_steps=3000, eval_every=1000,
                                  eval_episodes=1, progress_every_s=1e6)
    stepping = on_policy.OnPolicyLoop(agent, env, config)
    result = run_lib.Run(agent, eval_env, str(tmp_path), config,
                         {'agent': kind, 'env': 'CartPole-v1'}).train(stepping)
  assert result['steps'] >= 3000 and result['episodes'] > 0
  assert len(episode_log.read_episodes(str(tmp_path))) == result['episodes']


def test_parallel_environments(tmp_path):
  env = envs.ParallelPyEnvironment(
      [functools.partial(gym_suite.load, 'CartPole-v1', seed=i)
       for i in range(2)])
  eval_env = envs.BatchedPyEnvironment(
      [gym_suite.load('CartPole-v1', seed=100)])
  with env:
    result = _run(tmp_path, 'a2c', env, eval_env, num_steps=200)
  assert result['steps'] >= 200


if __name__ == '__main__':
  sys.exit(pytest.main([__file__]))
