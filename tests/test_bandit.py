"""Tests for graphrl.tabular.bandit."""

import sys

import numpy as np
import pytest

from graphrl.compat import tf
from graphrl.tabular import bandit


def test_pull_lever_pays_with_its_probability(sess):
  arm = tf.placeholder(tf.int64, [])
  reward = bandit.pull_lever([0., 1.], arm)
  # Probabilities 0 and 1 make the rewards certain.
  assert [sess.run(reward, {arm: 0}) for _ in range(20)] == [0.] * 20
  assert [sess.run(reward, {arm: 1}) for _ in range(20)] == [1.] * 20


def test_pull_updates_the_sample_mean(sess):
  slots = bandit.EpsilonGreedyBandit([1., 0.], epsilon=0.)
  pull = slots.pull()
  sess.run(tf.global_variables_initializer())
  # Three earlier pulls of arm 0 averaged 0.5 (rewards summing to 1.5).
  sess.run([slots.estimates.assign([0.5, 0.]), slots.counts.assign([3., 0.])])
  # Greedy arm 0 pays 1 for sure: N(0) = 4 and
  # Q(0) = (1 - 1/4) * 0.5 + 1/4 * 1 = 0.625 = (1.5 + 1) / 4.
  assert sess.run(pull) == (0, 1.)
  np.testing.assert_allclose(sess.run(slots.estimates), [0.625, 0.])
  np.testing.assert_array_equal(sess.run(slots.counts), [4., 0.])


def test_pulls_run_one_after_another(sess):
  slots = bandit.EpsilonGreedyBandit([0., 1.], epsilon=0.)
  arms, rewards = slots.pulls(4)
  sess.run(tf.global_variables_initializer())
  sess.run([slots.estimates.assign([0.5, 0.4]), slots.counts.assign([1., 1.])])
  # Arm 0 never pays, arm 1 always. Pull 1: greedy arm 0, r = 0, N(0) = 2,
  # Q(0) = 0.5 / 2 = 0.25. Pull 2 sees Q = [0.25, 0.4]: arm 1, r = 1,
  # Q(1) = (0.4 + 1) / 2 = 0.7; pulls 3 and 4: arm 1, Q(1) = (1.4 + 1) / 3
  # = 0.8 and (2.4 + 1) / 4 = 0.85.
  arms, rewards = sess.run([arms, rewards])
  np.testing.assert_array_equal(arms, [0, 1, 1, 1])
  np.testing.assert_array_equal(rewards, [0., 1., 1., 1.])
  np.testing.assert_allclose(sess.run(slots.estimates), [0.25, 0.85],
                             rtol=1e-6)
  np.testing.assert_array_equal(sess.run(slots.counts), [2., 4.])


def test_epsilon_schedule_gets_the_number_of_pulls(sess):
  # epsilon = 1 for the first pull only; arm 1 always pays, arm 0 never.
  slots = bandit.EpsilonGreedyBandit(
      [0., 1.], epsilon=lambda step: tf.cast(step < 1, tf.float32))
  arms, _ = slots.pulls(50)
  sess.run(tf.global_variables_initializer())
  # Pull 1 is random; if it is arm 1 then Q = [0, 1] and pulls 2-50 are
  # greedy arm 1; if it is arm 0 then Q = [0, 0] and they are arm 0.
  arms = sess.run(arms)
  assert set(arms[1:]) == {arms[0]}


@pytest.mark.usefixtures('graph')
@pytest.mark.parametrize('probs', [[], [0.5, 1.2], [-0.1], [[0.5]]])
def test_rejects_bad_payout_probabilities(probs):
  with pytest.raises(ValueError, match='payout_probs'):
    bandit.EpsilonGreedyBandit(probs)


@pytest.mark.usefixtures('graph')
def test_rejects_bad_pulls_and_epsilon():
  with pytest.raises(ValueError, match='num_pulls'):
    bandit.EpsilonGreedyBandit([0.5]).pulls(0)
  with pytest.raises(ValueError, match='epsilon'):
    bandit.EpsilonGreedyBandit([0.5], epsilon=1.5).pull()


def test_two_slot_machines():
  epsilon, num_pulls = 0.2, 10000
  estimates, arms, rewards = bandit.train_bandit(
      [0.3, 0.7], num_pulls, epsilon, seed=0)
  # Arm 0 is pulled about epsilon / 2 * 10000 = 1000 times: its mean has
  # std sqrt(0.3 * 0.7 / 1000) = 0.0145, so 0.05 is 3.4 std (arm 1: 0.005).
  np.testing.assert_allclose(estimates, [0.3, 0.7], atol=0.05)
  assert estimates.argmax() == 1
  # Once arm 1 is greedy a pull is optimal with probability
  # 1 - epsilon + epsilon / 2 = 0.9; the fraction over 10000 pulls has std
  # sqrt(0.9 * 0.1 / 10000) = 0.003. 0.015 allows for 5 std, including the
  # few pulls before the greedy arm settles.
  assert np.mean(arms == 1) >= 1 - epsilon + epsilon / 2 - 0.015
  # The estimates are the sample means of the rewards.
  np.testing.assert_allclose(estimates[1], rewards[arms == 1].mean(),
                             rtol=1e-4)


if __name__ == '__main__':
  sys.exit(pytest.main([__file__]))
