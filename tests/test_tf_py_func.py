"""Tests for graphrl.tf_envs.py_func: Python environments in the graph."""

import numpy as np
import pytest

from graphrl import envs
from graphrl.compat import session_config
from graphrl.compat import tf
from graphrl.envs import time_step as ts
from graphrl.tf_envs import py_func
import toy_envs


def _cartpoles(seeds, max_episode_steps=None):
  return [envs.load('CartPole-v1', seed=seed,
                    max_episode_steps=max_episode_steps) for seed in seeds]


class Frames(envs.PyEnvironment):
  """uint8 [2, 3] frames full of t, the steps since reset; ends at 3 steps.

  Action 1 terminates at step 3, action 0 truncates there (discount 0.5).
  Records `close()` in `closed`.
  """

  closed = False

  def __init__(self):
    self._t = 0

  def observation_spec(self):
    return envs.BoundedArraySpec((2, 3), np.uint8, 0, 255)

  def action_spec(self):
    return envs.BoundedArraySpec((), np.int32, 0, 1)

  def _observation(self):
    return np.full((2, 3), self._t, np.uint8)

  def _reset(self):
    self._t = 0
    return ts.restart(self._observation())

  def _step(self, action):
    self._t += 1
    if self._t < 3:
      return ts.transition(self._observation(), 0.5)
    if action == 1:
      return ts.termination(self._observation(), 2.)
    return ts.truncation(self._observation(), 3., discount=0.5)

  def close(self):
    self.closed = True


def _numpy_step(members, actions):
  """Steps `members` directly; returns s', rewards, terminated, truncated."""
  steps = [env.step(action) for env, action in zip(members, actions)]
  last = np.array([s.is_last() for s in steps])
  discount = np.array([s.discount for s in steps])
  return (np.stack([s.observation for s in steps]),
          np.array([s.reward for s in steps]),
          last & (discount == 0), last & (discount != 0))


def test_cartpole_matches_numpy_envs():
  seeds = [3, 4, 5]
  rng = np.random.default_rng(0)
  direct = _cartpoles(seeds)
  with tf.Graph().as_default():
    env = py_func.PyFuncEnvironment(_cartpoles(seeds))
    action = tf.placeholder(tf.int64, [3])
    mask = tf.placeholder(tf.bool, [3])
    step, reset = env.step(action), env.reset(mask)
    with tf.Session(config=session_config()) as sess:
      sess.run(tf.local_variables_initializer())
      first = sess.run(reset, {mask: [True] * 3})
      np.testing.assert_array_equal(
          first, np.stack([e.reset().observation for e in direct]))
      ended = 0
      for _ in range(100):
        actions = rng.integers(0, 2, 3)
        got = sess.run(step, {action: actions})
        want = _numpy_step(direct, actions)
        for got_field, want_field in zip(got, want):
          np.testing.assert_array_equal(got_field, want_field)
        assert got.observ.dtype == np.float32
        assert got.reward.dtype == np.float32
        np.testing.assert_array_equal(sess.run(env.observ()), want[0])
        done = got.terminated | got.truncated
        ended += done.sum()
        observ = sess.run(reset, {mask: done})
        for index in np.flatnonzero(done):
          want[0][index] = direct[index].reset().observation
        np.testing.assert_array_equal(observ, want[0])
  assert ended > 3  # Random CartPole episodes last about 20 steps.


def test_specs_shapes_and_local_variable(graph):
  env = py_func.PyFuncEnvironment([Frames(), Frames()])
  assert env.batch_size == 2
  assert env.observation_spec() == Frames().observation_spec()
  assert env.action_spec() == Frames().action_spec()
  result = env.step(tf.zeros([2], tf.int64))
  assert result.observ.shape.as_list() == [2, 2, 3]
  assert result.observ.dtype == tf.uint8
  for flag in result[1:]:
    assert flag.shape.as_list() == [2]
  assert [result.reward.dtype, result.terminated.dtype,
          result.truncated.dtype] == [tf.float32, tf.bool, tf.bool]
  assert env.reset().shape.as_list() == [2, 2, 3]
  # Not checkpointed: a Saver saves global variables.
  assert not graph.get_collection(tf.GraphKeys.GLOBAL_VARIABLES)
  assert len(graph.get_collection(tf.GraphKeys.LOCAL_VARIABLES)) == 1


def test_reset_mask_resets_only_masked_members(sess):
  env = py_func.PyFuncEnvironment([toy_envs.Counter(10) for _ in range(3)])
  mask = tf.placeholder(tf.bool, [3])
  step, reset = env.step(tf.zeros([3], tf.int64)), env.reset(mask)
  sess.run(tf.local_variables_initializer())
  np.testing.assert_array_equal(sess.run(env.reset()), [0, 0, 0])
  for _ in range(3):
    sess.run(step)
  np.testing.assert_array_equal(
      sess.run(reset, {mask: [True, False, True]}), [0, 3, 0])
  np.testing.assert_array_equal(sess.run(env.observ()), [0, 3, 0])
  np.testing.assert_array_equal(sess.run(step).observ, [1, 4, 1])
  np.testing.assert_array_equal(sess.run(reset, {mask: [False] * 3}),
                                [1, 4, 1])


def test_termination_and_truncation_of_a_toy_env(sess):
  members = [Frames(), Frames()]
  env = py_func.PyFuncEnvironment(members)
  step = env.step(tf.constant([1, 0]))
  sess.run(tf.local_variables_initializer())
  sess.run(env.reset())
  for _ in range(2):
    result = sess.run(step)
    assert not (result.terminated | result.truncated).any()
  result = sess.run(step)
  np.testing.assert_array_equal(result.observ, np.full((2, 2, 3), 3))
  np.testing.assert_array_equal(result.reward, [2., 3.])
  np.testing.assert_array_equal(result.terminated, [True, False])
  np.testing.assert_array_equal(result.truncated, [False, True])


def test_time_limit_truncates_cartpole(sess):
  # Alternating pushes keep the pole up for 5 steps.
  env = py_func.PyFuncEnvironment(_cartpoles([0, 1], max_episode_steps=5))
  action = tf.placeholder(tf.int64, [2])
  step = env.step(action)
  sess.run(tf.local_variables_initializer())
  sess.run(env.reset())
  for t in range(5):
    result = sess.run(step, {action: [t % 2] * 2})
  np.testing.assert_array_equal(result.truncated, [True, True])
  np.testing.assert_array_equal(result.terminated, [False, False])


def test_step_of_an_ended_member_fails_until_reset(sess):
  env = py_func.PyFuncEnvironment(
      [toy_envs.Counter(1), toy_envs.Counter(5)])
  step, reset = env.step([0, 0]), env.reset([True, False])
  sess.run(tf.local_variables_initializer())
  with pytest.raises(tf.errors.InvalidArgumentError,
                     match=r'members \[0, 1\] need a reset'):
    sess.run(step)  # Never reset.
  sess.run(env.reset())
  np.testing.assert_array_equal(sess.run(step).terminated, [True, False])
  with pytest.raises(tf.errors.InvalidArgumentError,
                     match=r'members \[0\] need a reset before step'):
    sess.run(step)
  # The failed step stepped no member; no member was auto-reset.
  np.testing.assert_array_equal(sess.run(env.observ()), [1, 1])
  np.testing.assert_array_equal(sess.run(reset), [0, 1])
  np.testing.assert_array_equal(sess.run(step).observ, [1, 2])


def _random_loop(env, iterations, seed):
  """A while_loop: random actions, step, reset ended members; records all."""
  size = env.batch_size

  def body(t, observ, *arrays):
    # The action waits for the last reset: iterations must not overlap.
    with tf.control_dependencies([observ]):
      action = tf.random.uniform([size], 0, 2, tf.int64, seed=seed)
    result = env.step(action)
    reset = env.reset(result.terminated | result.truncated)
    values = (action,) + tuple(result) + (reset,)
    arrays = [array.write(t, value) for array, value in zip(arrays, values)]
    return [t + 1, reset] + arrays

  dtypes = [tf.int64, tf.float32, tf.float32, tf.bool, tf.bool, tf.float32]
  arrays = [tf.TensorArray(dtype, iterations) for dtype in dtypes]
  outputs = tf.while_loop(lambda t, *_: t < iterations, body,
                          [tf.constant(0), env.reset()] + arrays)
  return [array.stack() for array in outputs[2:]]


def test_while_loop_matches_python_loop(sess):
  seeds, iterations = [10, 11, 12, 13], 200
  env = py_func.PyFuncEnvironment(_cartpoles(seeds, max_episode_steps=30))
  loop = _random_loop(env, iterations, seed=1)
  sess.run(tf.local_variables_initializer())
  actions, observ, reward, terminated, truncated, reset = sess.run(loop)
  direct = _cartpoles(seeds, max_episode_steps=30)
  for member in direct:
    member.reset()
  for t in range(iterations):
    want = _numpy_step(direct, actions[t])
    for got_field, want_field in zip(
        [observ[t], reward[t], terminated[t], truncated[t]], want):
      np.testing.assert_array_equal(got_field, want_field)
    done = want[2] | want[3]
    for index in np.flatnonzero(done):
      want[0][index] = direct[index].reset().observation
    np.testing.assert_array_equal(reset[t], want[0])
  assert terminated.any() and truncated.any()
  np.testing.assert_array_equal(sess.run(env.observ()), reset[-1])


def test_step_and_reset_in_cond_branches(sess):
  env = py_func.PyFuncEnvironment([toy_envs.Counter(10)])
  do_step = tf.placeholder(tf.bool, [])
  observ = tf.cond(do_step, lambda: env.step([1]).observ, env.reset)
  sess.run(tf.local_variables_initializer())
  assert sess.run(observ, {do_step: False}).tolist() == [0]
  assert sess.run(observ, {do_step: True}).tolist() == [1]
  assert sess.run(observ, {do_step: True}).tolist() == [2]
  assert sess.run(observ, {do_step: False}).tolist() == [0]


def test_close_closes_every_member():
  members = [Frames(), Frames()]
  py_func.PyFuncEnvironment(members).close()
  assert all(member.closed for member in members)


def test_rejects_bad_environments_and_actions(graph):
  del graph  # Builds ops in the fresh default graph.
  with pytest.raises(ValueError, match='at least one'):
    py_func.PyFuncEnvironment([])
  with pytest.raises(ValueError, match='unbatched'):
    py_func.PyFuncEnvironment([envs.BatchedPyEnvironment([Frames()])])
  with pytest.raises(ValueError, match='equal specs'):
    py_func.PyFuncEnvironment([Frames(), toy_envs.Counter(3)])
  env = py_func.PyFuncEnvironment([Frames(), Frames()])
  with pytest.raises(ValueError, match='shape'):
    env.step(tf.zeros([3], tf.int32))
  with pytest.raises(TypeError, match='int32 actions'):
    env.step(tf.zeros([2], tf.float32))
