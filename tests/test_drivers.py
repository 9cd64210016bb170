"""Tests for graphrl.drivers."""

import sys

import numpy as np
import pytest

from graphrl import drivers
from graphrl.envs import batched
from graphrl.envs import metrics
from toy_envs import Counter


def _env():
  """Member 0 ends every 2 steps, member 1 every 3."""
  return batched.BatchedPyEnvironment([Counter(2), Counter(3)])


def _counting_policy(time_step, policy_state):
  """Action 0; the state counts the policy calls."""
  del time_step  # Unused.
  return np.zeros(2, np.int64), (policy_state or 0) + 1


def test_step_driver_skips_boundaries_in_its_count():
  seen = []
  driver = drivers.StepDriver(_env(), _counting_policy, observers=[seen.append],
                              num_steps=6)
  time_step, calls = driver.run()
  # Step types per call, [member 0, member 1]; a boundary is LAST -> FIRST:
  #   call 1: FIRST->MID,  FIRST->MID    2 steps
  #   call 2: MID->LAST,   MID->MID      2 steps (4)
  #   call 3: LAST->FIRST, MID->LAST     1 step  (5, one boundary)
  #   call 4: FIRST->MID,  LAST->FIRST   1 step  (6) -> stop.
  assert calls == 4 and len(seen) == 4
  np.testing.assert_array_equal([t.is_boundary() for t in seen],
                                [[0, 0], [0, 0], [1, 0], [0, 1]])
  np.testing.assert_array_equal(time_step.step_type, [1, 0])
  np.testing.assert_array_equal(time_step.observation, [1, 0])


def test_episode_driver_counts_episodes_across_the_batch():
  episodes = metrics.NumberOfEpisodes()
  steps = metrics.EnvironmentSteps()
  driver = drivers.EpisodeDriver(_env(), _counting_policy,
                                 observers=[episodes, steps], num_episodes=3)
  _, calls = driver.run()
  # Member 0 ends episodes at calls 2 and 5 (one boundary at call 3),
  # member 1 at call 3: the third episode ends at call 5.
  # Steps: 2 + 2 + 1 + 1 + 2 = 8 (calls 3 and 4 each hold a boundary).
  assert calls == 5
  assert episodes.result() == 3
  assert steps.result() == 8


def test_run_continues_from_the_returned_time_step_and_state():
  env = _env()
  driver = drivers.StepDriver(env, _counting_policy, num_steps=2)
  time_step, state = driver.run()
  np.testing.assert_array_equal(time_step.observation, [1, 1])
  time_step, state = driver.run(time_step, state)
  # Second run: one call, both members step 1 -> 2; member 0 ends.
  assert state == 2
  np.testing.assert_array_equal(time_step.observation, [2, 2])
  np.testing.assert_array_equal(time_step.step_type, [2, 1])


def test_erratum_next_episode_starts_from_the_reset_observation():
  # Seed 002 calls `env.reset()` without keeping its observation, so the
  # next episode's first transition starts from the old terminal state. Here
  # member 0's terminal observation is 2 and its reset observation 0: every
  # transition that starts an episode must start from 0.
  seen = []
  drivers.StepDriver(_env(), _counting_policy, observers=[seen.append],
                     num_steps=10).run()
  starts = [t.observation[0] for t in seen if t.is_first()[0]]
  assert len(starts) >= 2 and starts == [0] * len(starts)
  ends = [t.observation[0] for t in seen if t.is_boundary()[0]]
  assert ends and ends == [2] * len(ends)


def test_lecture_names():
  assert drivers.DynamicStepDriver is drivers.StepDriver
  assert drivers.DynamicEpisodicDriver is drivers.EpisodeDriver


def test_bad_arguments_raise():
  with pytest.raises(ValueError, match='BatchedPyEnvironment'):
    drivers.StepDriver(Counter(2), _counting_policy)
  with pytest.raises(ValueError, match='num_steps must be >= 1'):
    drivers.StepDriver(_env(), _counting_policy, num_steps=0)
  with pytest.raises(ValueError, match='num_episodes must be >= 1'):
    drivers.EpisodeDriver(_env(), _counting_policy, num_episodes=0)


if __name__ == '__main__':
  sys.exit(pytest.main([__file__]))
