"""Tests for graphrl.envs.py_environment."""

import sys

import numpy as np
import pytest

from graphrl.envs import py_environment
from graphrl.envs import specs
from graphrl.envs import time_step as ts


class CartPole(py_environment.PyEnvironment):
  """The lecture's example: a cart-pole written by subclassing.

  Euler steps of the classic dynamics (Barto et al. 1983); the episode
  terminates when |x| > 2.4 or |theta| > 12 degrees, and is truncated after
  `max_steps`. Reward 1 per step.
  """

  def __init__(self, max_steps=500, seed=0):
    self._max_steps = max_steps
    self._rng = np.random.default_rng(seed)
    self._state = None
    self._steps = 0
    self.num_resets = 0

  def observation_spec(self):
    high = np.array([4.8, np.finfo(np.float32).max, 0.41887903,
                     np.finfo(np.float32).max], np.float32)
    return specs.BoundedArraySpec((4,), np.float32, -high, high)

  def action_spec(self):
    return specs.BoundedArraySpec((), np.int64, 0, 1)

  def _reset(self):
    self.num_resets += 1
    self._steps = 0
    self._state = self._rng.uniform(-0.05, 0.05, size=4).astype(np.float32)
    return ts.restart(self._state)

  def _step(self, action):
    x, x_dot, theta, theta_dot = self._state
    force = 10. if action == 1 else -10.
    cos, sin = np.cos(theta), np.sin(theta)
    # Masses: cart 1.0, pole 0.1 (total 1.1); pole half-length 0.5.
    temp = (force + 0.05 * theta_dot**2 * sin) / 1.1
    theta_acc = (9.8 * sin - cos * temp) / (
        0.5 * (4. / 3. - 0.1 * cos**2 / 1.1))
    x_acc = temp - 0.05 * theta_acc * cos / 1.1
    self._state = np.array([
        x + 0.02 * x_dot, x_dot + 0.02 * x_acc, theta + 0.02 * theta_dot,
        theta_dot + 0.02 * theta_acc
    ], np.float32)
    self._steps += 1
    if abs(self._state[0]) > 2.4 or abs(self._state[2]) > 0.20943951:
      return ts.termination(self._state, 1.)
    if self._steps >= self._max_steps:
      return ts.truncation(self._state, 1.)
    return ts.transition(self._state, 1.)


def test_random_policy_plays_the_lectures_loop():
  env = CartPole()
  rng = np.random.default_rng(0)
  time_step = env.reset()
  assert time_step.is_first()
  episode_return, steps = 0., 0
  while not time_step.is_last():  # Seed 001's loop.
    time_step = env.step(env.action_spec().sample(rng))
    episode_return += time_step.reward
    steps += 1
    assert env.observation_spec().check_array(time_step.observation)
  # Reward 1 per step; a random policy drops the pole well before 500 steps.
  assert episode_return == steps and steps < 500
  assert time_step.discount == 0.
  assert env.current_time_step() is time_step


def test_step_after_last_auto_resets_and_ignores_the_action():
  env = CartPole(max_steps=2)
  env.reset()
  env.step(0)
  last = env.step(0)
  assert last.is_last() and last.discount == 1.  # Truncated at 2 steps.
  assert env.num_resets == 1
  # Action 7 is out of bounds, but the auto-reset step never looks at it.
  first = env.step(7)
  assert first.is_first() and env.num_resets == 2
  assert env.step(1).is_mid()


def test_step_before_reset_resets():
  env = CartPole()
  assert env.step(1).is_first() and env.num_resets == 1


def test_current_time_step_resets_a_fresh_env():
  env = CartPole()
  assert env.current_time_step().is_first() and env.num_resets == 1
  assert env.current_time_step().is_first() and env.num_resets == 1


def test_wrong_action_shape_raises():
  env = CartPole()
  env.reset()
  with pytest.raises(ValueError, match=r'action of shape \(\), got \(2,\)'):
    env.step([0, 1])


def test_specs_and_batch_properties():
  env = CartPole()
  assert not env.batched and env.batch_size is None
  assert env.time_step_spec().observation == env.observation_spec()
  assert env.time_step_spec().reward == specs.ArraySpec((), np.float32,
                                                        name='reward')


def test_optional_methods_say_they_are_missing():
  env = CartPole()
  with pytest.raises(NotImplementedError, match='CartPole does not support'):
    env.seed(0)
  with pytest.raises(NotImplementedError, match='rendering'):
    env.render()


def test_context_manager_closes():
  closed = []

  class Closing(CartPole):

    def close(self):
      closed.append(True)

  with Closing() as env:
    env.reset()
  assert closed == [True]


def test_abstract_methods_are_required():
  with pytest.raises(TypeError):
    # pylint: disable-next=abstract-class-instantiated
    py_environment.PyEnvironment()


if __name__ == '__main__':
  sys.exit(pytest.main([__file__]))
