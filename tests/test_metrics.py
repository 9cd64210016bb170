"""Tests for graphrl.envs.metrics."""

import sys

import numpy as np
import pytest

from graphrl.envs import metrics
from graphrl.envs import time_step as ts

F, M, L = ts.StepType.FIRST, ts.StepType.MID, ts.StepType.LAST


def _trajectory(step_type, next_step_type, reward):
  return ts.Trajectory(
      step_type=np.array(step_type), observation=np.zeros(len(reward)),
      action=np.zeros(len(reward), np.int64), policy_info=(),
      next_step_type=np.array(next_step_type), reward=np.array(reward,
                                                               np.float32),
      discount=np.ones(len(reward), np.float32))


# Two members. Member 0: episode F->M->L with rewards 1, 2 (return 3, length
# 2), boundary, then F->M with reward 5 (unfinished). Member 1: episode
# F->L with reward 4 (return 4, length 1), boundary, F->M->L with rewards 6,
# 10 (return 16, length 2).
_TRAJECTORIES = [
    _trajectory([F, F], [M, L], [1., 4.]),
    _trajectory([M, L], [L, F], [2., 0.]),
    _trajectory([L, F], [F, M], [0., 6.]),
    _trajectory([F, M], [M, L], [5., 10.]),
]


def _observe(metric, trajectories=_TRAJECTORIES):
  for trajectory in trajectories:
    metric(trajectory)
  return metric.result()


def test_number_of_episodes():
  # Episodes end at: member 1 in step 0, member 0 in step 1, member 1 in 3.
  assert _observe(metrics.NumberOfEpisodes()) == 3


def test_environment_steps_skip_boundaries():
  # 4 trajectories x 2 members = 8, minus the 2 boundaries = 6.
  assert _observe(metrics.EnvironmentSteps()) == 6


def test_average_return():
  # Finished returns 4 (member 1), 3 (member 0), 16 (member 1): mean 23 / 3.
  assert _observe(metrics.AverageReturnMetric()) == pytest.approx(23. / 3.)


def test_average_return_keeps_the_last_buffer_size_episodes():
  # buffer_size 2 keeps the last two finished returns, 3 and 16: mean 9.5.
  metric = metrics.AverageReturnMetric(buffer_size=2)
  assert _observe(metric) == pytest.approx(9.5)


def test_average_episode_length():
  # Finished lengths 1, 2, 2: mean 5 / 3.
  assert _observe(metrics.AverageEpisodeLengthMetric()) == pytest.approx(
      5. / 3.)


def test_boundary_reward_is_ignored():
  # A boundary whose (meaningless) reward is 100 must not leak into the next
  # episode: F->L with reward 1, boundary with reward 100, F->L with reward 2:
  # mean of 1 and 2 is 1.5.
  trajectories = [_trajectory([F], [L], [1.]), _trajectory([L], [F], [100.]),
                  _trajectory([F], [L], [2.])]
  assert _observe(metrics.AverageReturnMetric(), trajectories) == 1.5


def test_results_before_any_episode_and_reset():
  metric = metrics.AverageReturnMetric()
  assert metric.result() == 0.
  _observe(metric)
  metric.reset()
  assert metric.result() == 0.
  counter = metrics.NumberOfEpisodes()
  _observe(counter)
  counter.reset()
  assert counter.result() == 0


def test_bad_buffer_size_raises():
  with pytest.raises(ValueError, match='buffer_size must be >= 1'):
    metrics.AverageEpisodeLengthMetric(buffer_size=0)


if __name__ == '__main__':
  sys.exit(pytest.main([__file__]))
