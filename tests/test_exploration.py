"""Tests for graphrl.exploration."""

import sys

import numpy as np
import pytest

from graphrl import exploration
from graphrl import resumable
from graphrl.compat import tf

# Greedy actions 1, 0, 2.
_Q = [[1., 3., 2.], [5., 0., -1.], [0., 0., 7.]]


def test_epsilon_greedy_zero_epsilon_is_argmax(sess):
  actions = exploration.epsilon_greedy(tf.constant(_Q), 0.)
  assert actions.dtype == tf.int64
  sess.run(tf.global_variables_initializer())
  for _ in range(20):
    np.testing.assert_array_equal(sess.run(actions), [1, 0, 2])


def _frequencies(sess, epsilon, rows=40000, num_actions=4):
  """Action frequencies for `rows` identical rows whose greedy action is 0."""
  q_values = tf.one_hot(tf.zeros([rows], tf.int32), num_actions)
  actions = exploration.epsilon_greedy(q_values, epsilon, seed=1)
  sess.run(tf.global_variables_initializer())  # The draw counters.
  actions = sess.run(actions)
  return np.bincount(actions, minlength=num_actions) / rows


def test_epsilon_greedy_full_exploration_is_uniform(sess):
  # Each count is Binomial(40000, 1/4): std of a frequency is
  # sqrt(0.25 * 0.75 / 40000) = 0.00217; allow 5 std = 0.011.
  np.testing.assert_allclose(_frequencies(sess, 1.), [0.25] * 4, atol=0.011)


def test_epsilon_greedy_explores_with_probability_epsilon(sess):
  # epsilon = 0.3, A = 4: a row is non-greedy with prob 0.3 * 3/4 = 0.225
  # (std sqrt(0.225 * 0.775 / 40000) = 0.0021, allow 5 std = 0.0105) and
  # each other action has 0.3 / 4 = 0.075 (std 0.0013, allow 0.0066).
  freq = _frequencies(sess, tf.constant(0.3))
  np.testing.assert_allclose(1. - freq[0], 0.225, atol=0.0105)
  np.testing.assert_allclose(freq[1:], [0.075] * 3, atol=0.0066)


def test_epsilon_greedy_dynamic_batch_and_fed_epsilon(sess):
  q_values = tf.placeholder(tf.float32, [None, 3])
  epsilon = tf.placeholder(tf.float32, [])
  actions = exploration.epsilon_greedy(q_values, epsilon)
  sess.run(tf.global_variables_initializer())
  np.testing.assert_array_equal(
      sess.run(actions, {q_values: _Q, epsilon: 0.}), [1, 0, 2])
  explored = sess.run(actions, {q_values: np.zeros([500, 3]), epsilon: 1.})
  assert explored.shape == (500,)
  assert set(explored) == {0, 1, 2}


@pytest.mark.usefixtures('graph')
def test_epsilon_greedy_rejects_bad_shapes():
  with pytest.raises(ValueError, match=r'\[B, A\]'):
    exploration.epsilon_greedy(tf.zeros([3]), 0.1)
  with pytest.raises(ValueError, match='scalar'):
    exploration.epsilon_greedy(tf.zeros([2, 3]), tf.zeros([2]))


def test_ou_deterministic_part_decays_geometrically(sess):
  process = exploration.OrnsteinUhlenbeckNoise([2], theta=0.15, sigma=0.)
  sample = process.sample()
  sess.run(tf.global_variables_initializer())
  np.testing.assert_array_equal(sess.run(process.state), [0., 0.])
  sess.run(process.state.assign([1., -2.]))
  # x_{t+1} = x_t * (1 - theta) = x_t * 0.85.
  np.testing.assert_allclose(sess.run(sample), [0.85, -1.7], rtol=1e-6)
  np.testing.assert_allclose(sess.run(sample), [0.7225, -1.445], rtol=1e-6)


def test_ou_reverts_to_mu_with_dt(sess):
  process = exploration.OrnsteinUhlenbeckNoise(
      [1], theta=0.5, sigma=0., dt=0.5, mu=2.)
  sample = process.sample()
  sess.run(tf.global_variables_initializer())
  assert sess.run(process.state) == 2.
  sess.run(process.state.assign([0.]))
  # x1 = 0 + 0.5 * (2 - 0) * 0.5 = 0.5; x2 = 0.5 + 0.5 * 1.5 * 0.5 = 0.875.
  np.testing.assert_allclose(sess.run(sample), [0.5])
  np.testing.assert_allclose(sess.run(sample), [0.875])


def test_ou_stationary_statistics(sess):
  # 4000 independent processes from x0 = 0; after t steps the variance is
  # v (1 - 0.85^(2t)) with v = 0.2^2 / (1 - 0.85^2) = 0.04 / 0.2775 = 0.14414,
  # so after 60 steps it is stationary (0.85^120 < 1e-8). The variance
  # estimate has relative std sqrt(2 / 4000) = 0.022: allow 10%. The lag-1
  # correlation is 1 - theta = 0.85, its estimate has std (1 - 0.85^2) /
  # sqrt(4000) = 0.0044: allow 0.025.
  process = exploration.OrnsteinUhlenbeckNoise([4000], seed=3)
  sample = process.sample()
  sess.run(tf.global_variables_initializer())
  for _ in range(60):
    previous = sess.run(sample)
  current = sess.run(sample)
  np.testing.assert_allclose(np.var(current), 0.14414, rtol=0.1)
  np.testing.assert_allclose(
      np.corrcoef(previous, current)[0, 1], 0.85, atol=0.025)


def test_ou_reset(sess):
  process = exploration.OrnsteinUhlenbeckNoise([3, 2], mu=0.5)
  sample, reset = process.sample(), process.reset()
  sess.run(tf.global_variables_initializer())
  assert not np.all(sess.run(sample) == 0.5)
  np.testing.assert_array_equal(sess.run(reset), np.full([3, 2], 0.5))


def test_ou_masked_reset_only_resets_selected_rows(sess):
  process = exploration.OrnsteinUhlenbeckNoise([3, 2], mu=0.5)
  reset = process.reset(tf.constant([True, False, True]))
  sess.run(tf.global_variables_initializer())
  sess.run(process.state.assign([[1., 2.], [3., 4.], [5., 6.]]))
  np.testing.assert_array_equal(
      sess.run(reset), [[0.5, 0.5], [3., 4.], [0.5, 0.5]])


@pytest.mark.usefixtures('graph')
def test_ou_rejects_bad_arguments():
  with pytest.raises(ValueError, match='mask'):
    exploration.OrnsteinUhlenbeckNoise([3, 2]).reset(tf.constant([True]))
  with pytest.raises(ValueError, match='fully defined'):
    exploration.OrnsteinUhlenbeckNoise([None, 2])
  with pytest.raises(ValueError, match='sigma'):
    exploration.OrnsteinUhlenbeckNoise([2], sigma=-1.)


@pytest.mark.usefixtures('graph')
def test_ou_name_sharing():
  first = exploration.OrnsteinUhlenbeckNoise([2])
  second = exploration.OrnsteinUhlenbeckNoise([2])
  shared = exploration.OrnsteinUhlenbeckNoise([2], name='actor_noise')
  again = exploration.OrnsteinUhlenbeckNoise([2], name='actor_noise')
  assert first.state is not second.state
  assert shared.state is again.state


def test_lecture_noise_matches_ou_with_unit_dt(sess):
  sample = exploration.noise(3, theta=0.5, sigma=0.)
  assert sample.shape.as_list() == [3]
  sess.run(tf.global_variables_initializer())
  sess.run(tf.global_variables()[0].assign([2., -2., 1.]))
  # x - theta * x = 0.5 x.
  np.testing.assert_allclose(sess.run(sample), [1., -1., 0.5])


@pytest.mark.usefixtures('graph')
def test_erratum_noise_state_not_trainable():
  # The lecture creates the state with tf.Variable(...), trainable by default,
  # so optimizers and target-network copies of the scope would include it.
  exploration.noise(3)
  assert len(resumable.weights()) == 1  # And the counter of its draws.
  assert not tf.trainable_variables()


def test_erratum_noise_calls_share_state(sess):
  # The lecture makes a fresh zero Variable per call: a second call would
  # start again from 0 and the process would not be correlated over calls.
  first = exploration.noise(1, theta=0.5, sigma=0.)
  second = exploration.noise(1, theta=0.5, sigma=0.)
  state, = resumable.weights()
  sess.run(tf.global_variables_initializer())
  sess.run(state.assign([4.]))
  np.testing.assert_allclose(sess.run(first), [2.])
  np.testing.assert_allclose(sess.run(second), [1.])


def test_gaussian_noise(sess):
  # 20000 draws of N(0, 0.5^2): the mean has std 0.5 / 141 = 0.0035 (allow
  # 0.018), the std estimate has relative std 1 / sqrt(40000) = 0.005.
  values = exploration.gaussian_noise([20000], 0.5, seed=2)
  sess.run(tf.global_variables_initializer())
  values = sess.run(values)
  assert abs(np.mean(values)) < 0.018
  np.testing.assert_allclose(np.std(values), 0.5, rtol=0.025)


@pytest.mark.usefixtures('graph')
def test_gaussian_noise_rejects_negative_stddev():
  with pytest.raises(ValueError, match='stddev'):
    exploration.gaussian_noise([2], -1.)


if __name__ == '__main__':
  sys.exit(pytest.main([__file__]))
