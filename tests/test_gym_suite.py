"""Tests for graphrl.envs.gym_suite."""

import logging
import sys

import gymnasium as gym
import numpy as np
import pytest

from graphrl.envs import gym_suite
from graphrl.envs import specs
from graphrl.envs import time_step as ts

F32_MAX = np.finfo(np.float32).max


def _play(env, actions):
  """The observations, rewards, discounts and step types of `actions`."""
  steps = [env.reset()] + [env.step(a) for a in actions]
  return [np.stack(field) for field in zip(*steps)]


def test_erratum_cartpole_v1_capitalization(caplog):
  # Seed 001 loads 'CartPole-V1', which no registry knows; graphrl loads
  # 'CartPole-v1' and says so once.
  with caplog.at_level(logging.WARNING):
    env = gym_suite.load('CartPole-V1')
  assert env.gym_env.spec.id == 'CartPole-v1'
  assert [r.getMessage() for r in caplog.records] == [
      "'CartPole-V1' is mapped to today's 'CartPole-v1'."]
  high = np.array([4.8, F32_MAX, 0.41887903, F32_MAX], np.float32)
  assert env.observation_spec() == specs.BoundedArraySpec(
      (4,), np.float32, -high, high, name='observation')
  assert env.action_spec() == specs.BoundedArraySpec((), np.int64, 0, 1,
                                                     name='action')


@pytest.mark.filterwarnings('ignore:.*CartPole-v0 is out of date')
def test_cartpole_v0_stays_with_its_200_step_limit(caplog):
  with caplog.at_level(logging.WARNING):
    env = gym_suite.load('CartPole-v0')
  assert not caplog.records
  assert env.gym_env.spec.max_episode_steps == 200


@pytest.mark.parametrize('old,new', [
    ('LunarLanderContinuous-v2', 'LunarLanderContinuous-v3'),
    ('Pendulum-v0', 'Pendulum-v1'),
    ('FrozenLake-v0', 'FrozenLake-v1'),
    ('Pong-v0', 'PongNoFrameskip-v4'),
    ('Breakout-v0', 'BreakoutNoFrameskip-v4'),
    ('CartPole-v1', 'CartPole-v1'),
])
def test_resolve_id(old, new):
  assert gym_suite.resolve_id(old) == new


def test_unknown_id_lists_close_matches():
  with pytest.raises(gym_suite.UnknownEnvironmentError,
                     match=r"'CartPol-v1'; close matches: CartPole-v1"):
    gym_suite.load('CartPol-v1')
  assert issubclass(gym_suite.UnknownEnvironmentError, ValueError)


def test_same_seed_same_episodes():
  actions = [0, 1, 1, 0, 1, 0, 0, 1] * 5
  first = _play(gym_suite.load('CartPole-v1', seed=3), actions)
  second = _play(gym_suite.load('CartPole-v1', seed=3), actions)
  other = _play(gym_suite.load('CartPole-v1', seed=4), actions)
  for a, b in zip(first, second):
    np.testing.assert_array_equal(a, b)
  assert not np.array_equal(first[3], other[3])  # Observations differ.
  assert first[3].dtype == np.float32


def test_seed_also_seeds_the_action_space():
  one = gym_suite.load('CartPole-v1', seed=5).gym_env.action_space
  two = gym_suite.load('CartPole-v1', seed=5).gym_env.action_space
  assert [one.sample() for _ in range(20)] == [two.sample() for _ in range(20)]


def test_later_resets_continue_the_seeded_stream():
  env = gym_suite.load('CartPole-v1', seed=0)
  first = env.reset().observation
  second = env.reset().observation
  assert not np.array_equal(first, second)
  env.seed(0)
  np.testing.assert_array_equal(env.reset().observation, first)


def test_erratum_time_limit_is_truncation_not_termination():
  # Seed 002 feeds gym's `done`, which a time limit also sets, to the buffer
  # as terminal (and penalizes it with reward -1). A 3-step limit must end
  # the episode with discount 1; CartPole never falls in 3 steps.
  env = gym_suite.load('CartPole-v1', seed=0, max_episode_steps=3)
  step_type, reward, discount, _ = _play(env, [0, 1, 0])
  np.testing.assert_array_equal(step_type, [0, 1, 1, 2])
  np.testing.assert_array_equal(reward, [0., 1., 1., 1.])
  np.testing.assert_array_equal(discount, [1., 1., 1., 1.])


def test_falling_pole_is_termination_and_auto_resets():
  env = gym_suite.load('CartPole-v1', seed=0)
  time_step = env.reset()
  steps = 0
  while not time_step.is_last():  # Pushing right topples the pole in ~10.
    time_step = env.step(1)
    steps += 1
  assert steps < 50
  assert time_step.discount == 0. and time_step.reward == 1.
  assert env.step(1).step_type == ts.StepType.FIRST


def test_box_actions():
  env = gym_suite.load('Pendulum-v1', seed=0)
  assert env.action_spec() == specs.BoundedArraySpec((1,), np.float32, -2., 2.,
                                                     name='action')
  env.reset()
  time_step = env.step(np.array([0.5]))
  assert time_step.is_mid() and time_step.reward.dtype == np.float32


def test_discrete_observations():
  env = gym_suite.load('FrozenLake-v1', seed=0)
  assert env.observation_spec() == specs.BoundedArraySpec(
      (), np.int64, 0, 15, name='observation')
  assert env.reset().observation.dtype == np.int64


def test_gym_kwargs_and_wrappers_are_applied():
  env = gym_suite.load('CartPole-v1', gym_env_wrappers=(
      gym.wrappers.RecordEpisodeStatistics,), render_mode='rgb_array')
  assert isinstance(env.gym_env, gym.wrappers.RecordEpisodeStatistics)
  env.reset()
  frame = env.render()
  assert frame.shape == (400, 600, 3) and frame.dtype == np.uint8


def test_render_without_a_mode_raises():
  env = gym_suite.load('CartPole-v1')
  env.reset()
  with pytest.raises(ValueError, match="render_mode='rgb_array'"):
    env.render()


if __name__ == '__main__':
  sys.exit(pytest.main([__file__]))
