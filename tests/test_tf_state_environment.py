"""Tests for graphrl.tf_envs.state_environment with a tiny subclass.

What every in-graph environment inherits: local state variables, time
limits and truncation, masked resets, shape checks, ops that run inside
`tf.while_loop` and `tf.cond`, checkpoints without the state. The CartPole
and Pendulum tests check their dynamics and reset draws.
"""

import sys

import gymnasium
import numpy as np
import pytest

from graphrl import resumable
from graphrl.compat import tf
from graphrl.envs import specs
from graphrl.tf_envs import state_environment
from graphrl.tf_envs import tf_environment


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


def test_variables_are_place_variables_starting_at_zero(sess):
  env = _Walk(3)
  assert env.state.name == 'walk/state:0'
  assert env.state.dtype.base_dtype == tf.float64
  assert env.state.shape.as_list() == [3, 1]
  assert env.elapsed_steps.shape.as_list() == [3]
  # Checkpointed with the run's place, so a resumed run goes on from them.
  assert env.state_in_variables
  assert set(resumable.variables()) == {env.state, env.elapsed_steps}
  assert set(tf.global_variables()) == {env.state, env.elapsed_steps}
  assert not tf.trainable_variables()
  assert env.state.op.type == env.elapsed_steps.op.type == 'VarHandleOp'
  sess.run(tf.global_variables_initializer())
  np.testing.assert_array_equal(sess.run(env.state), np.zeros([3, 1]))
  assert _Walk(1).state.name == 'walk_1/state:0'


def test_steps_without_time_limit(sess):
  env = _Walk(2)
  assert env.max_episode_steps is None
  result = env.step([1, 0])
  sess.run(tf.global_variables_initializer())
  steps = [sess.run(result) for _ in range(5)]
  np.testing.assert_array_equal([s.observ[:, 0] for s in steps],
                                [[1, 0], [2, 0], [3, 0], [4, 0], [5, 0]])
  np.testing.assert_array_equal([s.reward for s in steps],
                                [[1, 0], [2, 0], [3, 0], [4, 0], [5, 0]])
  np.testing.assert_array_equal([s.terminated[0] for s in steps],
                                [False, False, True, True, True])
  assert not np.any([s.truncated for s in steps])
  np.testing.assert_array_equal(sess.run(env.elapsed_steps), [5, 5])


def test_truncation_at_the_limit_and_masked_reset(sess):
  env = _Walk(3, max_episode_steps=3)
  action = tf.placeholder(tf.int64, [3])
  result = env.step(action)
  mask = tf.placeholder(tf.bool, [3])
  reset = env.reset(mask)
  reset_all = env.reset()
  sess.run(tf.global_variables_initializer())
  truncated = [sess.run(result.truncated, {action: actions})
               for actions in ([1, 1, 0], [0, 1, 0], [0, 0, 0])]
  np.testing.assert_array_equal(truncated, [[False] * 3, [False] * 3,
                                            [True] * 3])
  np.testing.assert_array_equal(sess.run(env.state)[:, 0], [1, 2, 0])
  observ = sess.run(reset, {mask: [True, False, True]})
  np.testing.assert_array_equal(sess.run(env.state)[:, 0], [0, 2, 0])
  np.testing.assert_array_equal(observ[:, 0], [0, 2, 0])
  np.testing.assert_array_equal(sess.run(env.observ()), observ)
  np.testing.assert_array_equal(sess.run(env.elapsed_steps), [0, 3, 0])
  # Only the member that was not reset truncates on the next step.
  np.testing.assert_array_equal(
      sess.run(result.truncated, {action: [0, 0, 0]}), [False, True, False])
  sess.run(reset_all)
  np.testing.assert_array_equal(sess.run(env.elapsed_steps), [0, 0, 0])
  np.testing.assert_array_equal(sess.run(env.state)[:, 0], [0, 0, 0])


def test_truncates_at_the_limit_also_when_terminating(sess):
  # As gymnasium's TimeLimit: truncated at the limit whatever `terminated`.
  gym_env = gymnasium.make('CartPole-v1', max_episode_steps=1)
  gym_env.reset(seed=0)
  gym_env.unwrapped.state = np.array([0., 0., 0.2, 1.])
  _, _, gym_terminated, gym_truncated, _ = gym_env.step(1)
  assert gym_terminated and gym_truncated
  env = _Walk(2, max_episode_steps=1)
  result = env.step([1, 0])
  sess.run(tf.global_variables_initializer())
  env.state.load([[2.], [0.]], sess)
  _, _, terminated, truncated = sess.run(result)
  np.testing.assert_array_equal(terminated, [True, False])
  np.testing.assert_array_equal(truncated, [True, True])


def test_checks_shapes_and_the_limit(graph):
  del graph  # Unused.
  env = _Walk(3)
  with pytest.raises(ValueError, match='mask must have shape'):
    env.reset([True, False])
  with pytest.raises(ValueError, match='action must have shape'):
    env.step([0, 1])
  for limit in (0, 2.5):
    with pytest.raises(ValueError, match='max_episode_steps'):
      _Walk(1, max_episode_steps=limit)


def test_steps_and_resets_in_while_loop_and_cond(sess):
  # 7 steps of +1 with a time limit of 3, resetting ended members in the
  # loop; then a step in a cond branch.
  env = _Walk(2, max_episode_steps=3)
  assert isinstance(env, tf_environment.TFEnvironment)

  def body(t, truncated):
    result = env.step(tf.ones([2], tf.int64))
    with tf.control_dependencies([env.reset(
        tf.logical_or(result.terminated, result.truncated))]):
      return t + 1, truncated.write(t, result.truncated)

  _, truncated = tf.while_loop(
      lambda t, _: t < 7, body, (0, tf.TensorArray(tf.bool, 7)),
      parallel_iterations=1)
  truncated = truncated.stack()
  flag = tf.placeholder(tf.bool, [])
  maybe_step = tf.cond(flag, lambda: env.step([1, 0]).observ, env.observ)
  sess.run(tf.global_variables_initializer())
  np.testing.assert_array_equal(
      sess.run(truncated), [[False] * 2, [False] * 2, [True] * 2] * 2 +
      [[False] * 2])
  np.testing.assert_array_equal(sess.run(env.elapsed_steps), [1, 1])
  np.testing.assert_array_equal(sess.run(maybe_step, {flag: False}),
                                [[1.], [1.]])
  np.testing.assert_array_equal(sess.run(env.elapsed_steps), [1, 1])
  np.testing.assert_array_equal(sess.run(maybe_step, {flag: True}),
                                [[2.], [1.]])
  np.testing.assert_array_equal(sess.run(env.elapsed_steps), [2, 2])


def test_checks_the_reset_draw_shape(graph):
  del graph  # Unused.
  with pytest.raises(ValueError, match=r'_sample_state must have shape'):
    _Walk(2, state_size=3).reset()


def test_a_place_saver_restores_the_state_and_counts(sess, tmp_path):
  weight = tf.get_variable('weight', [], initializer=tf.ones_initializer())
  env = _Walk(2, max_episode_steps=4)
  weights = tf.train.Saver(resumable.weights())
  place = tf.train.Saver(resumable.variables())
  sess.run(tf.global_variables_initializer())
  step = env.step([1, 0])
  sess.run(step)
  paths = (weights.save(sess, str(tmp_path / 'weights')),
           place.save(sess, str(tmp_path / 'place')))
  assert [name for name, _ in tf.train.list_variables(paths[0])] == ['weight']
  saved = sess.run([env.state, env.elapsed_steps])
  sess.run([step, step])
  place.restore(sess, paths[1])
  for got, want in zip(sess.run([env.state, env.elapsed_steps]), saved):
    np.testing.assert_array_equal(got, want)
  np.testing.assert_array_equal(saved[1], [1, 1])
  assert sess.run(weight) == 1


if __name__ == '__main__':
  sys.exit(pytest.main([__file__]))
