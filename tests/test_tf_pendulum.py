"""Tests for graphrl.tf_envs.pendulum against gymnasium's Pendulum-v1."""

import sys

import gymnasium
import numpy as np
import pytest

from graphrl.compat import session_config
from graphrl.compat import tf
from graphrl.envs import specs
from graphrl.tf_envs import pendulum
from graphrl.tf_envs import tf_environment
import tf_env_testing

_NUM_STEPS = 10000
_NUM_MEMBERS = 2


def _random_torque(rng, observ):
  """Torques uniform in [-3, 3]: gymnasium clips a third of them."""
  del observ  # Unused.
  return rng.uniform(-3., 3., (1,)).astype(np.float32)


def test_matches_gymnasium_trajectories():
  run = tf_env_testing.record('Pendulum-v1', _random_torque, _NUM_STEPS,
                          _NUM_MEMBERS, seed=0)
  with tf.Graph().as_default():
    env = pendulum.Pendulum(_NUM_MEMBERS)
    fetches = tf_env_testing.replay(env, run)
    with tf.Session(config=session_config()) as sess:
      sess.run(tf.local_variables_initializer())
      observ, reward, terminated, truncated, state = sess.run(fetches)
  np.testing.assert_allclose(observ, run['observ'], rtol=0, atol=1e-5)
  np.testing.assert_allclose(state, run['state'], rtol=0, atol=1e-9)
  np.testing.assert_allclose(reward, run['reward'], rtol=0, atol=1e-5)
  np.testing.assert_array_equal(terminated, run['terminated'])
  np.testing.assert_array_equal(truncated, run['truncated'])
  # Every 200th step truncates; the speed limit of 8 is reached.
  assert run['truncated'].sum() == _NUM_MEMBERS * _NUM_STEPS // 200
  assert np.abs(run['state'][..., 1]).max() == 8.


def test_specs_match_gymnasium_spaces():
  gym_env = gymnasium.make('Pendulum-v1')
  with tf.Graph().as_default():
    env = pendulum.Pendulum(2)
  assert env.batch_size == 2
  assert env.max_episode_steps == 200
  assert env.observation_spec() == specs.from_gym_space(
      gym_env.observation_space, name='observation')
  assert env.action_spec() == specs.from_gym_space(
      gym_env.action_space, name='action')
  assert env.action_spec() == specs.BoundedArraySpec(
      (1,), np.float32, -2., 2., name='action')


def test_variables_are_local_resource_variables():
  with tf.Graph().as_default():
    env = pendulum.Pendulum(3)
    assert env.state.name == 'pendulum/state:0'
    assert env.state.dtype.base_dtype == tf.float64
    assert env.state.shape.as_list() == [3, 2]
    assert env.elapsed_steps.shape.as_list() == [3]
    # Not checkpointed: the training loops reset the environments.
    assert set(tf.local_variables()) == {env.state, env.elapsed_steps}
    assert not tf.global_variables()
    assert not tf.trainable_variables()
    assert env.state.op.type == env.elapsed_steps.op.type == 'VarHandleOp'
    assert pendulum.Pendulum(1).state.name == 'pendulum_1/state:0'


def test_one_step_from_hand_derived_equations():
  # Members: a torque clipped from 3 to 2; a speed clipped to 8; a negative
  # torque clipped to -2 at an angle below -pi, normalized for the cost.
  state = np.array([[3.5, 7.9], [1.0, 7.99], [-4.0, -2.0]])
  action = np.array([[3.0], [1.0], [-2.5]], np.float32)
  th, thdot = state.T
  u = np.array([2.0, 1.0, -2.0])
  # g = 10, m = l = 1, dt = 0.05: theta_dot' = theta_dot + (15 sin theta +
  # 3 u) dt, clipped to [-8, 8]; theta' = theta + theta_dot' dt.
  thdot_new = np.clip(thdot + (15. * np.sin(th) + 3. * u) * 0.05, -8., 8.)
  th_new = th + thdot_new * 0.05
  # angle_normalize maps 3.5 to 3.5 - 2 pi, 1 to 1 and -4 to 2 pi - 4.
  normalized = np.array([3.5 - 2 * np.pi, 1.0, 2 * np.pi - 4.0])
  reward = -(normalized**2 + 0.1 * thdot**2 + 0.001 * u**2)
  # Member 0: 7.9 + (15 sin 3.5 + 6) 0.05 = 7.9 + (-5.2617 + 6) 0.05.
  np.testing.assert_allclose(thdot_new, [7.93691, 8., -1.73240], atol=1e-5)
  np.testing.assert_allclose(reward[0], -(2.78319**2 + 6.241 + 0.004),
                             atol=1e-4)
  with tf.Graph().as_default():
    env = pendulum.Pendulum(3)
    result = env.step(action)
    with tf.Session(config=session_config()) as sess:
      sess.run(tf.local_variables_initializer())
      env.state.load(state, sess)
      # Fetching any one result steps the members.
      sess.run(result.reward)
      new_state = sess.run(env.state)
      elapsed = sess.run(env.elapsed_steps)
      env.state.load(state, sess)
      observ, got_reward, terminated, truncated = sess.run(result)
  np.testing.assert_allclose(new_state, np.stack([th_new, thdot_new], 1),
                             rtol=0, atol=1e-12)
  np.testing.assert_array_equal(elapsed, [1, 1, 1])
  assert observ.dtype == got_reward.dtype == np.float32
  np.testing.assert_allclose(
      observ, np.stack([np.cos(th_new), np.sin(th_new), thdot_new], 1),
      rtol=0, atol=1e-6)
  np.testing.assert_allclose(got_reward, reward, rtol=1e-6)
  np.testing.assert_array_equal(terminated, [False] * 3)
  np.testing.assert_array_equal(truncated, [False] * 3)


def test_truncation_at_small_limit_and_masked_reset():
  with tf.Graph().as_default():
    tf.set_random_seed(0)
    env = pendulum.Pendulum(3, max_episode_steps=3)
    result = env.step(tf.zeros([3, 1]))
    mask = tf.placeholder(tf.bool, [3])
    reset = env.reset(mask)
    reset_all = env.reset()
    with tf.Session(config=session_config()) as sess:
      sess.run(tf.local_variables_initializer())
      ends = [sess.run([result.terminated, result.truncated])
              for _ in range(3)]
      np.testing.assert_array_equal(ends, [[[False] * 3, [False] * 3]] * 2 +
                                    [[[False] * 3, [True] * 3]])
      before = sess.run(env.state)
      observ = sess.run(reset, {mask: [False, True, True]})
      after = sess.run(env.state)
      np.testing.assert_array_equal(sess.run(env.elapsed_steps), [3, 0, 0])
      np.testing.assert_array_equal(after[0], before[0])
      assert not np.any(after[1:] == before[1:])
      assert np.all(np.abs(after[1:]) <= [np.pi, 1.])
      np.testing.assert_allclose(
          observ, np.stack([np.cos(after[:, 0]), np.sin(after[:, 0]),
                            after[:, 1]], 1), rtol=0, atol=1e-7)
      np.testing.assert_array_equal(sess.run(env.observ()), observ)
      # Only the unreset member truncates on the next step.
      np.testing.assert_array_equal(sess.run(result.truncated),
                                    [True, False, False])
      sess.run(reset_all)
      np.testing.assert_array_equal(sess.run(env.elapsed_steps), [0, 0, 0])
      assert not np.any(sess.run(env.state)[0] == after[0])


def test_checks_shapes():
  with tf.Graph().as_default():
    env = pendulum.Pendulum(3)
    with pytest.raises(ValueError, match='mask must have shape'):
      env.reset([True, False])
    with pytest.raises(ValueError, match='action must have shape'):
      env.step(tf.zeros([3]))
    with pytest.raises(ValueError, match='max_episode_steps'):
      pendulum.Pendulum(1, max_episode_steps=2.5)


def test_steps_and_resets_in_while_loop_and_cond():
  # 7 steps with a time limit of 3, resetting ended members in the loop.
  with tf.Graph().as_default():
    env = pendulum.Pendulum(2, max_episode_steps=3)
    assert isinstance(env, tf_environment.TFEnvironment)

    def body(t, truncated):
      result = env.step(tf.ones([2, 1]))
      with tf.control_dependencies([env.reset(
          tf.logical_or(result.terminated, result.truncated))]):
        return t + 1, truncated.write(t, result.truncated)

    _, truncated = tf.while_loop(
        lambda t, _: t < 7, body, (0, tf.TensorArray(tf.bool, 7)),
        parallel_iterations=1)
    truncated = truncated.stack()
    flag = tf.placeholder(tf.bool, [])
    maybe_step = tf.cond(flag, lambda: env.step(tf.zeros([2, 1])).observ,
                         env.observ)
    with tf.Session(config=session_config()) as sess:
      sess.run(tf.local_variables_initializer())
      np.testing.assert_array_equal(
          sess.run(truncated), [[False] * 2, [False] * 2, [True] * 2] * 2 +
          [[False] * 2])
      np.testing.assert_array_equal(sess.run(env.elapsed_steps), [1, 1])
      th, thdot = sess.run(env.state).T
      np.testing.assert_allclose(sess.run(maybe_step, {flag: False}),
                                 np.stack([np.cos(th), np.sin(th), thdot], 1),
                                 rtol=0, atol=1e-7)
      np.testing.assert_array_equal(sess.run(env.elapsed_steps), [1, 1])
      stepped = sess.run(maybe_step, {flag: True})
      thdot = np.clip(thdot + 15. * np.sin(th) * 0.05, -8., 8.)
      np.testing.assert_allclose(stepped[:, 2], thdot, rtol=0, atol=1e-6)
      np.testing.assert_array_equal(sess.run(env.elapsed_steps), [2, 2])


def test_deterministic_under_graph_seed():
  first = tf_env_testing.assert_deterministic(lambda: pendulum.Pendulum(4))
  assert np.all(np.abs(np.concatenate(first)) <= [np.pi, 1.])


if __name__ == '__main__':
  sys.exit(pytest.main([__file__]))
