"""DDPG (Lillicrap et al., 2016) as one static graph of act, store and train.

Lecture seed 004 and seed 000, section 3.3. An actor mu(s) [B, U] and a
critic Q(s, a) [B], each with a target copy, built like `DQNAgent`: one
`Session.run` per environment step acts, stores the previous transition in
the in-graph replay buffer and, when due, trains:

  act:    a = clip(mu(s) + (high - low) / 2 * n, low, high), with n an
          Ornstein-Uhlenbeck process (reset by `episode_start`) or N(0, 1)
          noise of scale `noise_stddev`, in units of half the action range
  store:  (s, a, r, s', discount) appended to the replay buffer, discount 0
          at a termination and 1 otherwise (a truncation still bootstraps)
  critic: y = r + gamma * discount * Q_T(s', mu_T(s'))
          L_Q = mean_i 0.5 (y_i - Q(s_i, a_i))^2 + critic_l2 * sum_W |W|^2 / 2
  actor:  'standard': L_mu = -mean_i Q(s_i, mu(s_i)), whose gradient is
              -mean_i dQ/da|_{a = mu(s_i)} dmu(s_i)/dtheta (seed 004)
          'lecture':  d = clip(dQ/da, -1, 1) at a = mu(s) and
              L_mu = mean_i |stop_gradient(mu(s_i) + d_i) - mu(s_i)|^2
              (seed 000, 3.3); both move mu(s) along dQ/da
  target: 'soft': second networks, theta_T <- tau * theta + (1 - tau) *
              theta_T after every train step, copied from the online
              networks by `sync_target` at the start
          'ema':  the lecture's ExponentialMovingAverage shadows of the actor
              and critic weights, decay 1 - tau (the same update), bound to
              Q(s', mu(s')) by the graph editor

Both gradients are taken on the weights before the step (the paper's
Algorithm 1 takes the actor's after the critic's step). Ops that share
state run in a fixed order within one `Session.run`: act (reads mu, advances
the noise, counts steps) -> store -> sample -> all gradients (GATE_GRAPH) ->
apply both -> target update (reads the updated weights). Together with
single-threaded sessions this makes a seeded run reproducible.
"""

import dataclasses

import numpy as np

from graphrl import exploration
from graphrl import graph_editor
from graphrl import losses
from graphrl import networks
from graphrl import replay
from graphrl import targets
from graphrl.agents import transitions
from graphrl.compat import tf

NOISES = ('ou', 'gaussian')
DPG_UPDATES = ('standard', 'lecture')
TARGET_UPDATES = ('soft', 'ema')


@dataclasses.dataclass(frozen=True)
class DDPGConfig:
  """Hyperparameters of `DDPGAgent`; defaults of Lillicrap et al. 2016."""
  actor_hidden_sizes: tuple = (400, 300)
  critic_hidden_sizes: tuple = (400, 300)  # the action joins at layer 2
  actor_learning_rate: float = 1e-4        # Adam
  critic_learning_rate: float = 1e-3       # Adam
  gamma: float = 0.99
  tau: float = 0.005                       # target step size (paper: 1e-3)
  batch_size: int = 64
  replay_capacity: int = 1000000
  noise: str = 'ou'                        # or 'gaussian'
  noise_stddev: float = 0.2                # sigma, in half action ranges
  ou_theta: float = 0.15
  critic_l2: float = 0.0                   # weight decay (paper: 1e-2)
  dpg_update: str = 'standard'             # or 'lecture'
  target_update: str = 'soft'              # or 'ema'

  def validate(self):
    """Raises ValueError naming the first bad hyperparameter."""
    checks = transitions.replay_checks(self) + [
        (len(self.actor_hidden_sizes) >= 1 and
         all(size >= 1 for size in self.actor_hidden_sizes),
         'actor_hidden_sizes must be one or more positive sizes, got %s' % (
             self.actor_hidden_sizes,)),
        (len(self.critic_hidden_sizes) >= 2 and
         all(size >= 1 for size in self.critic_hidden_sizes),
         'critic_hidden_sizes must be two or more positive sizes, got %s' % (
             self.critic_hidden_sizes,)),
        (self.actor_learning_rate > 0 and self.critic_learning_rate > 0,
         'actor_learning_rate and critic_learning_rate must be positive, got '
         '%r and %r' % (self.actor_learning_rate, self.critic_learning_rate)),
        (0 < self.tau <= 1, 'tau must lie in (0, 1], got %r' % self.tau),
        (self.noise in NOISES,
         'noise must be one of %s, got %r' % (NOISES, self.noise)),
        (self.noise_stddev >= 0,
         'noise_stddev must be >= 0, got %r' % self.noise_stddev),
        (0 < self.ou_theta < 2,
         'ou_theta must lie in (0, 2), got %r' % self.ou_theta),
        (self.critic_l2 >= 0,
         'critic_l2 must be >= 0, got %r' % self.critic_l2),
        (self.dpg_update in DPG_UPDATES,
         'dpg_update must be one of %s, got %r' % (
             DPG_UPDATES, self.dpg_update)),
        (self.target_update in TARGET_UPDATES,
         'target_update must be one of %s, got %r' % (
             TARGET_UPDATES, self.target_update)),
    ]
    for ok, message in checks:
      if not ok:
        raise ValueError(message)


class DDPGAgent:
  """Builds the DDPG graph in the default graph, under variable scope 'ddpg'.

  Tensors and ops (for a batch of B observations, U action dimensions):
    observ:         placeholder [B, S] of the acting observations
    explore_action: float32 [B, U], mu(s) plus noise, clipped to the
                    bounds; counts B env steps (B = 1 with OU noise)
    greedy_action:  float32 [B, U], mu(s)
    episode_start:  resets the OU noise (run after each env reset); None
                    for Gaussian noise
    store:          appends one transition fed through `transition`
    train:          one gradient step of critic and actor on a sampled batch
  """

  eval_reset = None  # Greedy actions keep no state.

  def __init__(self, observation_spec, action_spec, config):
    """Builds the graph.

    Args:
      observation_spec: `graphrl.envs.ArraySpec` of a flat observation [S].
      action_spec: `graphrl.envs.BoundedArraySpec` of float actions [U]
        with finite bounds.
      config: a `DDPGConfig`.

    Raises:
      ValueError: for a discrete, unbounded or non-vector action spec, a
        non-vector observation spec, or a bad config.
    """
    if (not np.issubdtype(action_spec.dtype, np.floating) or
        len(action_spec.shape) != 1):
      raise ValueError(
          'DDPG needs a continuous action space of float vectors; this '
          'environment has %s actions of shape %s' % (
              np.dtype(action_spec.dtype).name, tuple(action_spec.shape)))
    if len(observation_spec.shape) != 1:
      raise ValueError('DDPG needs flat observations of shape [S], got %s' % (
          tuple(observation_spec.shape),))
    config.validate()
    self.config = config
    self._low, self._high = _bounds(action_spec)
    with tf.variable_scope('ddpg') as scope:
      self._scope = scope.name
      self.env_steps, self.train_steps = transitions.counters()
      self.observ = tf.placeholder(
          tf.as_dtype(observation_spec.dtype),
          [None] + list(observation_spec.shape), 'observ')
      self._build_act()
      self.transition = transitions.placeholders(
          observation_spec, tf.float32, action_spec.shape)
      self.buffer = replay.ReplayBuffer(self.transition, config.replay_capacity)
      with tf.control_dependencies([self.explore_action]):
        self.store = self.buffer.append(self.transition)
      self._build_train()

  def actor(self, observ, name='actor'):
    """mu(s) [B, U] in the action bounds, for observations [B, S]."""
    return networks.ddpg_actor(
        tf.cast(observ, tf.float32), len(self._low), name, self._low,
        self._high, self.config.actor_hidden_sizes)

  def critic(self, observ, action, name='critic'):
    """Q(s, a) [B] for observations [B, S] and actions [B, U]."""
    return networks.ddpg_critic(
        tf.cast(observ, tf.float32), action, name,
        self.config.critic_hidden_sizes)

  def _build_act(self):
    c = self.config
    mu = self.actor(self.observ)
    self.greedy_action = mu
    if c.noise == 'ou':
      self.noise = exploration.OrnsteinUhlenbeckNoise(
          [1, len(self._low)], theta=c.ou_theta, sigma=c.noise_stddev,
          name='ou_noise')
      one = tf.debugging.assert_equal(
          tf.shape(self.observ)[0], 1, message=(
              'DDPG explores with one OU process: observ must hold one '
              'observation'))
      with tf.control_dependencies([one]):
        noise = self.noise.sample()
      self.episode_start = self.noise.reset()
    else:
      noise = exploration.gaussian_noise(tf.shape(mu), c.noise_stddev)
      self.episode_start = None
    half_range = (self._high - self._low) / 2.
    action = tf.clip_by_value(mu + half_range * noise, self._low, self._high)
    self.explore_action = transitions.counting(action, self.env_steps)

  def _build_train(self):
    c = self.config
    with tf.control_dependencies([self.store]):
      observ, action, reward, next_observ, discount = self.buffer.sample(
          c.batch_size)
    q = self.critic(observ, action)
    actor_vars = networks.get_variables(self._scope + '/actor')
    critic_vars = networks.get_variables(self._scope + '/critic')
    next_q_target, self.sync_target, update_target = self._target_network(
        next_observ, actor_vars + critic_vars)
    target = losses.ddpg_target(reward, 1. - discount, next_q_target, c.gamma)
    critic_loss, _ = losses.td_loss(q, target, kind='mse')
    if c.critic_l2:
      critic_loss += c.critic_l2 * tf.add_n(
          [tf.nn.l2_loss(v) for v in critic_vars if 'weights' in v.op.name])
    mu = self.actor(observ)
    q_mu = self.critic(observ, mu)
    if c.dpg_update == 'lecture':
      actor_loss = losses.dpg_lecture_loss(mu, q_mu, clip=True)
    else:
      actor_loss = losses.dpg_loss(q_mu)
    critic_opt = tf.train.AdamOptimizer(c.critic_learning_rate)
    actor_opt = tf.train.AdamOptimizer(c.actor_learning_rate)
    critic_grads = critic_opt.compute_gradients(
        critic_loss, critic_vars, gate_gradients=critic_opt.GATE_GRAPH)
    actor_grads = actor_opt.compute_gradients(
        actor_loss, actor_vars, gate_gradients=actor_opt.GATE_GRAPH)
    # The actor's gradient reads the critic: no weight changes before both.
    with tf.control_dependencies([g for g, _ in critic_grads + actor_grads]):
      apply = tf.group(critic_opt.apply_gradients(critic_grads),
                       actor_opt.apply_gradients(actor_grads))
    with tf.control_dependencies([apply]):
      count = self.train_steps.assign_add(1)
      after = update_target()
    self.loss = critic_loss
    self.scalars = {'train/mean_q': tf.reduce_mean(q),
                    'train/actor_loss': actor_loss}
    self.train = tf.group(apply, count, after)

  def _target_network(self, next_observ, online_vars):
    """Returns Q_T(s', mu_T(s')) [B], the op syncing the targets, the update.

    The update is a function () -> op, called in a control context after
    the gradient step.
    """
    c = self.config
    if c.target_update == 'ema':
      next_q_online = self.critic(next_observ, self.actor(next_observ))
      next_q_target, ema_update = targets.moving_average(
          next_q_online, 1. - c.tau)

      def update_after_step():
        # Rebind the update to reads made after the step (this context).
        return graph_editor.bind(
            ema_update, {v: v.read_value() for v in online_vars})

      # The shadows start as copies of the weights: nothing to sync.
      return next_q_target, tf.no_op(), update_after_step
    next_q_target = self.critic(
        next_observ, self.actor(next_observ, 'actor_target'), 'critic_target')
    target_vars = (networks.get_variables(self._scope + '/actor_target') +
                   networks.get_variables(self._scope + '/critic_target'))
    targets.exclude_from_training(target_vars)
    sync = targets.hard_update(online_vars, target_vars)
    return (tf.stop_gradient(next_q_target), sync,
            lambda: targets.soft_update(online_vars, target_vars, c.tau))

  @property
  def policy_variables(self):
    """The online actor's variables: all that acting greedily needs."""
    return networks.get_variables(self._scope + '/actor')


def _bounds(action_spec):
  """float32 [U] lower and upper bounds; ValueError unless finite, low < high.

  `from_gym_space` clips infinite bounds to the float32 range; such bounds
  are refused too, since the actor scales its tanh output to them.
  """
  size = action_spec.shape[0]
  low = getattr(action_spec, 'minimum', None)
  high = getattr(action_spec, 'maximum', None)
  if low is None or high is None:
    raise ValueError('DDPG needs a bounded action spec, got %r' % (
        action_spec,))
  low = np.broadcast_to(np.asarray(low, np.float64), [size])
  high = np.broadcast_to(np.asarray(high, np.float64), [size])
  limit = np.finfo(np.float32).max / 2
  if not (np.all(np.abs(low) < limit) and np.all(np.abs(high) < limit) and
          np.all(low < high)):
    raise ValueError('DDPG needs finite action bounds with low < high, got '
                     'low=%s high=%s' % (low, high))
  return low.astype(np.float32), high.astype(np.float32)
