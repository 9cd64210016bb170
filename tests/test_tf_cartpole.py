"""Tests for graphrl.tf_envs.cartpole against gymnasium's CartPole."""

import math
import sys

import gymnasium
import numpy as np
import pytest

from graphrl.compat import session_config
from graphrl.compat import tf
from graphrl.envs import specs
from graphrl.tf_envs import cartpole
import tf_env_testing

_NUM_STEPS = 10000
_NUM_MEMBERS = 2


def _random_policy(rng, observ):
  del observ  # Unused.
  return int(rng.integers(2))


def _noisy_balancer(rng, observ):
  """Pushes the pole upright 3 times in 4, so episodes reach the limit."""
  if rng.random() < 0.25:
    return int(rng.integers(2))
  x, x_dot, theta, theta_dot = observ
  return int(theta + 0.5 * theta_dot + 0.05 * x + 0.1 * x_dot > 0)


@pytest.mark.parametrize('max_episode_steps,policy', [
    (500, _random_policy), (500, _noisy_balancer), (200, _noisy_balancer)],
                         ids=['v1_random', 'v1_balancer', 'v0_balancer'])
def test_matches_gymnasium_trajectories(max_episode_steps, policy):
  run = tf_env_testing.record('CartPole-v1', policy, _NUM_STEPS, _NUM_MEMBERS,
                           seed=max_episode_steps,
                           max_episode_steps=max_episode_steps)
  with tf.Graph().as_default():
    env = cartpole.CartPole(_NUM_MEMBERS, max_episode_steps)
    fetches = tf_env_testing.replay(env, run)
    with tf.Session(config=session_config()) as sess:
      sess.run(tf.global_variables_initializer())
      observ, reward, terminated, truncated, state = sess.run(fetches)
  np.testing.assert_allclose(observ, run['observ'], rtol=0, atol=1e-5)
  np.testing.assert_allclose(state, run['state'], rtol=0, atol=1e-9)
  np.testing.assert_allclose(reward, run['reward'], rtol=0, atol=1e-5)
  np.testing.assert_array_equal(terminated, run['terminated'])
  np.testing.assert_array_equal(truncated, run['truncated'])
  # The run covers both ends of an episode.
  assert run['terminated'].any()
  if policy is _noisy_balancer:
    assert run['truncated'].any()


def test_specs_match_gymnasium_spaces():
  gym_env = gymnasium.make('CartPole-v1')
  with tf.Graph().as_default():
    env = cartpole.CartPole(2)
  assert env.batch_size == 2
  assert env.max_episode_steps == 500
  assert env.observation_spec() == specs.from_gym_space(
      gym_env.observation_space, name='observation')
  assert env.action_spec() == specs.from_gym_space(
      gym_env.action_space, name='action')
  assert env.action_spec() == specs.BoundedArraySpec((), np.int64, 0, 1,
                                                     name='action')
  assert env.state.dtype.base_dtype == tf.float64  # As gymnasium's.
  assert env.state.shape.as_list() == [2, 4]


def test_reset_draws_states_uniform_within_0_05():
  observ, state = tf_env_testing.reset_draw(lambda: cartpole.CartPole(1000))
  tf_env_testing.assert_fills_box(state, [-0.05] * 4, [0.05] * 4)
  np.testing.assert_array_equal(observ, state.astype(np.float32))


def test_one_step_from_hand_derived_equations():
  # Members: upright-ish pushed right; pole past 12 degrees after the step;
  # cart past 2.4 after the step (pushed left).
  state = np.array([[0.1, -0.2, 0.05, 0.3],
                    [0.0, 0.0, 0.2, 1.0],
                    [2.39, 1.0, 0.0, 0.0]])
  action = np.array([1, 1, 0])
  # gymnasium's constants: g 9.8, masses 1 (cart) and 0.1 (pole), half
  # length 0.5, force 10 N, tau 0.02 s, Euler integration.
  x, x_dot, theta, theta_dot = state.T
  force = np.where(action == 1, 10., -10.)
  temp = (force + 0.1 * 0.5 * theta_dot**2 * np.sin(theta)) / 1.1
  theta_acc = (9.8 * np.sin(theta) - np.cos(theta) * temp) / (
      0.5 * (4. / 3. - 0.1 * np.cos(theta)**2 / 1.1))
  x_acc = temp - 0.1 * 0.5 * theta_acc * np.cos(theta) / 1.1
  expected = np.stack([x + 0.02 * x_dot, x_dot + 0.02 * x_acc,
                       theta + 0.02 * theta_dot,
                       theta_dot + 0.02 * theta_acc], axis=1)
  # Positions move by tau times the old velocities.
  np.testing.assert_allclose(expected[:, 0], [0.096, 0.0, 2.41])
  np.testing.assert_allclose(expected[:, 2], [0.056, 0.22, 0.0])
  # Member 0: temp = (10 + 0.05 * 0.09 sin 0.05) / 1.1 = 9.0911, and
  # theta_acc = (9.8 * 0.049979 - 0.99875 * 9.0911) / (0.5 * (4/3 - 0.1 *
  # 0.99750 / 1.1)) = -8.5897 / 0.62133 = -13.825.
  np.testing.assert_allclose(theta_acc[0], -13.825, atol=1e-3)
  with tf.Graph().as_default():
    env = cartpole.CartPole(3)
    result = env.step(action)
    with tf.Session(config=session_config()) as sess:
      sess.run(tf.global_variables_initializer())
      env.state.load(state, sess)
      # Fetching any one result steps the members.
      reward = sess.run(result.reward)
      new_state = sess.run(env.state)
      elapsed = sess.run(env.elapsed_steps)
      env.state.load(state, sess)
      observ, _, terminated, truncated = sess.run(result)
  np.testing.assert_allclose(new_state, expected, rtol=0, atol=1e-12)
  np.testing.assert_array_equal(elapsed, [1, 1, 1])
  assert observ.dtype == np.float32
  np.testing.assert_allclose(observ, expected, rtol=0, atol=1e-6)
  np.testing.assert_array_equal(reward, [1., 1., 1.])
  np.testing.assert_array_equal(terminated, [False, True, True])
  np.testing.assert_array_equal(truncated, [False, False, False])


def test_termination_thresholds_are_strict():
  # |x| = 2.4 and |theta| = 12 degrees after the step do not terminate.
  limit = 12 * 2 * math.pi / 360
  state = np.array([[2.4, 0., 0., 0.], [-2.4, 0., 0., 0.],
                    [0., 0., limit, 0.], [0., 0., -limit, 0.]])
  with tf.Graph().as_default():
    env = cartpole.CartPole(4)
    result = env.step([1, 0, 0, 1])
    with tf.Session(config=session_config()) as sess:
      sess.run(tf.global_variables_initializer())
      env.state.load(state, sess)
      np.testing.assert_array_equal(sess.run(result.terminated), [False] * 4)


def test_deterministic_under_graph_seed():
  tf_env_testing.assert_deterministic(lambda: cartpole.CartPole(4))


if __name__ == '__main__':
  sys.exit(pytest.main([__file__]))
