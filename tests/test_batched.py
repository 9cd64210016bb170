"""Tests for graphrl.envs.batched."""

import sys

import numpy as np
import pytest

from graphrl.envs import batched
from graphrl.envs import gym_suite
from graphrl.envs import py_environment
from graphrl.envs import specs
from graphrl.envs import time_step as ts


class Counter(py_environment.PyEnvironment):
  """Observation: steps taken this episode; reward: the action; terminates
  after `length` steps."""

  def __init__(self, length, obs_dtype=np.int64):
    self._length = length
    self._obs_dtype = obs_dtype
    self._t = 0
    self.closed = False

  def observation_spec(self):
    return specs.ArraySpec((), self._obs_dtype)

  def action_spec(self):
    return specs.BoundedArraySpec((), np.int64, 0, 9)

  def _reset(self):
    self._t = 0
    return ts.restart(np.array(0, self._obs_dtype))

  def _step(self, action):
    self._t += 1
    obs = np.array(self._t, self._obs_dtype)
    if self._t == self._length:
      return ts.termination(obs, float(action))
    return ts.transition(obs, float(action))

  def close(self):
    self.closed = True


def test_members_auto_reset_independently():
  env = batched.BatchedPyEnvironment([Counter(1), Counter(2)])
  assert env.batched and env.batch_size == 2
  first = env.reset()
  np.testing.assert_array_equal(first.step_type, [0, 0])
  # Member 0 ends after 1 step, member 1 after 2; each then resets:
  #   step 1: [LAST, MID], step 2: [FIRST, LAST], step 3: [LAST, FIRST].
  expected = [([2, 1], [1, 1], [3., 4.], [0., 1.]),
              ([0, 2], [0, 2], [0., 6.], [1., 0.]),
              ([2, 0], [1, 0], [7., 0.], [0., 1.])]
  actions = [[3, 4], [5, 6], [7, 8]]
  for action, (step_type, obs, reward, discount) in zip(actions, expected):
    step = env.step(np.array(action))
    np.testing.assert_array_equal(step.step_type, step_type)
    np.testing.assert_array_equal(step.observation, obs)
    np.testing.assert_array_equal(step.reward, reward)
    np.testing.assert_array_equal(step.discount, discount)
  assert step.observation.shape == (2,) and step.reward.dtype == np.float32


def test_specs_are_the_members():
  env = batched.BatchedPyEnvironment([Counter(1), Counter(2)])
  assert env.observation_spec() == specs.ArraySpec((), np.int64)
  assert env.action_spec() == specs.BoundedArraySpec((), np.int64, 0, 9)


def test_wrong_action_shape_raises():
  env = batched.BatchedPyEnvironment([Counter(1), Counter(2)])
  env.reset()
  with pytest.raises(ValueError, match=r'shape \(2,\), got \(3,\)'):
    env.step(np.zeros(3, np.int64))


def test_bad_members_raise():
  with pytest.raises(ValueError, match='at least one'):
    batched.BatchedPyEnvironment([])
  with pytest.raises(ValueError, match='Environment 1 has specs'):
    batched.BatchedPyEnvironment([Counter(1), Counter(1, np.float32)])
  inner = batched.BatchedPyEnvironment([Counter(1)])
  with pytest.raises(ValueError, match='unbatched'):
    batched.BatchedPyEnvironment([inner])


def test_seed_gives_member_i_seed_plus_i():
  env = batched.BatchedPyEnvironment(
      [gym_suite.load('CartPole-v1') for _ in range(2)])
  env.seed(10)
  observations = env.reset().observation
  for i in range(2):
    alone = gym_suite.load('CartPole-v1', seed=10 + i)
    np.testing.assert_array_equal(observations[i], alone.reset().observation)


def test_render_stacks_the_members_frames():
  env = batched.BatchedPyEnvironment(
      [gym_suite.load('CartPole-v1', render_mode='rgb_array')
       for _ in range(2)])
  env.reset()
  assert env.render().shape == (2, 400, 600, 3)  # CartPole draws 600 x 400.


def test_close_closes_every_member():
  members = [Counter(1), Counter(2)]
  with batched.BatchedPyEnvironment(members) as env:
    assert env.envs == members
  assert [m.closed for m in members] == [True, True]


if __name__ == '__main__':
  sys.exit(pytest.main([__file__]))
