"""Tests for graphrl.tabular.value_learning."""

import sys

import numpy as np
import pytest

from graphrl import envs
from graphrl import schedules
from graphrl.compat import tf
from graphrl.tabular import value_learning

# A 3-state model, P[s][a] = [(probability, next_state, reward, terminated)].
# From state 0, action 0 goes to state 1 or 2 with probability 1/2 each and
# no reward; action 1 goes to state 1 with reward 1. States 1 and 2 end the
# episode on any action.
_MODEL = {
    0: {0: [(0.5, 1, 0., False), (0.5, 2, 0., False)],
        1: [(1., 1, 1., False)]},
    1: {0: [(1., 1, 0., True)], 1: [(1., 1, 0., True)]},
    2: {0: [(1., 2, 0., True)], 1: [(1., 2, 0., True)]},
}


def _learner(sess, values, alpha=0.5, gamma=0.5, epsilon=0.):
  """A ValueLearning on _MODEL whose table V is set to `values`."""
  learner = value_learning.ValueLearning(_MODEL, alpha, gamma, epsilon)
  sess.run(tf.global_variables_initializer())
  sess.run(learner.table.assign(values))
  return learner


def _update(sess, learner, state, reward, discount, next_state):
  """Runs `update` for a transition; returns (new entry, V, step)."""
  feed = learner.feed(state, 0, reward, discount, next_state, 0)
  new = sess.run(learner.update, feed)
  return new, sess.run(learner.table), sess.run(learner.step)


def test_td_target(sess):
  # 1 + 0.9 * 1 * 2 = 2.8; with discount 0 the target is the reward, 1.
  targets = value_learning.td_target(
      tf.constant([1., 1.]), tf.constant([1., 0.]), tf.constant([2., 2.]),
      0.9)
  np.testing.assert_allclose(sess.run(targets), [2.8, 1.], rtol=1e-6)


@pytest.mark.parametrize('use_resource', [False, True])
def test_learning_rate_update(sess, use_resource):
  table = tf.Variable([[1., 2.], [3., 4.]], use_resource=use_resource)
  new = value_learning.learning_rate_update(table, [1, 0], 7., 0.25)
  sess.run(tf.global_variables_initializer())
  # (1 - 0.25) * 3 + 0.25 * 7 = 2.25 + 1.75 = 4; other entries untouched.
  assert sess.run(new) == 4.
  np.testing.assert_array_equal(sess.run(table), [[1., 2.], [4., 4.]])


def test_exploration_rate(sess):
  step = tf.constant(50, tf.int64)
  assert sess.run(value_learning.exploration_rate(0.3, step)) == np.float32(
      0.3)
  # The lecture's schedule at p = 50 / 100: 0.05 + 0.95 * (0.5**0.5 - 0.5)
  # / 0.5 = 0.44350288 (as in tests/test_schedules.py).
  rate = value_learning.exploration_rate(
      lambda s: schedules.exponential_decay(s, 100, 1., 0.05, rate=0.5), step)
  np.testing.assert_allclose(sess.run(rate), 0.44350288, rtol=1e-6)
  with pytest.raises(ValueError, match='epsilon'):
    value_learning.exploration_rate(1.5, step)


def test_expected_model():
  rewards, continuation = value_learning.expected_model(_MODEL)
  # Action 0 in state 0: no reward, half to state 1 and half to 2; action
  # 1: reward 1 and state 1. Terminal transitions do not continue.
  np.testing.assert_array_equal(rewards, [[0., 1.], [0., 0.], [0., 0.]])
  np.testing.assert_array_equal(continuation[0], [[0., .5, .5], [0., 1., 0.]])
  np.testing.assert_array_equal(continuation[1:], np.zeros([2, 2, 3]))


def test_expected_model_rejects_ragged_actions():
  with pytest.raises(ValueError, match='same'):
    value_learning.expected_model({0: {0: []}, 1: {0: [], 1: []}})


@pytest.mark.parametrize('values, greedy', [
    # q(0, 0) = 0.5 * 0.5 * 1 + 0.5 * 0.5 * 4 = 1.25 < q(0, 1) = 1 + 0.5 * 1.
    ([0., 1., 4.], 1),
    # q(0, 0) = 0.5 * 0.5 * 1 + 0.5 * 0.5 * 6 = 1.75 > q(0, 1) = 1.5.
    ([0., 1., 6.], 0),
])
def test_acts_by_expected_value_under_the_model(sess, values, greedy):
  learner = _learner(sess, values, gamma=0.5)
  feed = {learner.act_state: 0}
  assert sess.run([learner.act, learner.greedy_action], feed) == [greedy] * 2


def test_update(sess):
  learner = _learner(sess, [0., 1., 2.], alpha=0.5, gamma=0.5)
  new, values, step = _update(sess, learner, 0, 1., 1., 1)
  # y = 1 + 0.5 * 1 * V(1) = 1.5; V(0) = 0.5 * 0 + 0.5 * 1.5 = 0.75.
  assert new == 0.75
  np.testing.assert_array_equal(values, [0.75, 1., 2.])
  assert step == 1


def test_erratum_update_discounts_by_gamma(sess):
  learner = _learner(sess, [0., 0., 2.], alpha=1., gamma=0.5)
  # y = 0 + 0.5 * V(2) = 1; the lecture's r + V(s') gives 2.
  new, _, _ = _update(sess, learner, 0, 0., 1., 2)
  assert new == 1.


def test_erratum_terminal_state_does_not_bootstrap(sess):
  learner = _learner(sess, [0., 0., 2.], alpha=1., gamma=1.)
  # s' = 2 is terminal (discount 0): y = r = 1; the lecture's r + V(s')
  # gives 1 + 2 = 3.
  new, _, _ = _update(sess, learner, 0, 1., 0., 2)
  assert new == 1.


def test_update_and_act_acts_on_the_updated_values(sess):
  learner = _learner(sess, [0., 1., 4.], alpha=1., gamma=0.5)
  # Before: greedy action 1 at state 0 (1.25 < 1.5, see above). The update
  # sets V(2) = 6 (terminal transition with reward 6, alpha 1), so that
  # q(0, 0) = 1.75 > 1.5 and the action in the same run is 0.
  feed = learner.feed(2, 0, 6., 0., 2, 0)
  assert sess.run(learner.update_and_act, feed) == 0
  np.testing.assert_array_equal(sess.run(learner.table), [0., 1., 6.])


@pytest.mark.usefixtures('graph')
@pytest.mark.parametrize('kwargs, match', [
    (dict(alpha=0.), 'alpha'),
    (dict(alpha=1.5), 'alpha'),
    (dict(gamma=-0.1), 'gamma'),
    (dict(gamma=1.1), 'gamma'),
    (dict(epsilon=2.), 'epsilon'),
])
def test_rejects_bad_arguments(kwargs, match):
  with pytest.raises(ValueError, match=match):
    value_learning.ValueLearning(_MODEL, **kwargs)


def test_rejects_states_out_of_range(sess):
  learner = _learner(sess, [0., 0., 0.])
  with pytest.raises(tf.errors.InvalidArgumentError,
                     match=r'act_state must lie in \[0, 3\)'):
    sess.run(learner.act, {learner.act_state: 3})
  with pytest.raises(tf.errors.InvalidArgumentError,
                     match=r'next_state must lie in \[0, 3\)'):
    sess.run(learner.update, learner.feed(0, 0, 0., 1., -1, 0))


def test_train_rejects_no_steps():
  env = envs.load('FrozenLake-v1', seed=0, is_slippery=False)
  with pytest.raises(ValueError, match='num_steps'):
    value_learning.train_value_learning(env, 0)


def test_converges_to_optimal_values_on_deterministic_frozen_lake():
  # The 4x4 map, states numbered row by row:
  #   S F F F      0  1  2  3
  #   F H F H      4  5  6  7
  #   F F F H      8  9 10 11
  #   H F F G     12 13 14 15
  # Entering the goal G pays 1; holes H and G end the episode. A state d
  # steps from G has V*(s) = gamma^(d - 1); the start is 6 steps away
  # (0 -> 4 -> 8 -> 9 -> 13 -> 14 -> 15), so V*(0) = gamma^5.
  gamma = 0.9
  distance = {0: 6, 1: 5, 2: 4, 3: 5, 4: 5, 6: 3, 8: 4, 9: 3, 10: 2, 13: 2,
              14: 1}
  v_star = np.zeros(16)
  for state, d in distance.items():
    v_star[state] = gamma**(d - 1)
  # Explore while epsilon decays to 0 over the first half, then act
  # greedily: TD(0) learns the values of the policy it follows, which
  # reach V* once that policy is greedy.
  num_steps = 8000
  env = envs.load('FrozenLake-v1', seed=0, is_slippery=False)
  values, returns = value_learning.train_value_learning(
      env, num_steps, alpha=0.5, gamma=gamma,
      epsilon=lambda step: schedules.exponential_decay(
          step, num_steps // 2, 1., 0., rate=0.5), seed=0)
  # Every target r + gamma * V(s') with V <= V* is <= V*(s), so from
  # V = 0 the values never exceed V* (the lecture's gamma = 1 would give
  # V(0) -> 1).
  assert np.all(values <= v_star + 1e-6)
  # The greedy policy under the model, from the start: a shortest path,
  # with V = V* on it.
  transitions = env.gym_env.unwrapped.P
  path = [0]
  while path[-1] != 15 and len(path) <= 6:
    outcomes = [transitions[path[-1]][a][0] for a in range(4)]
    best = max(outcomes, key=lambda o: o[2] + gamma * (1 - o[3]) * values[o[1]])
    path.append(best[1])
  assert len(path) == 7 and path[-1] == 15
  np.testing.assert_allclose(values[path[:-1]], v_star[path[:-1]], atol=0.01)
  assert np.all(returns[-10:] == 1.)


if __name__ == '__main__':
  sys.exit(pytest.main([__file__]))
