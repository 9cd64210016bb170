"""Tests for graphrl.losses with small hand-computed examples."""

import sys

import numpy as np
import pytest

from graphrl import losses
from graphrl.compat import tf

LN3 = np.log(3.)


def _const(value, dtype=tf.float32):
  return tf.constant(value, dtype)


def test_action_values(sess):
  # q = [[1, 2], [3, 4]], a = [1, 0] -> [q[0, 1], q[1, 0]] = [2, 3].
  out = losses.action_values(_const([[1., 2.], [3., 4.]]), _const([1, 0],
                                                                   tf.int32))
  np.testing.assert_allclose(sess.run(out), [2., 3.])


def test_q_learning_target(sess):
  # max_a' Q_T = [5, -2]; gamma = 0.5: y = [1 + 0.5 * 5, 2 + 0.5 * -2]
  # = [3.5, 1].
  next_q = _const([[1., 5.], [-2., -3.]])
  target = losses.q_learning_target(
      _const([1., 2.]), _const([1., 1.]), next_q, 0.5)
  np.testing.assert_allclose(sess.run(target), [3.5, 1.])
  assert tf.gradients(target, next_q) == [None]  # Gradient-stopped.


def test_double_q_target(sess):
  # Online argmax per row: [1, 0, 2] -> 2, [5, 4, 3] -> 0, [0, 9, 1] -> 1.
  # Target values there: [30, 40, 80]. gamma = 0.9, r = [0, 1, 2] and the
  # third transition is terminal (discount 0): y = [0 + 27, 1 + 36, 2]
  # = [27, 37, 2].
  # (Plain max over the target row would give [27, 1 + 54, 2].)
  online = _const([[1., 0., 2.], [5., 4., 3.], [0., 9., 1.]])
  target_q = _const([[10., 20., 30.], [40., 50., 60.], [70., 80., 90.]])
  target = losses.double_q_target(
      _const([0., 1., 2.]), _const([1., 1., 0.]), online, target_q, 0.9)
  assert target.shape.as_list() == [3]
  np.testing.assert_allclose(sess.run(target), [27., 37., 2.], rtol=1e-6)
  assert tf.gradients(target, [online, target_q]) == [None, None]


def test_one_step_target(sess):
  # y = [1 + 0.99 * 0 (terminal), -1 + 0.99 * 4] = [1, 2.96].
  target = losses.one_step_target(
      _const([1., -1.]), _const([0., 1.]), _const([10., 4.]), 0.99)
  np.testing.assert_allclose(sess.run(target), [1., 2.96], rtol=1e-6)


def test_one_step_target_of_an_n_step_discount(sess):
  # A 3-step transition with gamma = 0.9 stores d = 0.9^2 = 0.81:
  # y = 1 + 0.9 * 0.81 * 10 = 1 + 7.29 = 8.29.
  target = losses.one_step_target(
      _const([1.]), _const([0.81]), _const([10.]), 0.9)
  np.testing.assert_allclose(sess.run(target), [8.29], rtol=1e-6)


def test_clipped_double_q_target(sess):
  # min over the critics (rows) = [2, -3]; y = [1 + 0.9 * 2, 0 + 0] (the
  # second is terminal) = [2.8, 0].
  target = losses.clipped_double_q_target(
      _const([1., 0.]), _const([1., 0.]), _const([[2., 5.], [4., -3.]]), 0.9)
  np.testing.assert_allclose(sess.run(target), [2.8, 0.], rtol=1e-6)


def test_clipped_double_q_target_of_one_critic_is_the_one_step_target(sess):
  reward, discount = _const([1., -1.]), _const([0., 1.])
  next_q = _const([10., 4.])
  np.testing.assert_allclose(
      *sess.run([losses.clipped_double_q_target(reward, discount, next_q[None],
                                                0.99),
                 losses.one_step_target(reward, discount, next_q, 0.99)]))


def test_smoothed_target_action(sess):
  # Bounds [-2, 2] x [0, 1]: half ranges h = [2, 0.5]; c = 0.5.
  # Row 0: n = [0.1, 2] -> clip [0.1, 0.5] -> a + h n = [0.2 + 0.2,
  #   0.5 + 0.25] = [0.4, 0.75].
  # Row 1: n = [-3, -0.2] -> [-0.5, -0.2] -> [1.5 - 1, 0.1 - 0.1] = [0.5, 0].
  # Row 2: n = [0.5, 0.5] -> [1.9 + 1, 0.9 + 0.25] = [2.9, 1.15] -> clipped
  #   to the bounds [2, 1].
  action = _const([[0.2, 0.5], [1.5, 0.1], [1.9, 0.9]])
  noise = _const([[0.1, 2.], [-3., -0.2], [0.5, 0.5]])
  smoothed = losses.smoothed_target_action(
      action, noise, 0.5, np.array([-2., 0.], np.float32),
      np.array([2., 1.], np.float32))
  np.testing.assert_allclose(
      sess.run(smoothed), [[0.4, 0.75], [0.5, 0.], [2., 1.]], atol=1e-6)
  assert tf.gradients(smoothed, action) == [None]


def test_td_loss_mse(sess):
  # td = target - q = [1, -2]; 0.5 * td^2 = [0.5, 2]; mean = 1.25.
  # d loss / d q = mean of -td per sample = [-1, 2] / 2 = [-0.5, 1].
  q = _const([1., 2.])
  result = losses.td_loss(q, _const([2., 0.]))
  assert isinstance(result, losses.TDLoss)
  loss, td = result
  assert result.loss is loss and result.td is td
  got_loss, got_td, grad = sess.run([loss, td, tf.gradients(loss, q)[0]])
  np.testing.assert_allclose(got_loss, 1.25)
  np.testing.assert_allclose(got_td, [1., -2.])
  np.testing.assert_allclose(grad, [-0.5, 1.])


def test_td_loss_huber(sess):
  # delta = 1: |td| = 0.5 -> 0.5 * 0.25 = 0.125; |td| = 2 -> 1 * (2 - 0.5)
  # = 1.5 for both signs; mean = (0.125 + 1.5 + 1.5) / 3 = 1.0416667.
  q = _const([0., 0., 0.])
  loss, _ = losses.td_loss(q, _const([0.5, 2., -2.]), kind='huber')
  # Gradient: -td in the quadratic part, -delta * sign(td) in the linear part,
  # divided by B = 3: [-0.5, -1, 1] / 3.
  got_loss, grad = sess.run([loss, tf.gradients(loss, q)[0]])
  np.testing.assert_allclose(got_loss, 3.125 / 3, rtol=1e-6)
  np.testing.assert_allclose(grad, np.array([-0.5, -1., 1.]) / 3, rtol=1e-6)


def test_td_loss_huber_delta(sess):
  # delta = 2: |td| = 2 -> 0.5 * 4 = 2 (quadratic edge);
  # |td| = 3 -> 2 * (3 - 1) = 4; mean = 3.
  loss, _ = losses.td_loss(
      _const([0., 0.]), _const([2., -3.]), kind='huber', huber_delta=2.)
  np.testing.assert_allclose(sess.run(loss), 3.)


def test_td_loss_importance_weights(sess):
  # 0.5 * td^2 = [0.5, 2]; weights [2, 0.5] -> [1, 1]; mean = 1.
  # TD errors are returned unweighted: [1, 2].
  loss, td = losses.td_loss(
      _const([0., 0.]), _const([1., 2.]), weights=_const([2., 0.5]))
  got_loss, got_td = sess.run([loss, td])
  np.testing.assert_allclose(got_loss, 1.)
  np.testing.assert_allclose(got_td, [1., 2.])


def test_action_values_of_quantiles(sess):
  # theta [B=2, A=2, N=2], a = [1, 0] -> [theta[0, 1], theta[1, 0]].
  theta = _const([[[1., 2.], [3., 4.]], [[5., 6.], [7., 8.]]])
  out = losses.action_values(theta, _const([1, 0], tf.int32))
  np.testing.assert_allclose(sess.run(out), [[3., 4.], [5., 6.]])


def test_quantile_target(sess):
  # Sample 0: means over the quantiles of a' = 0 and 1 are 2.25 and 2.5, so
  # a* = 1 (the largest single quantile, 4.5, is a' = 0's):
  # T = 1 + 0.5 * [1, 4] = [1.5, 3]. Sample 1 is terminal: T = r = [2, 2].
  next_theta = _const([[[0., 4.5], [1., 4.]], [[9., 9.], [9., 9.]]])
  reward, discount = _const([1., 2.]), _const([1., 0.])
  target = losses.quantile_target(
      reward, discount, next_theta, tf.reduce_mean(next_theta, 2), 0.5)
  assert target.shape.as_list() == [2, 2]
  np.testing.assert_allclose(sess.run(target), [[1.5, 3.], [2., 2.]])
  assert tf.gradients(target, next_theta) == [None]
  # Another chooser (Double DQN's online means) picking a' = 0 in sample 0:
  # T = 1 + 0.5 * [0, 4.5] = [1, 3.25].
  chosen = losses.quantile_target(
      reward, discount, next_theta, _const([[1., 0.], [0., 0.]]), 0.5)
  np.testing.assert_allclose(sess.run(chosen), [[1., 3.25], [2., 2.]])


# theta = [0, 2] (N = 2, tau = [1/4, 3/4]) and T = [-0.5, 3]:
#   u_1j = T_j - 0 = [-0.5, 3],  u_2j = T_j - 2 = [-2.5, 1].
# kappa = 1: L = [0.125, 3 - 0.5 = 2.5] and [2.5 - 0.5 = 2, 0.5];
# weights |tau_i - 1{u < 0}| = [3/4, 1/4] and [1/4, 3/4];
#   i = 1: mean(0.75 * 0.125, 0.25 * 2.5) = (0.09375 + 0.625) / 2 = 0.359375
#   i = 2: mean(0.25 * 2, 0.75 * 0.5) = (0.5 + 0.375) / 2 = 0.4375
#   l = 0.359375 + 0.4375 = 0.796875.
THETA, TARGET, LOSS = [[0., 2.]], [[-0.5, 3.]], 0.796875


def test_quantile_huber_loss(sess):
  theta = _const(THETA)
  result = losses.quantile_huber_loss(theta, _const(TARGET))
  assert isinstance(result, losses.QuantileLoss)
  # d l / d theta_i = -mean_j w_ij clip(u_ij, -1, 1):
  #   i = 1: -(0.75 * -0.5 + 0.25 * 1) / 2 = 0.0625   (theta_1 goes down,
  #          towards the 1/4-quantile of {-0.5, 3})
  #   i = 2: -(0.25 * -1 + 0.75 * 1) / 2 = -0.25      (theta_2 goes up)
  got_loss, got_per_sample, grad = sess.run(
      [result.loss, result.per_sample, tf.gradients(result.loss, theta)[0]])
  np.testing.assert_allclose(got_loss, LOSS, rtol=1e-6)
  np.testing.assert_allclose(got_per_sample, [LOSS], rtol=1e-6)
  np.testing.assert_allclose(grad, [[0.0625, -0.25]], rtol=1e-6)


def test_quantile_huber_loss_of_equal_targets_is_zero(sess):
  # theta = T = [1, 1]: every u_ij = 0, so the loss and its gradient are 0.
  theta = _const([[1., 1.]])
  loss, _ = losses.quantile_huber_loss(theta, _const([[1., 1.]]))
  got_loss, grad = sess.run([loss, tf.gradients(loss, theta)[0]])
  np.testing.assert_allclose(got_loss, 0.)
  np.testing.assert_allclose(grad, [[0., 0.]])


def test_quantile_huber_loss_kappa(sess):
  # kappa = 2 on THETA, TARGET: L_2(u) = 0.5 u^2 for |u| <= 2, else
  # 2 (|u| - 1): [0.125, 4] and [3, 0.5]; divided by kappa = 2:
  #   i = 1: mean(0.75 * 0.0625, 0.25 * 2) = 0.2734375
  #   i = 2: mean(0.25 * 1.5, 0.75 * 0.25) = 0.28125;  l = 0.5546875.
  loss, _ = losses.quantile_huber_loss(_const(THETA), _const(TARGET), 2.)
  np.testing.assert_allclose(sess.run(loss), 0.5546875, rtol=1e-6)
  # kappa -> 0: L_kappa(u) / kappa = |u| - kappa / 2 for |u| > kappa, the
  # quantile regression loss: sum_i mean_j w_ij |u_ij| = (0.75 * 0.5 +
  # 0.25 * 3) / 2 + (0.25 * 2.5 + 0.75 * 1) / 2 = 1.25, less kappa / 2
  # times sum_i mean_j w_ij = 1: 1.25 - 0.0005. (Without the 1/kappa it
  # would be about kappa * 1.25.)
  loss, _ = losses.quantile_huber_loss(_const(THETA), _const(TARGET), 1e-3)
  np.testing.assert_allclose(sess.run(loss), 1.2495, rtol=1e-5)


def test_quantile_huber_loss_weights_and_priorities(sess):
  # Sample 1 as in test_quantile_huber_loss: l = 0.796875. Sample 2:
  # theta = [1, 1], T = [2, 0]: u_ij = [1, -1] for both i, L = 0.5 each;
  #   i = 1: mean(0.25, 0.75) * 0.5 = 0.25;  i = 2: mean(0.75, 0.25) * 0.5
  #   = 0.25;  l = 0.5.
  # IS weights [0.5, 2]: loss = (0.5 * 0.796875 + 2 * 0.5) / 2 = 0.69921875;
  # the per-sample losses (the new priorities) are unweighted.
  loss, per_sample = losses.quantile_huber_loss(
      _const(THETA + [[1., 1.]]), _const(TARGET + [[2., 0.]]),
      weights=_const([0.5, 2.]))
  got_loss, got_per_sample = sess.run([loss, per_sample])
  np.testing.assert_allclose(got_loss, 0.69921875, rtol=1e-6)
  np.testing.assert_allclose(got_per_sample, [LOSS, 0.5], rtol=1e-6)


def test_reinforce_loss(sess):
  # logits [0, ln 3] -> pi = [1, 3] / 4 = [0.25, 0.75].
  # a = [0, 1], A = [1, 2]: loss = -(1 * ln 0.25 + 2 * ln 0.75) / 2
  # = (1.3862944 + 0.5753641) / 2 = 0.9808292.
  logits = _const([[0., LN3], [0., LN3]])
  advantages = _const([1., 2.])
  loss = losses.reinforce_loss(logits, _const([0, 1], tf.int32), advantages)
  np.testing.assert_allclose(sess.run(loss), 0.9808292, rtol=1e-6)
  assert tf.gradients(loss, advantages) == [None]


def test_reinforce_loss_gradient(sess):
  # d(-A log pi(a)) / d logits = -A (onehot(a) - pi); A = 2, a = 1:
  # -2 * ([0, 1] - [0.25, 0.75]) = [0.5, -0.5].
  logits = _const([[0., LN3]])
  loss = losses.reinforce_loss(logits, _const([1], tf.int32), _const([2.]))
  np.testing.assert_allclose(
      sess.run(tf.gradients(loss, logits)[0]), [[0.5, -0.5]], rtol=1e-6)


def test_actor_critic_loss(sess):
  # pi = [0.25, 0.75], a = 1, V = 1, R = 3 -> advantage 2.
  # policy = -2 ln 0.75 = 0.5753641; value = (3 - 1)^2 = 4;
  # entropy = -(0.25 ln 0.25 + 0.75 ln 0.75) = 0.3465736 + 0.2157616
  # = 0.5623351; total = 0.5753641 + 0.5 * 4 - 0.01 * 0.5623351 = 2.5697407.
  values = _const([1.])
  result = losses.actor_critic_loss(
      _const([[0., LN3]]), values, _const([1], tf.int32), _const([3.]))
  assert isinstance(result, losses.ActorCriticLoss)
  total, terms = result
  assert result.total is total and result.terms is terms
  got_total, got = sess.run([total, terms])
  np.testing.assert_allclose(got['policy'], 0.5753641, rtol=1e-6)
  np.testing.assert_allclose(got['value'], 4., rtol=1e-6)
  np.testing.assert_allclose(got['entropy'], 0.5623351, rtol=1e-6)
  np.testing.assert_allclose(got_total, 2.5697407, rtol=1e-6)
  # d total / d V = 0.5 * -2 * (R - V) = -2 (policy term: advantage stopped).
  np.testing.assert_allclose(
      sess.run(tf.gradients(total, values)[0]), [-2.], rtol=1e-6)


def test_discounted_returns(sess):
  # gamma = 0.5. Row 0 ends an episode at t = 1, bootstrap 10:
  # G3 = 4 + 0.5 * 10 = 9; G2 = 3 + 0.5 * 9 = 7.5; G1 = 2 (done);
  # G0 = 1 + 0.5 * 2 = 2. Row 1, no done, bootstrap 0:
  # G3 = 1; G2 = 1.5; G1 = 1.75; G0 = 1.875.
  returns = losses.discounted_returns(
      _const([[1., 2., 3., 4.], [1., 1., 1., 1.]]),
      tf.constant([[False, True, False, False], [False] * 4]),
      _const([10., 0.]), 0.5)
  assert returns.shape.as_list() == [2, 4]
  np.testing.assert_allclose(
      sess.run(returns), [[2., 2., 7.5, 9.], [1.875, 1.75, 1.5, 1.]])


def test_bootstrapped_returns(sess):
  # gamma = 0.5; next_values V(s_{t+1}) = [[10, 20, 30], [10, 20, 30]].
  # Row 0: step 0 terminates (last, d = 0), so G0 = r0 = 1; steps 1, 2 run to
  # the row end: G2 = 3 + 0.5 * V(s_3) = 3 + 15 = 18, G1 = 2 + 0.5 * 18 = 11.
  # Row 1: step 0 is truncated (last, d = 1): G0 = 1 + 0.5 * 10 = 6;
  # step 2 terminates at the row end: G2 = 3; G1 = 2 + 0.5 * 3 = 3.5.
  next_values = _const([[10., 20., 30.], [10., 20., 30.]])
  returns = losses.bootstrapped_returns(
      _const([[1., 2., 3.], [1., 2., 3.]]),
      _const([[0., 1., 1.], [1., 1., 0.]]),
      tf.constant([[True, False, False], [True, False, True]]),
      next_values, 0.5)
  np.testing.assert_allclose(sess.run(returns), [[1., 11., 18.],
                                                 [6., 3.5, 3.]])
  assert tf.gradients(returns, next_values) == [None]


def test_categorical_entropy(sess):
  # Uniform over 3 actions: H = ln 3; a near-deterministic policy: H ~ 0.
  entropy = losses.categorical_entropy(_const([[0., 0., 0.], [0., 0., 50.]]))
  np.testing.assert_allclose(sess.run(entropy), [LN3, 0.], atol=1e-6)


def test_dpg_losses_agree_on_quadratic_critic(sess):
  # Q(a) = -sum_u (a_u - 1)^2, dQ/da = -2 (a - 1).
  # Sample 0, a = [0, 3]: dQ/da = [2, -4], clipped [1, -1], target [1, 2],
  # lecture loss = 1^2 + 1^2 = 2, d/da = -2 (target - a) = [-2, 2];
  # dpg loss per sample = -Q = 1 + 4 = 5, d/da = 2 (a - 1) = [-2, 4].
  # Sample 1, a = [1, 1]: dQ/da = 0, both losses 0 with zero gradient.
  # Means over B = 2: lecture 1, dpg 2.5; gradients are halved.
  action = _const([[0., 3.], [1., 1.]])
  qvalue = -tf.reduce_sum(tf.square(action - 1.), axis=1)
  lecture = losses.dpg_lecture_loss(action, qvalue)
  dpg = losses.dpg_loss(qvalue)
  got = sess.run([lecture, dpg, tf.gradients(lecture, action)[0],
                  tf.gradients(dpg, action)[0]])
  np.testing.assert_allclose(got[0], 1.)
  np.testing.assert_allclose(got[1], 2.5)
  np.testing.assert_allclose(got[2], [[-1., 1.], [0., 0.]])
  np.testing.assert_allclose(got[3], [[-1., 2.], [0., 0.]])
  # Same direction: descending either moves a towards the optimum 1.
  assert np.all(np.sign(got[2]) == np.sign(got[3]))


def test_dpg_lecture_loss_unclipped(sess):
  # Q(a) = -(a - 1)^2 at a = 0: dQ/da = 2, target = 2, loss = 4.
  action = _const([[0.]])
  loss = losses.dpg_lecture_loss(
      action, -tf.reduce_sum(tf.square(action - 1.), 1), clip=False)
  np.testing.assert_allclose(sess.run(loss), 4.)


def test_bad_inputs_raise(graph):
  del graph
  with pytest.raises(ValueError, match="kind must be 'mse' or 'huber'"):
    losses.td_loss(tf.zeros([2]), tf.zeros([2]), kind='l1')
  with pytest.raises(ValueError, match='huber_delta must be > 0'):
    losses.td_loss(tf.zeros([2]), tf.zeros([2]), kind='huber', huber_delta=0)
  with pytest.raises(ValueError, match='q_sa and target'):
    losses.td_loss(tf.zeros([2]), tf.zeros([3]))
  with pytest.raises(ValueError, match='q_sa and weights'):
    losses.td_loss(tf.zeros([2]), tf.zeros([2]), weights=tf.zeros([2, 1]))
  with pytest.raises(ValueError, match='action must have rank 1'):
    losses.action_values(tf.zeros([2, 3]), tf.zeros([2, 1], tf.int32))
  with pytest.raises(ValueError, match='q must have rank 2 or 3'):
    losses.action_values(tf.zeros([2]), tf.zeros([2], tf.int32))
  with pytest.raises(ValueError, match='kappa must be > 0'):
    losses.quantile_huber_loss(tf.zeros([2, 3]), tf.zeros([2, 3]), kappa=0.)
  with pytest.raises(ValueError, match='batch of quantiles and target'):
    losses.quantile_huber_loss(tf.zeros([2, 3]), tf.zeros([1, 3]))
  with pytest.raises(ValueError, match='batch of quantiles and weights'):
    losses.quantile_huber_loss(tf.zeros([2, 3]), tf.zeros([2, 3]),
                               weights=tf.zeros([3]))
  with pytest.raises(ValueError, match='next_q and next_quantiles'):
    losses.quantile_target(tf.zeros([2]), tf.zeros([2]),
                           tf.zeros([2, 4, 3]), tf.zeros([2, 3]), 0.9)
  with pytest.raises(ValueError, match='reward and discount'):
    losses.q_learning_target(tf.zeros([2]), tf.zeros([3]), tf.zeros([2, 4]),
                             0.9)
  with pytest.raises(ValueError, match='next_q_online and next_q_target'):
    losses.double_q_target(tf.zeros([2]), tf.zeros([2]), tf.zeros([2, 4]),
                           tf.zeros([2, 3]), 0.9)
  with pytest.raises(ValueError, match='bootstrap must be'):
    losses.discounted_returns(tf.zeros([2, 5]), tf.zeros([2, 5]),
                              tf.zeros([3]), 0.9)
  with pytest.raises(ValueError, match='does not depend on action'):
    losses.dpg_lecture_loss(tf.zeros([2, 1]), tf.zeros([2]))
  with pytest.raises(ValueError, match='next_q_targets must have rank 2'):
    losses.clipped_double_q_target(tf.zeros([2]), tf.zeros([2]),
                                   tf.zeros([2]), 0.9)
  with pytest.raises(ValueError, match='action and noise'):
    losses.smoothed_target_action(tf.zeros([2, 1]), tf.zeros([2, 2]), 0.5,
                                  -1., 1.)


def test_out_of_range_action_fails_at_run_time(sess):
  out = losses.action_values(tf.zeros([2, 3]), tf.constant([0, 3]))
  with pytest.raises(tf.errors.InvalidArgumentError, match='not in'):
    sess.run(out)


# Errata of the lecture code (/work/shared/seeds/).


def test_erratum_gather_takes_each_samples_action(sess):
  # Seed 000 `tf.gather(q, action)[:, 0]` gathers rows: for q = [[1, 2],
  # [3, 4]], a = [1, 0] that is [q[1, 0], q[0, 0]] = [3, 1], not [2, 3].
  got = sess.run(losses.action_values(
      _const([[1., 2.], [3., 4.]]), _const([1, 0], tf.int32)))
  np.testing.assert_allclose(got, [2., 3.])
  assert not np.allclose(got, [3., 1.])


def test_erratum_terminal_target_keeps_reward(sess):
  # Seed 000 `tf.where(done, zeros, target)` sets terminal targets to 0; the
  # terminal target is the reward: y = [1 + 0.5 * 5, 2] = [3.5, 2].
  target = losses.q_learning_target(
      _const([1., 2.]), _const([1., 0.]),
      _const([[1., 5.], [-2., -3.]]), 0.5)
  np.testing.assert_allclose(sess.run(target), [3.5, 2.])


def test_erratum_double_q_gathers_per_sample(sess):
  # Seed 000 `tf.gather(target_qvalues, future_action)` gathers rows: with
  # argmax [1, 0] it returns the [2, 2] matrix [[3, 4], [1, 2]]. The value of
  # each sample's own argmax action: [Q_T[0, 1], Q_T[1, 0]] = [2, 3];
  # gamma = 1, r = 0 -> y = [2, 3].
  target = losses.double_q_target(
      _const([0., 0.]), _const([1., 1.]), _const([[0., 1.], [1., 0.]]),
      _const([[1., 2.], [3., 4.]]), 1.)
  assert target.shape.as_list() == [2]
  np.testing.assert_allclose(sess.run(target), [2., 3.])


def test_erratum_one_step_target_terminal_keeps_reward(sess):
  # Seed 000 (DPG section) zeroes terminal targets with `tf.where(done, 0,
  # target)`; y = [5 (terminal), 5 + 0.5 * 2 = 6].
  target = losses.one_step_target(
      _const([5., 5.]), _const([0., 1.]), _const([100., 2.]), 0.5)
  np.testing.assert_allclose(sess.run(target), [5., 6.])


def test_erratum_critic_mse_is_computable(sess):
  # Seed 004 `tf.reduce_mean(tf.squared(...))` fails: TF has no `squared`.
  # graphrl: 0.5 * td^2 with td = [3, -1] -> mean([4.5, 0.5]) = 2.5.
  loss, _ = losses.td_loss(_const([0., 1.]), _const([3., 0.]))
  assert not hasattr(tf, 'squared')
  np.testing.assert_allclose(sess.run(loss), 2.5)


def test_erratum_reinforce_uses_log_softmax(sess):
  # Seed 000 takes `tf.log(sum(logits * onehot) + 1e-13)`: for logits
  # [0, ln 3], a = 0 that is ln(1e-13) = -29.93, not ln pi(0) = ln 0.25.
  # loss = -1 * ln 0.25 = 1.3862944.
  loss = losses.reinforce_loss(
      _const([[0., LN3]]), _const([0], tf.int32), _const([1.]))
  np.testing.assert_allclose(sess.run(loss), 1.3862944, rtol=1e-6)


def test_erratum_advantage_stops_gradient(sess):
  # Seed 003 ActorCritic: `actor_loss = -log_probs * deltas` with
  # deltas = q - values not detached, so the policy loss trains the critic
  # (d/dV = log pi(a) = ln 0.75 here). graphrl stops the gradient.
  values = _const([1.])
  _, terms = losses.actor_critic_loss(
      _const([[0., LN3]]), values, _const([1], tf.int32), _const([3.]))
  assert tf.gradients(terms['policy'], values) == [None]


def test_erratum_actor_critic_rejects_column_values(graph):
  # Seed 000: `value = dense(features, 1)` is [B, 1], so `return_ - value`
  # broadcasts to [B, B]. graphrl requires values [B].
  del graph
  with pytest.raises(ValueError, match='values must have rank 1'):
    losses.actor_critic_loss(tf.zeros([3, 2]), tf.zeros([3, 1]),
                             tf.zeros([3], tf.int32), tf.zeros([3]))


def test_erratum_returns_are_per_step(sess):
  # Seed 003 ActorCritic accumulates one scalar q = G_0 over the trajectory
  # and uses it for every step. rewards [1, 1, 1], gamma 0.5, no done,
  # bootstrap 0: G = [1.75, 1.5, 1], not [1.75, 1.75, 1.75].
  returns = losses.discounted_returns(
      _const([[1., 1., 1.]]), tf.zeros([1, 3], tf.bool), _const([0.]), 0.5)
  np.testing.assert_allclose(sess.run(returns), [[1.75, 1.5, 1.]])


def test_erratum_dpg_lecture_loss_reduces_last_axis(sess):
  # Seed 000 `tf.reduce_sum((target - action) ** 2, 2)` fails on [B, U]
  # actions (there is no axis 2). Q(a) = -(a - 1)^2 at a = 0: dQ/da = 2,
  # clipped to 1, target = 1, loss = (1 - 0)^2 = 1 per sample.
  action = _const([[0.], [0.]])
  loss = losses.dpg_lecture_loss(
      action, -tf.reduce_sum(tf.square(action - 1.), 1))
  assert loss.shape.as_list() == []
  np.testing.assert_allclose(sess.run(loss), 1.)


if __name__ == '__main__':
  sys.exit(pytest.main([__file__]))
