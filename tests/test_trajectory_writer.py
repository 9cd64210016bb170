"""The seed 001 flow: driver -> observer -> in-graph buffer -> as_dataset."""

import sys

import numpy as np
import pytest

from graphrl import drivers
from graphrl import envs
from graphrl.compat import tf
from graphrl.envs import time_step as ts
from graphrl.trajectory_writer import TrajectoryWriter
from toy_envs import Counter


def _policy(time_step, policy_state):
  return np.ones(len(time_step.step_type), np.int64), policy_state


def test_dataset_windows_are_consecutive_steps_of_one_environment(graph, sess):
  del graph
  env = envs.BatchedPyEnvironment([Counter(2), Counter(3)])
  writer = TrajectoryWriter(env.observation_spec(), env.action_spec(),
                            batch_size=2, capacity=40)
  windows = tf.data.make_one_shot_iterator(
      writer.buffer.as_dataset(sample_batch_size=200, num_steps=2)).get_next()
  sess.run(tf.global_variables_initializer())
  driver = drivers.StepDriver(
      env, _policy, observers=[writer.bind(sess).add_batch], num_steps=10)
  driver.run()
  first, second = zip(*[(field[:, 0], field[:, 1])
                        for field in sess.run(windows)])
  first = writer.as_trajectories(first)
  second = writer.as_trajectories(second)
  # The second step starts where the first ended: its step type is the
  # first's next_step_type, and its observation is the first's plus one, or
  # 0 after an auto-reset (LAST -> FIRST).
  np.testing.assert_array_equal(second.step_type, first.next_step_type)
  reset = first.next_step_type == ts.StepType.FIRST
  np.testing.assert_array_equal(
      second.observation, np.where(reset, 0, first.observation + 1))
  # Both environments and their episode ends appear among 200 windows.
  assert set(first.observation) >= {0, 1, 2}
  assert (first.next_step_type == ts.StepType.LAST).any() and reset.any()


def test_add_batch_needs_a_session(graph):
  del graph
  env = envs.BatchedPyEnvironment([Counter(2)])
  writer = TrajectoryWriter(env.observation_spec(), env.action_spec(), 1, 4)
  with pytest.raises(ValueError, match='needs a session'):
    writer.add_batch(ts.from_transition(env.reset(), np.zeros(1, np.int64),
                                        env.step(np.zeros(1, np.int64))))


if __name__ == '__main__':
  sys.exit(pytest.main([__file__]))
