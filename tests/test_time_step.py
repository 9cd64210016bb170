"""Tests for graphrl.envs.time_step."""

import sys

import numpy as np
import pytest

from graphrl.envs import specs
from graphrl.envs import time_step as ts


def test_step_type_values():
  assert (ts.StepType.FIRST, ts.StepType.MID, ts.StepType.LAST) == (0, 1, 2)


def test_constructors():
  obs = np.array([1., 2.], np.float32)
  first = ts.restart(obs)
  assert first.step_type == ts.StepType.FIRST and first.step_type.dtype == (
      np.int32)
  assert first.reward == 0. and first.reward.dtype == np.float32
  assert first.discount == 1. and first.discount.dtype == np.float32
  assert first.observation is obs
  mid = ts.transition(obs, reward=2.5, discount=0.5)
  assert (mid.step_type, mid.reward, mid.discount) == (ts.StepType.MID, 2.5,
                                                       0.5)
  end = ts.termination(obs, reward=-1.)
  assert (end.step_type, end.reward, end.discount) == (ts.StepType.LAST, -1.,
                                                       0.)
  cut = ts.truncation(obs, reward=3.)
  assert (cut.step_type, cut.reward, cut.discount) == (ts.StepType.LAST, 3., 1.)


def test_batched_constructors_take_the_reward_shape():
  first = ts.restart(np.zeros((3, 4)), batch_size=3)
  np.testing.assert_array_equal(first.step_type, [0, 0, 0])
  np.testing.assert_array_equal(first.reward, [0., 0., 0.])
  np.testing.assert_array_equal(first.discount, [1., 1., 1.])
  end = ts.termination(np.zeros((2, 4)), reward=[1., 2.])
  np.testing.assert_array_equal(end.step_type, [2, 2])
  np.testing.assert_array_equal(end.discount, [0., 0.])


def test_predicates_are_elementwise():
  step = ts.TimeStep(step_type=np.array([0, 1, 2, 1], np.int32),
                     reward=np.zeros(4), discount=np.ones(4),
                     observation=np.zeros(4))
  np.testing.assert_array_equal(step.is_first(), [True, False, False, False])
  np.testing.assert_array_equal(step.is_mid(), [False, True, False, True])
  np.testing.assert_array_equal(step.is_last(), [False, False, True, False])
  assert not ts.restart(0).is_last() and ts.termination(0, 0.).is_last()


def test_time_step_spec():
  obs_spec = specs.ArraySpec((4,), np.float32)
  spec = ts.time_step_spec(obs_spec)
  assert spec.step_type == specs.ArraySpec((), np.int32, name='step_type')
  assert spec.reward == specs.ArraySpec((), np.float32, name='reward')
  assert spec.discount == specs.BoundedArraySpec((), np.float32, 0., 1.,
                                                 name='discount')
  assert spec.observation is obs_spec
  assert spec.step_type.check_array(ts.restart(0).step_type)


def test_stack():
  stacked = ts.stack([ts.restart(np.array([1., 2.])),
                      ts.termination(np.array([3., 4.]), 5.)])
  np.testing.assert_array_equal(stacked.step_type, [0, 2])
  np.testing.assert_array_equal(stacked.reward, [0., 5.])
  np.testing.assert_array_equal(stacked.discount, [1., 0.])
  np.testing.assert_array_equal(stacked.observation, [[1., 2.], [3., 4.]])


def test_trajectory_from_transition_and_predicates():
  # Batch of 4 transitions: FIRST->MID, MID->MID, MID->LAST, LAST->FIRST.
  before = ts.TimeStep(np.array([0, 1, 1, 2]), np.zeros(4), np.ones(4),
                       np.arange(4))
  after = ts.TimeStep(np.array([1, 1, 2, 0]), np.array([1., 2., 3., 0.]),
                      np.array([1., 1., 0., 1.]), np.arange(4) + 10)
  traj = ts.from_transition(before, np.array([5, 6, 7, 8]), after)
  np.testing.assert_array_equal(traj.observation, [0, 1, 2, 3])
  np.testing.assert_array_equal(traj.action, [5, 6, 7, 8])
  np.testing.assert_array_equal(traj.reward, [1., 2., 3., 0.])
  np.testing.assert_array_equal(traj.discount, [1., 1., 0., 1.])
  assert traj.policy_info == ()
  np.testing.assert_array_equal(traj.is_first(), [1, 0, 0, 0])
  np.testing.assert_array_equal(traj.is_mid(), [0, 1, 0, 0])
  np.testing.assert_array_equal(traj.is_last(), [0, 0, 1, 0])
  np.testing.assert_array_equal(traj.is_boundary(), [0, 0, 0, 1])


def test_truncation_bootstraps_from_the_last_observation():
  # y = r + gamma * discount * V(s'), with r = 1, gamma = 0.9, V(s') = 10:
  # termination: y = 1 + 0.9 * 0 * 10 = 1; truncation: y = 1 + 0.9 * 1 * 10 =
  # 10.
  gamma, value_next = 0.9, 10.
  for step, expected in ((ts.termination(0, 1.), 1.),
                         (ts.truncation(0, 1.), 10.)):
    assert step.is_last()
    target = step.reward + gamma * step.discount * value_next
    assert target == pytest.approx(expected)


if __name__ == '__main__':
  sys.exit(pytest.main([__file__]))
