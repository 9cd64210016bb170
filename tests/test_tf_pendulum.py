"""Tests for graphrl.tf_envs.pendulum against gymnasium's Pendulum-v1."""

import sys

import gymnasium
import numpy as np
import pytest

from graphrl.compat import session_config
from graphrl.compat import tf
from graphrl.envs import specs
from graphrl.tf_envs import pendulum
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
      sess.run(tf.global_variables_initializer())
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
  assert env.state.dtype.base_dtype == tf.float64  # As gymnasium's.
  assert env.state.shape.as_list() == [_NUM_MEMBERS, 2]


def test_reset_observes_cos_sin_and_speed_of_the_drawn_state():
  observ, state = tf_env_testing.reset_draw(lambda: pendulum.Pendulum(1000))
  tf_env_testing.assert_fills_box(state, [-np.pi, -1.], [np.pi, 1.])
  np.testing.assert_allclose(
      observ, np.stack([np.cos(state[:, 0]), np.sin(state[:, 0]),
                        state[:, 1]], 1), rtol=0, atol=1e-7)


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
      sess.run(tf.global_variables_initializer())
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


def test_deterministic_under_graph_seed():
  first = tf_env_testing.assert_deterministic(lambda: pendulum.Pendulum(4))
  assert np.all(np.abs(np.concatenate(first)) <= [np.pi, 1.])


if __name__ == '__main__':
  sys.exit(pytest.main([__file__]))
