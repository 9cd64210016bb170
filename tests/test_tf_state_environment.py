"""Tests for graphrl.tf_envs.state_environment with a tiny subclass.

The CartPole and Pendulum tests cover steps, time limits, masked resets and
shape checks; these cover what they do not: no time limit, the check of the
reset draw's shape, and that a checkpoint leaves the state out.
"""

import sys

import numpy as np
import pytest

from graphrl.compat import tf
from graphrl.envs import specs
from graphrl.tf_envs import state_environment


class _Walk(state_environment.StateEnvironment):
  """s' = s + a from s = 0; reward s'; terminated when s' >= 3."""

  def __init__(self, batch_size, max_episode_steps=None, state_size=1):
    self._draw_size = state_size
    super().__init__(
        batch_size, 1, specs.ArraySpec((1,), np.float32, name='observation'),
        specs.BoundedArraySpec((), np.int64, 0, 1, name='action'),
        max_episode_steps, 'walk')

  def _sample_state(self):
    return tf.zeros([self.batch_size, self._draw_size], tf.float64)

  def _observation(self, state):
    return tf.cast(state, tf.float32)

  def _dynamics(self, state, action):
    state += tf.cast(action, tf.float64)[:, None]
    return state, tf.cast(state[:, 0], tf.float32), state[:, 0] >= 3


def test_steps_without_time_limit(sess):
  env = _Walk(2)
  assert env.max_episode_steps is None
  result = env.step([1, 0])
  sess.run(tf.local_variables_initializer())
  steps = [sess.run(result) for _ in range(5)]
  np.testing.assert_array_equal([s.observ[:, 0] for s in steps],
                                [[1, 0], [2, 0], [3, 0], [4, 0], [5, 0]])
  np.testing.assert_array_equal([s.reward for s in steps],
                                [[1, 0], [2, 0], [3, 0], [4, 0], [5, 0]])
  np.testing.assert_array_equal([s.terminated[0] for s in steps],
                                [False, False, True, True, True])
  assert not np.any([s.truncated for s in steps])
  np.testing.assert_array_equal(sess.run(env.elapsed_steps), [5, 5])


def test_checks_the_reset_draw_shape(graph):
  del graph  # Unused.
  with pytest.raises(ValueError, match=r'_sample_state must have shape'):
    _Walk(2, state_size=3)


def test_checkpoints_leave_out_the_state(sess, tmp_path):
  weight = tf.get_variable('weight', [], initializer=tf.ones_initializer())
  env = _Walk(2, max_episode_steps=4)
  saver = tf.train.Saver()
  sess.run([tf.global_variables_initializer(),
            tf.local_variables_initializer()])
  path = saver.save(sess, str(tmp_path / 'model'))
  assert [name for name, _ in tf.train.list_variables(path)] == ['weight']
  sess.run(env.step([1, 1]))
  saver.restore(sess, path)
  assert sess.run(weight) == 1
  np.testing.assert_array_equal(sess.run(env.elapsed_steps), [1, 1])


if __name__ == '__main__':
  sys.exit(pytest.main([__file__]))
