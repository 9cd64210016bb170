"""Losses and targets of value-based and policy-gradient agents.

Shapes: B is the batch, A the number of discrete actions, T the time axis,
U the continuous action dimension. The one-step targets weight the bootstrap
by a transition's `discount` d in [0, 1] (trfl's pcont): 0 at a termination,
which bootstraps nothing but keeps its reward, 1 otherwise (a time-limit
truncation included), and gamma^(m-1) d_{t+m-1} for an m-step transition
(`graphrl.n_step`, `graphrl.frame_replay`). Bootstrapped targets are wrapped
in `tf.stop_gradient`.
"""

import collections

import numpy as np

from graphrl import shape_checks
from graphrl.compat import tf

# `td_loss`: the weighted mean loss (scalar) and the TD errors [B].
TDLoss = collections.namedtuple('TDLoss', ['loss', 'td'])
# `quantile_huber_loss`: the weighted mean loss (scalar) and the per-sample
# losses [B].
QuantileLoss = collections.namedtuple('QuantileLoss', ['loss', 'per_sample'])
# `actor_critic_loss`: the total loss (scalar) and a dict of its terms.
ActorCriticLoss = collections.namedtuple('ActorCriticLoss', ['total', 'terms'])


def _check_same_shape(first, second, what):
  if not first.shape.is_compatible_with(second.shape):
    raise ValueError('%s must have the same shape, got %s and %s'
                     % (what, first.shape, second.shape))


def action_values(q, action):
  """Q(s_i, a_i) of each sample's own action: out[i] = q[i, action[i]].

  Args:
    q: float [B, A], or quantiles [B, A, N].
    action: int [B], each in [0, A).

  Returns:
    float [B], or [B, N] for quantiles.
  """
  shape_checks.check_rank(q, (2, 3), 'q')
  shape_checks.check_rank(action, 1, 'action')
  return tf.gather(q, action, axis=1, batch_dims=1)


def one_step_target(reward, discount, next_q_target, gamma):
  """One-step target y = r + gamma * discount * Q_T(s').

  Q_T(s') is a target network's value of the next state: Q_T(s', mu_T(s'))
  gives DDPG's critic target, and `q_learning_target`, `double_q_target` and
  `clipped_double_q_target` pick it from several values.

  Args:
    reward: float [B].
    discount: float [B], d in [0, 1].
    next_q_target: float [B], the target value of the next state.
    gamma: discount factor.

  Returns:
    float [B], gradient-stopped.
  """
  shape_checks.check_rank(reward, 1, 'reward')
  _check_same_shape(reward, discount, 'reward and discount')
  _check_same_shape(reward, next_q_target, 'reward and next_q_target')
  # 1 - (1 - d) is d exactly for d = 0 and d >= 0.5 (Sterbenz). Written so,
  # the target has the ops of the seeded runs of tests/loop_returns.json:
  # TF1 derives the seed of each random op built later from the op count.
  discount = 1. - (1. - tf.cast(discount, reward.dtype))
  return tf.stop_gradient(reward + gamma * discount * next_q_target)


def clipped_double_q_target(reward, discount, next_q_targets, gamma):
  """TD3's target y = r + gamma * discount * min_k Q_Tk(s', a').

  Fujimoto et al. 2018: the smaller of K target critics' values counters
  the overestimation of one; with K = 1 it is `one_step_target`.

  Args:
    reward: float [B].
    discount: float [B], d in [0, 1].
    next_q_targets: float [K, B], each target critic's value of (s', a').
    gamma: discount factor.

  Returns:
    float [B], gradient-stopped.
  """
  shape_checks.check_rank(next_q_targets, 2, 'next_q_targets')
  return one_step_target(
      reward, discount, tf.reduce_min(next_q_targets, axis=0), gamma)


def smoothed_target_action(action, noise, noise_clip, low, high):
  """TD3's target policy smoothing a' = clip(a + h clip(n, -c, c), low, high).

  h = (high - low) / 2 is the half action range, so `noise` n and the clip
  c are in half ranges (for bounds [-1, 1], in action units).

  Args:
    action: float [B, U], mu_T(s') of the target actor.
    noise: float [B, U], e.g. N(0, sigma^2) samples.
    noise_clip: c > 0.
    low, high: float [U] (or scalars), the action bounds.

  Returns:
    float [B, U], gradient-stopped.
  """
  shape_checks.check_rank(action, 2, 'action')
  _check_same_shape(action, noise, 'action and noise')
  half_range = (tf.cast(high, action.dtype) - tf.cast(low, action.dtype)) / 2.
  smoothed = action + half_range * tf.clip_by_value(noise, -noise_clip,
                                                    noise_clip)
  return tf.stop_gradient(tf.clip_by_value(smoothed, low, high))


def q_learning_target(reward, discount, next_q_target, gamma):
  """Q-learning target y = r + gamma * discount * max_a' Q_T(s', a').

  Args:
    reward: float [B].
    discount: float [B], d in [0, 1].
    next_q_target: float [B, A], target-network Q-values of the next state.
    gamma: discount factor.

  Returns:
    float [B], gradient-stopped.
  """
  shape_checks.check_rank(next_q_target, 2, 'next_q_target')
  return one_step_target(
      reward, discount, tf.reduce_max(next_q_target, axis=1), gamma)


def double_q_target(reward, discount, next_q_online, next_q_target, gamma):
  """Double-Q target y = r + gamma * discount * Q_T(s', argmax_a Q(s', a)).

  The online network picks the next action, the target network values it.

  Args:
    reward: float [B].
    discount: float [B], d in [0, 1].
    next_q_online: float [B, A], online Q-values of the next state.
    next_q_target: float [B, A], target-network Q-values of the next state.
    gamma: discount factor.

  Returns:
    float [B], gradient-stopped.
  """
  shape_checks.check_rank(next_q_online, 2, 'next_q_online')
  _check_same_shape(next_q_online, next_q_target,
                    'next_q_online and next_q_target')
  next_action = tf.argmax(next_q_online, axis=1, output_type=tf.int32)
  return one_step_target(
      reward, discount, action_values(next_q_target, next_action), gamma)


def td_loss(q_sa, target, kind='mse', weights=None, huber_delta=1.):
  """Weighted mean TD loss and the per-sample TD errors.

  td = target - q_sa; per-sample loss l(td) is
    'mse':   0.5 * td^2 (gradient -td, as in the seed's Keras DQN);
    'huber': 0.5 * td^2 if |td| <= delta else delta * (|td| - 0.5 * delta).
  loss = mean_i(w_i * l(td_i)), w = importance-sampling weights (default 1).
  `target` should already be gradient-stopped (the target builders are).

  Args:
    q_sa: float [B], Q(s, a) of the taken actions.
    target: float [B].
    kind: 'mse' or 'huber'.
    weights: optional float [B].
    huber_delta: positive float, where Huber turns linear.

  Returns:
    A `TDLoss` (loss, td): the float scalar loss and the TD errors td [B]
    (e.g. for replay priorities |td|).
  """
  shape_checks.check_rank(q_sa, 1, 'q_sa')
  _check_same_shape(q_sa, target, 'q_sa and target')
  td = target - q_sa
  if kind == 'mse':
    per_sample = 0.5 * tf.square(td)
  elif kind == 'huber':
    if huber_delta <= 0:
      raise ValueError('huber_delta must be > 0, got %s' % huber_delta)
    per_sample = _huber(td, huber_delta)
  else:
    raise ValueError("kind must be 'mse' or 'huber', got %r" % (kind,))
  if weights is not None:
    _check_same_shape(q_sa, weights, 'q_sa and weights')
    per_sample *= weights
  return TDLoss(tf.reduce_mean(per_sample), td)


def _huber(x, delta):
  """Elementwise Huber loss: 0.5 x^2 if |x| <= delta, else
  delta * (|x| - 0.5 * delta)."""
  abs_x = tf.abs(x)
  quadratic = tf.minimum(abs_x, delta)
  # 0.5 q^2 + delta (|x| - q), q = min(|x|, delta): both branches at once.
  return 0.5 * tf.square(quadratic) + delta * (abs_x - quadratic)


def quantile_target(reward, discount, next_quantiles, next_q, gamma):
  """QR-DQN's target samples T_j = r + gamma * discount * theta_j(s', a*).

  Dabney et al. 2018, Algorithm 1: a* = argmax_a next_q(s', a), with
  next_q the mean over j of the target quantiles theta_j(s', a) (Q-learning)
  or of the online network's (Double DQN); theta_j(s', a*) are the target
  network's quantiles of a*.

  Args:
    reward: float [B].
    discount: float [B], d in [0, 1].
    next_quantiles: float [B, A, N], target-network quantiles of s'.
    next_q: float [B, A], the values that choose a*.
    gamma: discount factor.

  Returns:
    float [B, N], gradient-stopped.
  """
  shape_checks.check_rank(reward, 1, 'reward')
  _check_same_shape(reward, discount, 'reward and discount')
  shape_checks.check_rank(next_quantiles, 3, 'next_quantiles')
  shape_checks.check_rank(next_q, 2, 'next_q')
  _check_same_shape(next_q, next_quantiles[:, :, 0],
                    'next_q and next_quantiles[:, :, 0]')
  next_action = tf.argmax(next_q, axis=1, output_type=tf.int32)
  next_theta = action_values(next_quantiles, next_action)
  discount = tf.cast(discount, reward.dtype)
  return tf.stop_gradient(
      reward[:, None] + gamma * discount[:, None] * next_theta)


def quantile_huber_loss(quantiles, target, kappa=1., weights=None):
  """QR-DQN's quantile Huber loss (Dabney et al. 2018, eq. 9-10).

  For sample b with N predicted quantiles theta_i [B, N] of its action and
  M target samples T_j [B, M] (`quantile_target`, M = N in QR-DQN):
    u_ij = T_j - theta_i                                      [B, N, M]
    tau_i = (2i - 1) / (2N),  i = 1..N   (the quantile midpoints)
    rho_ij = |tau_i - 1{u_ij < 0}| * L_kappa(u_ij) / kappa,
    L_kappa(u) = 0.5 u^2 if |u| <= kappa else kappa (|u| - 0.5 kappa),
    l_b = sum_i mean_j rho_ij                                  [B]
    loss = mean_b w_b * l_b,  w = importance-sampling weights (default 1).
  Minimising it moves theta_i towards the tau_i-quantile of the targets.
  `target` should already be gradient-stopped (`quantile_target` is).

  Args:
    quantiles: float [B, N], with N static.
    target: float [B, M].
    kappa: positive float, where L_kappa turns linear.
    weights: optional float [B].

  Returns:
    A `QuantileLoss` (loss, per_sample): the float scalar loss and l [B]
    (e.g. for replay priorities).
  """
  shape_checks.check_rank(quantiles, 2, 'quantiles')
  shape_checks.check_rank(target, 2, 'target')
  _check_same_shape(quantiles[:, 0], target[:, 0],
                    'the batch of quantiles and target')
  if kappa <= 0:
    raise ValueError('kappa must be > 0, got %s' % kappa)
  num_quantiles = quantiles.shape.as_list()[1]
  if num_quantiles is None:
    raise ValueError('quantiles need a static N, got shape %s'
                     % quantiles.shape)
  tau = (2. * np.arange(1, num_quantiles + 1) - 1.) / (2. * num_quantiles)
  tau = tf.constant(tau[:, None], quantiles.dtype)                # [N, 1]
  u = target[:, None, :] - quantiles[:, :, None]                # [B, N, M]
  below = tf.cast(u < 0., u.dtype)
  rho = tf.abs(tau - below) * _huber(u, kappa) / kappa
  per_sample = tf.reduce_sum(tf.reduce_mean(rho, axis=2), axis=1)
  weighted = per_sample
  if weights is not None:
    _check_same_shape(per_sample, weights,
                      'the batch of quantiles and weights')
    weighted = per_sample * weights
  return QuantileLoss(tf.reduce_mean(weighted), per_sample)


def reinforce_loss(logits, actions, advantages):
  """REINFORCE loss -mean_i(A_i * log pi(a_i | s_i)), log pi = log_softmax.

  Args:
    logits: float [B, A], unnormalized log-probabilities.
    actions: int [B].
    advantages: float [B] (returns or advantages), gradient-stopped here.

  Returns:
    float scalar.
  """
  shape_checks.check_rank(advantages, 1, 'advantages')
  log_pi = action_values(tf.nn.log_softmax(logits), actions)
  _check_same_shape(log_pi, advantages, 'actions and advantages')
  return -tf.reduce_mean(tf.stop_gradient(advantages) * log_pi)


def actor_critic_loss(logits, values, actions, returns, value_coef=0.5,
                      entropy_coef=0.01):
  """Advantage actor-critic loss on a shared policy/value network.

  adv = stop_gradient(R - V(s));  policy = -mean(adv * log pi(a|s));
  value = mean((R - V(s))^2), R gradient-stopped (as in the lecture and A2C);
  entropy = mean(-sum_a pi log pi);
  total = policy + value_coef * value - entropy_coef * entropy.

  Args:
    logits: float [B, A], policy head.
    values: float [B], value head (not [B, 1]).
    actions: int [B].
    returns: float [B], e.g. from `discounted_returns`.
    value_coef: weight of the value loss.
    entropy_coef: weight of the entropy bonus.

  Returns:
    An `ActorCriticLoss` (total, terms): the float scalar total and a dict
    of the float scalars 'policy', 'value' and 'entropy'.
  """
  shape_checks.check_rank(values, 1, 'values')
  _check_same_shape(values, returns, 'values and returns')
  returns = tf.stop_gradient(returns)
  policy = reinforce_loss(logits, actions, returns - values)
  value = tf.reduce_mean(tf.square(returns - values))
  probs = tf.nn.softmax(logits)
  entropy = tf.reduce_mean(
      -tf.reduce_sum(probs * tf.nn.log_softmax(logits), axis=1))
  total = policy + value_coef * value - entropy_coef * entropy
  return ActorCriticLoss(
      total, {'policy': policy, 'value': value, 'entropy': entropy})


def discounted_returns(rewards, dones, bootstrap, gamma):
  """Discounted returns G_t = r_t + gamma * (1 - done_t) * G_{t+1}, G_T = boot.

  Computed in the graph by a reverse `tf.scan` over time; a done at step t
  cuts the return there, so episodes within a row do not mix.

  Args:
    rewards: float [B, T].
    dones: bool or float [B, T], true where step t ended an episode.
    bootstrap: float [B], value estimate of the state after step T-1.
    gamma: discount factor.

  Returns:
    float [B, T].
  """
  shape_checks.check_rank(rewards, 2, 'rewards')
  _check_same_shape(rewards, dones, 'rewards and dones')
  shape_checks.check_rank(bootstrap, 1, 'bootstrap')
  if not rewards.shape[:1].is_compatible_with(bootstrap.shape):
    raise ValueError('bootstrap must be [B] for rewards [B, T], got %s and %s'
                     % (bootstrap.shape, rewards.shape))
  discounts = gamma * (1. - tf.cast(dones, rewards.dtype))
  time_major = tf.scan(
      lambda future, elems: elems[0] + elems[1] * future,
      (tf.transpose(rewards), tf.transpose(discounts)),
      initializer=tf.cast(bootstrap, rewards.dtype), reverse=True)
  return tf.transpose(time_major)


def bootstrapped_returns(rewards, discounts, lasts, next_values, gamma):
  """Returns of stored trajectories that bootstrap at episode and row ends.

  G_t = r_t + gamma * d_t * V(s_{t+1})  if step t ends an episode or the row
  G_t = r_t + gamma * G_{t+1}           otherwise

  with d_t the discount of the step into s_{t+1}: 0 at a termination, so
  G_t = r_t, and 1 at a time-limit truncation, which bootstraps from the
  final observation's value. At the row end (t = T - 1) this is the n-step
  return. Steps within an episode must have discount 1 (as environments
  give). Pass next_values = 0 for Monte-Carlo returns without a critic.

  Args:
    rewards: float [B, T].
    discounts: float [B, T], d_t.
    lasts: bool [B, T], true where step t ends an episode.
    next_values: float [B, T], V(s_{t+1}); gradient-stopped here.
    gamma: discount factor.

  Returns:
    float [B, T].
  """
  shape_checks.check_rank(rewards, 2, 'rewards')
  for tensor, what in ((discounts, 'discounts'), (lasts, 'lasts'),
                       (next_values, 'next_values')):
    _check_same_shape(rewards, tensor, 'rewards and ' + what)
  next_values = tf.stop_gradient(next_values)
  lasts = tf.cast(lasts, rewards.dtype)
  ends = rewards + gamma * discounts * lasts * next_values
  return discounted_returns(ends, lasts, next_values[:, -1], gamma)


def categorical_entropy(logits):
  """Entropy H(pi) = -sum_a pi(a) log pi(a) of pi = softmax(logits).

  Args:
    logits: float [B, A].

  Returns:
    float [B].
  """
  shape_checks.check_rank(logits, 2, 'logits')
  return -tf.reduce_sum(
      tf.nn.softmax(logits) * tf.nn.log_softmax(logits), axis=1)


def dpg_lecture_loss(action, qvalue, clip=True):
  """Deterministic policy gradient as a regression towards a + dQ/da.

  d = dQ/da (clipped to [-1, 1] if `clip`); target = stop_gradient(a + d);
  loss = mean_i sum_u (target - a)^2, whose gradient w.r.t. a is -2 d, so
  descending it moves mu(s) along d, like `dpg_loss` (up to scale and clip).

  Args:
    action: float [B, U], mu(s) from the actor.
    qvalue: float [B], Q(s, mu(s)) from the critic.
    clip: whether to clip dQ/da to [-1, 1].

  Returns:
    float scalar.
  """
  shape_checks.check_rank(action, 2, 'action')
  shape_checks.check_rank(qvalue, 1, 'qvalue')
  direction = tf.gradients(qvalue, action)[0]
  if direction is None:
    raise ValueError('qvalue does not depend on action')
  if clip:
    direction = tf.clip_by_value(direction, -1., 1.)
  target = tf.stop_gradient(action + direction)
  return tf.reduce_mean(tf.reduce_sum(tf.square(target - action), axis=-1))


def dpg_loss(qvalue_of_actor_action):
  """Deterministic policy gradient loss -mean_i Q(s_i, mu(s_i)).

  Minimise it w.r.t. the actor's variables only (the critic's are constants).

  Args:
    qvalue_of_actor_action: float [B], Q(s, mu(s)).

  Returns:
    float scalar.
  """
  shape_checks.check_rank(
      qvalue_of_actor_action, 1, 'qvalue_of_actor_action')
  return -tf.reduce_mean(qvalue_of_actor_action)
