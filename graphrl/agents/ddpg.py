"""DDPG (Lillicrap et al., 2016) and TD3 (Fujimoto et al., 2018) as one graph.

Lecture seed 004 and seed 000, section 3.3. An actor mu(s) [B, U] and a
critic Q(s, a) [B] (TD3: two critics Q_1, Q_2), each with a target copy,
built like `DQNAgent`: one `Session.run` per environment step acts, stores
the previous transition in the in-graph replay buffer and, when due, trains:

  act:    a = clip(mu(s) + h * n, low, high), h = (high - low) / 2 the half
          action range and n an Ornstein-Uhlenbeck process (reset at every
          episode start) or N(0, noise_stddev^2) noise; for the first
          random_steps env steps a ~ U(low, high) instead (the pure
          exploration TD3's experiments start with)
  store:  (s, a, r, s', discount) appended to the replay buffer, discount 0
          at a termination and 1 otherwise (a truncation still bootstraps)
  target action (TD3's target policy smoothing, target_noise sigma > 0):
          a' = clip(mu_T(s') + h * clip(eps, -c, c), low, high),
          eps ~ N(0, sigma^2), c = target_noise_clip; a' = mu_T(s') at 0
  critic: y = r + gamma * discount * Q_T(s', a'), with
          Q_T = min(Q_T1, Q_T2) for twin critics (TD3's clipped double Q);
          L_Q = sum_i mean_b 0.5 (y_b - Q_i(s_b, a_b))^2
                + critic_l2 * sum_W |W|^2 / 2
  actor:  'standard': L_mu = -mean_b Q_1(s_b, mu(s_b)), whose gradient is
              -mean_b dQ_1/da|_{a = mu(s_b)} dmu(s_b)/dtheta (seed 004)
          'lecture':  d = clip(dQ_1/da, -1, 1) at a = mu(s) and
              L_mu = mean_b |stop_gradient(mu(s_b) + d_b) - mu(s_b)|^2
              (seed 000, 3.3); both move mu(s) along dQ_1/da
  delay:  the critics step at every train step k = 1, 2, ...; the actor
          and the targets only where k % policy_delay == 0 (TD3: 2)
  target: 'soft': second networks, theta_T <- tau * theta + (1 - tau) *
              theta_T after each actor step, copied from the online
              networks by `sync_target` at the start
          'ema':  the lecture's ExponentialMovingAverage shadows of the actor
              and critic weights, decay 1 - tau (the same update), bound to
              the target's graph by the graph editor

DDPG is this graph with one critic, no smoothing and no delay; `TD3Config`
sets all three. Both gradients are taken on the weights before the step
(the paper's Algorithm 1 takes the actor's after the critic's step). Ops
that share state run in a fixed order within one `Session.run`: act (reads
mu, advances the noise, counts steps) -> store -> sample -> all gradients
(GATE_GRAPH) -> apply -> target update (reads the updated weights).
Together with single-threaded sessions this makes a seeded run
reproducible.
"""

import dataclasses

import numpy as np

from graphrl import exploration
from graphrl import graph_editor
from graphrl import losses
from graphrl import networks
from graphrl import random_draws
from graphrl import replay
from graphrl import targets
from graphrl.agents import agent as agent_lib
from graphrl.agents import transitions
from graphrl.compat import tf

NOISES = ('ou', 'gaussian')
DPG_UPDATES = ('standard', 'lecture')
TARGET_UPDATES = ('soft', 'ema')


@dataclasses.dataclass(frozen=True)
class DDPGConfig:
  """Hyperparameters of `DDPGAgent`; defaults of Lillicrap et al. 2016."""
  actor_hidden_sizes: tuple = (400, 300)
  critic_hidden_sizes: tuple = (400, 300)
  critic_action_layer: int = 2             # where the action joins (or 1)
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
  twin_critics: bool = False               # TD3's clipped double Q
  target_noise: float = 0.0                # TD3's smoothing sigma, half ranges
  target_noise_clip: float = 0.5           # c, in half action ranges
  policy_delay: int = 1                    # train steps per actor step
  random_steps: int = 0                    # first steps: uniform actions
  num_envs: int = 1                        # environments acted on at once

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
        (self.critic_action_layer in (1, 2),
         'critic_action_layer must be 1 or 2, got %r' % (
             self.critic_action_layer,)),
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
        (self.target_noise >= 0,
         'target_noise must be >= 0, got %r' % self.target_noise),
        (self.target_noise_clip > 0,
         'target_noise_clip must be positive, got %r' % self.target_noise_clip),
        (self.policy_delay >= 1,
         'policy_delay must be >= 1, got %r' % self.policy_delay),
        (self.random_steps >= 0,
         'random_steps must be >= 0, got %r' % self.random_steps),
        (self.num_envs >= 1,
         'num_envs must be >= 1, got %r' % self.num_envs),
        (self.num_envs < 1 or self.replay_capacity % self.num_envs == 0,
         'replay_capacity (%d) must be a multiple of num_envs (%d)' % (
             self.replay_capacity, self.num_envs)),
    ]
    for ok, message in checks:
      if not ok:
        raise ValueError(message)


@dataclasses.dataclass(frozen=True)
class TD3Config(DDPGConfig):
  """`DDPGAgent` as TD3: defaults of Fujimoto et al. 2018 (and their code).

  Twin critics, target policy smoothing (sigma 0.2 clipped at 0.5) and an
  actor and target step every second train step; critics that take the
  action with the state at the input, Gaussian exploration (0.1), both
  learning rates 1e-3, batch 256 and 256-unit layers. The
  uniform random first steps of the paper's experiments are a flagfile's
  choice (`random_steps`, 0 here as for DDPG).
  """
  actor_hidden_sizes: tuple = (256, 256)
  critic_hidden_sizes: tuple = (256, 256)
  critic_action_layer: int = 1
  actor_learning_rate: float = 1e-3
  batch_size: int = 256
  noise: str = 'gaussian'
  noise_stddev: float = 0.1
  twin_critics: bool = True
  target_noise: float = 0.2
  policy_delay: int = 2


class DDPGAgent(agent_lib.OffPolicyAgent):
  """Builds the DDPG or TD3 graph in the default graph, under scope 'ddpg'.

  An `OffPolicyAgent` (`graphrl.agents.agent`), for B observations [B, S]
  and U action dimensions:
    explore_action: float32 [B, U], mu(s) plus noise, clipped to the
                    bounds; counts B env steps (B = num_envs with OU noise)
    greedy_action:  float32 [B, U], mu(s)
    episode_start:  with OU noise (explores_with_state), resets the noise
                    (run after each env reset)
    store:          appends one transition fed through `transition`; None
                    unless num_envs is 1
    train:          one train step on a sampled batch, after the store
  The builders `explore`, `start_episodes`, `store_batch` and `train_step`
  make the same ops on other tensors, e.g. in the in-graph loop
  (`graphrl.training.graph_loop`) on N = num_envs environments.
  """

  def __init__(self, observation_spec, action_spec, config):
    """Builds the graph.

    Args:
      observation_spec: `graphrl.envs.ArraySpec` of a flat observation [S].
      action_spec: `graphrl.envs.BoundedArraySpec` of float actions [U]
        with finite bounds.
      config: a `DDPGConfig` (or `TD3Config`).

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
    self._half_range = (self._high - self._low) / 2.
    # Set by the first train_step: the EMA target's first graph and update,
    # or the target networks' variables, and the op syncing the targets.
    self._ema, self._target_vars, self.sync_target = None, None, None
    with tf.variable_scope('ddpg') as self._scope:
      self.env_steps, self.train_steps = transitions.counters()
      self._critic_optimizer = tf.train.AdamOptimizer(
          config.critic_learning_rate)
      self._actor_optimizer = tf.train.AdamOptimizer(
          config.actor_learning_rate)
      self.observ = tf.placeholder(
          tf.as_dtype(observation_spec.dtype),
          [None] + list(observation_spec.shape), 'observ')
      self.greedy_action = self.actor(self.observ)
      self.noise = None
      if config.noise == 'ou':
        self.noise = exploration.OrnsteinUhlenbeckNoise(
            [config.num_envs, len(self._low)], theta=config.ou_theta,
            sigma=config.noise_stddev, name='ou_noise')
      self.explore_action = self.explore(self.observ)
      if self.explores_with_state:
        self.episode_start = self.start_episodes()
      self.transition = transitions.placeholders(
          observation_spec, tf.float32, action_spec.shape)
      self.buffer = replay.ReplayBuffer(
          self.transition, config.replay_capacity, num_streams=config.num_envs)
      self.store, (self.train, self.loss, self.scalars) = (
          transitions.store_and_train(self, config.num_envs))

  def actor(self, observ, name='actor'):
    """mu(s) [B, U] in the action bounds, for observations [B, S]."""
    return networks.ddpg_actor(
        tf.cast(observ, tf.float32), len(self._low), name, self._low,
        self._high, self.config.actor_hidden_sizes)

  def critic(self, observ, action, name='critic'):
    """Q(s, a) [B] for observations [B, S] and actions [B, U]."""
    return networks.ddpg_critic(
        tf.cast(observ, tf.float32), action, name,
        self.config.critic_hidden_sizes, self.config.critic_action_layer)

  @property
  def _critics(self):
    """The critics' scope names: Q_1 ('critic') and, for TD3, Q_2."""
    return ('critic', 'critic_2') if self.config.twin_critics else ('critic',)

  def explore(self, observ):
    """Exploring actions float32 [B, U] for `observ` [B, S].

    Builds new ops each call (e.g. in a `tf.while_loop` body); they add B to
    `env_steps`. With OU noise B must be num_envs (one process per env).
    While fewer than random_steps env steps were counted, the actions are
    uniform in the bounds.
    """
    c = self.config
    with tf.variable_scope(self._scope):
      mu = self.actor(observ)
      if self.noise is not None:
        rows = tf.debugging.assert_equal(
            tf.shape(observ)[0], c.num_envs, message=(
                'DDPG explores with one OU process per environment: observ '
                'must hold num_envs observations'))
        with tf.control_dependencies([rows]):
          noise = self.noise.sample()
      else:
        noise = exploration.gaussian_noise(tf.shape(mu), c.noise_stddev)
      action = tf.clip_by_value(mu + self._half_range * noise, self._low,
                                self._high)
      if c.random_steps:
        uniform = random_draws.uniform(tf.shape(mu), self._low, self._high)
        action = tf.cond(self.env_steps.read_value() < c.random_steps,
                         lambda: uniform, lambda: action)
      return transitions.counting(action, self.env_steps)

  @property
  def explores_with_state(self):
    """With OU noise: its state runs through an episode."""
    return self.noise is not None

  def start_episodes(self, started=None):
    """The op run after environments were reset: their OU noise restarts.

    Args:
      started: bool [num_envs], the environments that were reset; None for
        all of them.

    Returns:
      An op (a no-op for Gaussian noise).
    """
    if self.noise is None:
      return tf.no_op()
    return self.noise.reset(started)

  def store_batch(self, transition):
    """The op appending one transition per env: s, a, r, s', discount [N]."""
    with tf.variable_scope(self._scope):
      return self.buffer.append_batch(transition)

  def train_step(self, after=()):
    """Builds one train step on a batch sampled after the ops `after`.

    Builds new ops each call (e.g. in a `tf.while_loop` body) on the
    variables of the first call.

    Returns:
      (train_op, loss, scalars): the op (the gradient steps, the train-step
      count, the target update), the critics' loss, and a dict of scalar
      tensors for TensorBoard.
    """
    c = self.config
    with tf.variable_scope(self._scope):
      with tf.control_dependencies(after):
        observ, action, reward, next_observ, discount = self.buffer.sample(
            c.batch_size)
      qs = [self.critic(observ, action, name) for name in self._critics]
      actor_vars = networks.get_variables(self._scope.name + '/actor')
      critic_vars = sum((networks.get_variables(self._scope.name + '/' + name)
                         for name in self._critics), [])
      next_q_targets, sync_target, update_target = self._target_network(
          next_observ, actor_vars + critic_vars)
      target = losses.clipped_double_q_target(
          reward, discount, next_q_targets, c.gamma)
      critic_loss = tf.add_n([losses.td_loss(q, target, kind='mse').loss
                              for q in qs])
      if c.critic_l2:
        critic_loss += c.critic_l2 * tf.add_n(
            [tf.nn.l2_loss(v) for v in critic_vars if 'weights' in v.op.name])
      mu = self.actor(observ)
      q_mu = self.critic(observ, mu)
      if c.dpg_update == 'lecture':
        actor_loss = losses.dpg_lecture_loss(mu, q_mu, clip=True)
      else:
        actor_loss = losses.dpg_loss(q_mu)
      critic_opt, actor_opt = self._critic_optimizer, self._actor_optimizer
      critic_grads = critic_opt.compute_gradients(
          critic_loss, critic_vars, gate_gradients=critic_opt.GATE_GRAPH)
      actor_grads = actor_opt.compute_gradients(
          actor_loss, actor_vars, gate_gradients=actor_opt.GATE_GRAPH)
      # The actor's gradient reads the critic: no weight changes before both.
      with tf.control_dependencies([g for g, _ in critic_grads + actor_grads]):
        step = self.train_steps.read_value() + 1
        apply = tf.group(
            critic_opt.apply_gradients(critic_grads),
            transitions.every(
                c.policy_delay, step,
                lambda: actor_opt.apply_gradients(actor_grads)))
      with tf.control_dependencies([apply]):
        count = self.train_steps.assign_add(1)
        later = transitions.every(c.policy_delay, step, update_target)
      if self.sync_target is None:  # The first call's, outside any loop.
        self.sync_target = sync_target
      scalars = {'train/mean_q': tf.reduce_mean(qs[0]),
                 'train/actor_loss': actor_loss}
      return agent_lib.TrainStep(tf.group(apply, count, later), critic_loss,
                                 scalars)

  def _target_action(self, next_observ, actor_name):
    """a' [B, U]: mu_T(s') of actor `actor_name`, smoothed when configured."""
    c = self.config
    next_action = self.actor(next_observ, actor_name)
    if not c.target_noise:
      return next_action
    noise = exploration.gaussian_noise(tf.shape(next_action), c.target_noise)
    return losses.smoothed_target_action(
        next_action, noise, c.target_noise_clip, self._low, self._high)

  def _target_network(self, next_observ, online_vars):
    """Returns Q_Tk(s', a') [K, B] of the K critics, the op syncing the
    targets, and the update.

    The update is a function () -> op, called in a control context after
    the gradient step.
    """
    c = self.config
    if c.target_update == 'ema':
      if self._ema is None:
        next_action = self._target_action(next_observ, 'actor')
        next_q_online = tf.stack(
            [self.critic(next_observ, next_action, name)
             for name in self._critics])
        next_q_target, ema_update = targets.moving_average(
            next_q_online, 1. - c.tau)
        self._ema = next_observ, next_q_target, ema_update
      else:  # Q_T of the first call, copied onto these next observations.
        first_observ, first_target, ema_update = self._ema
        next_q_target = graph_editor.graph_replace(
            first_target, {first_observ: next_observ})

      def update_after_step():
        # Rebind the update to reads made after the step (this context).
        return graph_editor.bind(
            ema_update, {v: v.read_value() for v in online_vars})

      # The shadows start as copies of the weights: nothing to sync.
      return next_q_target, tf.no_op(), update_after_step
    next_action = self._target_action(next_observ, 'actor_target')
    next_q_target = tf.stack(
        [self.critic(next_observ, next_action, name + '_target')
         for name in self._critics])
    if self._target_vars is None:  # Made by this first call.
      self._target_vars = sum(
          (networks.get_variables(self._scope.name + '/' + name + '_target')
           for name in ('actor',) + self._critics), [])
      targets.exclude_from_training(self._target_vars)
    sync = targets.hard_update(online_vars, self._target_vars)
    return (tf.stop_gradient(next_q_target), sync,
            lambda: targets.soft_update(online_vars, self._target_vars, c.tau))

  @property
  def policy_variables(self):
    """The online actor's variables: all that acting greedily needs."""
    return networks.get_variables(self._scope.name + '/actor')


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
