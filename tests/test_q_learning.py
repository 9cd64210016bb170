"""Tests for graphrl.tabular.q_learning."""

import sys

import numpy as np
import pytest

from graphrl import envs
from graphrl import schedules
from graphrl.compat import tf
from graphrl.envs import py_environment
from graphrl.envs import specs
from graphrl.envs import time_step as ts
from graphrl.tabular import q_learning

# Q(s, a) for 3 states and 2 actions; max_a' Q(1, a') = 3.
_Q = [[0., 0.], [1., 3.], [0., 0.]]


def _learner(sess, values=_Q, alpha=0.5, gamma=0.9, epsilon=0.):
  """A QLearning whose table Q is set to `values`."""
  values = np.asarray(values, np.float32)
  learner = q_learning.QLearning(*values.shape, alpha, gamma, epsilon)
  sess.run(tf.global_variables_initializer())
  sess.run(learner.table.assign(values))
  return learner


def _update(sess, learner, state, action, reward, discount, next_state):
  """Runs `update` for a transition; returns (new entry, Q, step)."""
  feed = learner.feed(state, action, reward, discount, next_state, 0)
  new = sess.run(learner.update, feed)
  return new, sess.run(learner.table), sess.run(learner.step)


def test_update(sess):
  learner = _learner(sess, alpha=0.5, gamma=0.9)
  new, values, step = _update(sess, learner, 0, 1, 1., 1., 1)
  # y = 1 + 0.9 * max(1, 3) = 3.7; Q(0, 1) = 0.5 * 0 + 0.5 * 3.7 = 1.85.
  np.testing.assert_allclose(new, 1.85, rtol=1e-6)
  np.testing.assert_allclose(values, [[0., 1.85], [1., 3.], [0., 0.]],
                             rtol=1e-6)
  assert step == 1


def test_erratum_update_discounts_by_gamma(sess):
  learner = _learner(sess, alpha=1., gamma=0.5)
  # y = 0 + 0.5 * max(1, 3) = 1.5; the lecture's r + max_a' Q(s', a')
  # gives 3.
  new, _, _ = _update(sess, learner, 0, 0, 0., 1., 1)
  assert new == 1.5


def test_erratum_terminal_state_does_not_bootstrap(sess):
  learner = _learner(sess, alpha=1., gamma=1.)
  # s' = 1 is terminal (discount 0): y = r = 1; the lecture's
  # r + max_a' Q(s', a') gives 1 + 3 = 4.
  new, _, _ = _update(sess, learner, 0, 0, 1., 0., 1)
  assert new == 1.


def test_acts_greedily_without_exploration(sess):
  learner = _learner(sess)
  feed = {learner.act_state: 1}
  # argmax(1, 3) = 1.
  assert sess.run([learner.act, learner.greedy_action], feed) == [1, 1]


def test_update_and_act_acts_on_the_updated_table(sess):
  learner = _learner(sess, np.zeros([2, 4]), alpha=0.5)
  # Q(0, .) = 0 picks action 0; the update sets Q(0, 2) = 0.5 * 1 = 0.5
  # (terminal, reward 1), so the action at state 0 in the same run is 2.
  feed = learner.feed(0, 2, 1., 0., 1, 0)
  assert sess.run(learner.update_and_act, feed) == 2


def test_epsilon_follows_its_schedule_of_the_step(sess):
  # epsilon = 1 at step 0, exactly 0 from step 2 on.
  learner = _learner(
      sess, [[0., 0., 1., 0.], [0., 0., 0., 0.]],
      epsilon=lambda step: schedules.exponential_decay(step, 2, 1., 0.))
  feed = {learner.act_state: 0}
  # Uniform actions: 200 greedy ones in a row have probability 0.25^200.
  assert {sess.run(learner.act, feed) for _ in range(200)} != {2}
  for _ in range(2):
    sess.run(learner.update, learner.feed(1, 0, 0., 0., 1, 0))
  assert {sess.run(learner.act, feed) for _ in range(200)} == {2}


@pytest.mark.usefixtures('graph')
@pytest.mark.parametrize('args, match', [
    ((0, 2), 'num_states'),
    ((2, 0), 'num_actions'),
    ((2, 2, 0.), 'alpha'),
    ((2, 2, 0.1, 1.5), 'gamma'),
    ((2, 2, 0.1, 0.9, -0.1), 'epsilon'),
])
def test_rejects_bad_arguments(args, match):
  with pytest.raises(ValueError, match=match):
    q_learning.QLearning(*args)


def test_rejects_actions_out_of_range(sess):
  learner = _learner(sess)
  with pytest.raises(tf.errors.InvalidArgumentError,
                     match=r'action must lie in \[0, 2\)'):
    sess.run(learner.update, learner.feed(0, 2, 0., 1., 1, 0))


class _OneStep(py_environment.PyEnvironment):
  """Starts in state 0; any action ends the episode in state 1, reward 1."""

  def observation_spec(self):
    return specs.BoundedArraySpec((), np.int64, 0, 1)

  def action_spec(self):
    return specs.BoundedArraySpec((), np.int64, 0, 1)

  def _reset(self):
    return ts.restart(np.int64(0))

  def _step(self, action):
    return ts.termination(np.int64(1), 1.)


def test_train_loop():
  table, returns = q_learning.train_q_learning(
      _OneStep(), 3, alpha=0.5, gamma=0.9, epsilon=0.)
  # Greedy on ties takes action 0; each step is an episode with return 1
  # and Q(0, 0) <- 0.5 * Q(0, 0) + 0.5 * 1: 0.5, 0.75, 0.875. The terminal
  # state 1 is never updated.
  np.testing.assert_array_equal(table, [[0.875, 0.], [0., 0.]])
  np.testing.assert_array_equal(returns, [1., 1., 1.])


class _FromOne(_OneStep):
  """States numbered 1 and 2."""

  def observation_spec(self):
    return specs.BoundedArraySpec((), np.int64, 1, 2)


def test_train_rejects_states_not_numbered_from_zero():
  with pytest.raises(ValueError, match='numbered from 0'):
    q_learning.train_q_learning(_FromOne(), 1)


def test_reaches_goal_on_deterministic_frozen_lake():
  # The 4x4 map, states numbered row by row:
  #   S F F F      0  1  2  3
  #   F H F H      4  5  6  7
  #   F F F H      8  9 10 11
  #   H F F G     12 13 14 15
  # Entering the goal G pays 1, so Q*(s, a) = gamma^(d - 1) for an action
  # leading to a state d - 1 steps from G. The start is 6 steps away
  # (0 -> 4 -> 8 -> 9 -> 13 -> 14 -> 15): max_a Q*(0, a) = gamma^5; the
  # lecture's update (gamma = 1) would converge to 1.
  gamma = 0.9
  env = envs.load('FrozenLake-v1', seed=0, is_slippery=False)
  table, _ = q_learning.train_q_learning(env, 8000, alpha=0.5, gamma=gamma,
                                         seed=0)
  np.testing.assert_allclose(table[0].max(), gamma**5, atol=0.05)
  # The greedy policy walks a shortest path.
  rollout = envs.load('FrozenLake-v1', seed=0, is_slippery=False)
  time_step = rollout.reset()
  for _ in range(6):
    time_step = rollout.step(table[time_step.observation].argmax())
  assert time_step.is_last() and time_step.reward == 1.


def _success_probability(transitions, policy, horizon=100):
  """P(reach the goal within `horizon` steps) from state 0, exactly.

  x_k(s) = sum_s' P(s'|s, pi(s)) (r + (1 - terminated) x_{k-1}(s')), with
  x_0 = 0: the reward 1 is only paid on entering the goal.
  """
  success = np.zeros(len(transitions))
  for _ in range(horizon):
    success = np.array([
        sum(p * (r + (1 - done) * success[s2])
            for p, s2, r, done in transitions[s][policy[s]])
        for s in range(len(transitions))])
  return success[0]


def test_near_optimal_on_slippery_frozen_lake():
  gamma = 0.95
  env = envs.load('FrozenLake-v1', seed=0, is_slippery=True)
  transitions = env.gym_env.unwrapped.P
  # Q* by value iteration: Q(s, a) <- sum_s' P(s'|s, a) (r + gamma
  # (1 - terminated) max_a' Q(s', a')); 1000 sweeps bring the error below
  # gamma^1000 < 1e-22.
  q_star = np.zeros([16, 4])
  for _ in range(1000):
    v = q_star.max(axis=1)
    q_star = np.array([[sum(p * (r + gamma * (1 - done) * v[s2])
                            for p, s2, r, done in transitions[s][a])
                        for a in range(4)] for s in range(16)])
  optimum = _success_probability(transitions, q_star.argmax(axis=1))
  table, _ = q_learning.train_q_learning(env, 20000, alpha=0.1, gamma=gamma,
                                         seed=0)
  learned = _success_probability(transitions, table.argmax(axis=1))
  # The optimal policy reaches the goal within the time limit of 100 steps
  # with probability 0.730. Changing its action in one state costs at most
  # 0.037 in the rarely visited states 1-3 (top row) and at least 0.061 in
  # every other non-terminal state (e.g. 0.669 for state 6), so 0.05 admits
  # only policies that agree with it where it matters. Shorter runs fail:
  # 10000 steps learn policies with 0.29 and 0.64.
  assert learned >= optimum - 0.05


if __name__ == '__main__':
  sys.exit(pytest.main([__file__]))
