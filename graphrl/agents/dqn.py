"""DQN (Mnih et al., 2015) as one static graph of act, store and train ops.

The graph is built once; the Python loop only feeds observations and fetches
actions. One `Session.run` per environment step acts, stores the previous
transition in the in-graph replay buffer and, when due, trains (the
in-graph loop, `graphrl.training.graph_iterations`, builds the same ops in
a `tf.while_loop` through `explore`, `store_batch` and `train_step`):

  act:    a = argmax_a Q(s, a) with probability 1 - epsilon(step), else
          uniform (epsilon from an in-graph schedule of the env-step counter)
  store:  (s, a, r, s', discount) appended to the replay buffer, with
          discount = 0 at a termination and 1 otherwise (a time-limit
          truncation still bootstraps from s')
  Q:      one linear head on the network's features, or with `dueling`
          (Wang et al., 2016) Q(s, a) = V(s) + A(s, a) - mean_a' A(s, a')
  train:  y = r + gamma * discount * max_a' Q_T(s', a')          (Q-learning)
          y = r + gamma * discount * Q_T(s', argmax_a Q(s', a))  (Double DQN)
          loss = mean_i w_i * l(y_i - Q(s_i, a_i)),  l = MSE or Huber,
          w = importance-sampling weights (prioritized replay) or 1;
          one Adam or (the Nature DQN's) centered RMSProp step

With head='quantile' (QR-DQN, Dabney et al., 2018) the network outputs N
quantiles theta_i(s, a) [B, A, N] of the return's distribution (dueling:
theta_i = V_i + A_i - mean_a' A_i per quantile); Q(s, a) = mean_i
theta_i(s, a) [B, A] acts, evaluates and is exported, and training
regresses the quantiles of the taken action on the target samples
(`losses.quantile_target`, `losses.quantile_huber_loss`):

  T_j  = r + gamma * discount * theta_T,j(s', a*)               [B, N]
  a*   = argmax_a mean_j theta_T,j(s', a), with `double_q` of the online
         theta_j(s', a) instead
  u_ij = T_j - theta_i(s, a),  tau_i = (2i - 1) / (2N)          [B, N, N]
  l    = sum_i mean_j |tau_i - 1{u_ij < 0}| L_kappa(u_ij) / kappa [B]
  loss = mean_b w_b l_b,  L_kappa the Huber loss of threshold kappa

(the `loss` setting is not used). Prioritized replay sets p = l +
priority_epsilon, the per-sample loss, as Rainbow-style implementations do
(Dopamine's QR-DQN has no prioritized replay).

Replay is uniform, prioritized (Schaul et al., 2015), or, over stacked
Atari frames stored once, uniform (`graphrl.frame_replay`, 'frames') or
prioritized (`graphrl.prioritized_frame_replay`, 'prioritized_frames'),
where P(i) = p_i^alpha / sum_j p_j^alpha, w_i = (N P(i))^-beta / max w and
p_i = |td_i| + priority_epsilon after each train step. With any replay,
`n_step` = n > 1 trains on n-step transitions (Sutton & Barto,
Section 7.1; Hessel et al., 2018; `graphrl.n_step`, or the frame replay's
own): r = sum_{i<m} gamma^i r_{t+i}, s' = s'_{t+m-1} and discount
gamma^(m-1) d_{t+m-1}, m <= n cut at an episode end, so
y = sum_{i<m} gamma^i r_{t+i} + gamma^m d_{t+m-1} max_a' Q_T(s', a').

The target network Q_T is, by `target_update`:
  'ema':  the lecture's ExponentialMovingAverage shadow of Q, bound to the
          network by the graph editor, updated after every train step;
  'hard': a second network copied from Q every `target_update_period`
          train steps;
  'soft': a second network moved by tau towards Q after every train step.

Ops that share state run in a fixed order within one `Session.run`, set by
control dependencies: act (reads Q, counts steps) -> store (writes the
buffer) -> sample -> gradients (all of them, GATE_GRAPH) -> apply -> target
update (reads the updated Q). Together with single-threaded sessions this
makes a seeded run reproducible. The EMA update of `targets.moving_average`
is built before the optimizer exists, so it is rebound with the graph editor
to read the weights after the gradient step.
"""

import dataclasses

import numpy as np

from graphrl import exploration
from graphrl import frame_replay
from graphrl import graph_editor
from graphrl import losses
from graphrl import n_step
from graphrl import networks
from graphrl import prioritized_frame_replay
from graphrl import replay
from graphrl import schedules
from graphrl import targets
from graphrl.agents import agent as agent_lib
from graphrl.agents import transitions
from graphrl.compat import tf

TARGET_UPDATES = ('ema', 'hard', 'soft')
REPLAYS = ('uniform', 'prioritized', 'frames', 'prioritized_frames')
FRAME_REPLAYS = ('frames', 'prioritized_frames')
PRIORITIZED_REPLAYS = ('prioritized', 'prioritized_frames')
EPSILON_SCHEDULES = ('exponential', 'linear')
OPTIMIZERS = ('adam', 'rmsprop')
# 'nature': the Nature DQN (Mnih et al., 2015); 'a3c': the smaller network of
# the first DQN paper (Mnih et al., 2013) that A3C reuses, about a third of
# the Nature network's multiply-adds per frame.
NETWORKS = ('mlp', 'nature', 'a3c')
HEADS = ('q', 'quantile')
# The Nature DQN's RMSProp (Mnih et al., 2015): squared-gradient decay 0.95,
# epsilon 0.01, centered (the gradient's running mean is subtracted).
RMSPROP_DECAY = 0.95
RMSPROP_EPSILON = 0.01


@dataclasses.dataclass(frozen=True)
class DQNConfig:
  """Hyperparameters of `DQNAgent`; the defaults solve CartPole-v1."""
  network: str = 'mlp'                 # or 'nature', 'a3c' (Atari frames)
  hidden_sizes: tuple = (64, 64)       # of the 'mlp' network
  optimizer: str = 'adam'              # or 'rmsprop', the Nature DQN's
  learning_rate: float = 1e-3
  adam_epsilon: float = 1e-7
  gamma: float = 0.99
  batch_size: int = 64
  replay_capacity: int = 50000
  replay: str = 'uniform'              # or 'prioritized', or (Atari)
                                       # 'frames', 'prioritized_frames'
  n_step: int = 1                      # the most return steps
  priority_exponent: float = 0.6       # alpha; sampling temperature 1/alpha
  priority_beta: float = 0.4           # IS exponent, annealed to 1
  priority_epsilon: float = 1e-6       # p = |td| + epsilon
  double_q: bool = False
  dueling: bool = False                # Q = V + A - mean A (Wang et al.)
  head: str = 'q'                      # or 'quantile' (QR-DQN)
  num_quantiles: int = 200             # N of the 'quantile' head
  kappa: float = 1.0                   # its quantile Huber threshold
  loss: str = 'huber'                  # 'mse' (0.5 td^2) or 'huber'
  grad_clip: float = 10.0              # global norm; 0 disables
  target_update: str = 'ema'
  target_decay: float = 0.995          # 'ema'
  target_update_period: int = 500      # 'hard', in train steps
  tau: float = 0.005                   # 'soft'
  epsilon_schedule: str = 'exponential'
  epsilon_initial: float = 1.0
  epsilon_final: float = 0.05
  epsilon_steps: int = 10000
  epsilon_rate: float = 0.01           # 'exponential' curvature
  total_steps: int = 50000             # for the beta annealing
  num_envs: int = 1                    # environments stepped as a batch

  def validate(self):
    """Raises ValueError naming the first bad hyperparameter."""
    checks = transitions.replay_checks(self) + [
        (isinstance(self.num_envs, int) and self.num_envs >= 1,
         'num_envs must be a positive int, got %r' % (self.num_envs,)),
        (self.replay_capacity % max(self.num_envs, 1) == 0,
         'replay_capacity (%d) must be a multiple of num_envs (%d)' % (
             self.replay_capacity, self.num_envs)),
        (self.network in NETWORKS,
         'network must be one of %s, got %r' % (NETWORKS, self.network)),
        (self.head in HEADS,
         'head must be one of %s, got %r' % (HEADS, self.head)),
        (isinstance(self.num_quantiles, int) and self.num_quantiles >= 1,
         'num_quantiles must be a positive int, got %r' % (
             self.num_quantiles,)),
        (self.kappa > 0, 'kappa must be positive, got %r' % (self.kappa,)),
        (self.learning_rate > 0,
         'learning_rate must be positive, got %r' % self.learning_rate),
        (self.optimizer in OPTIMIZERS,
         'optimizer must be one of %s, got %r' % (OPTIMIZERS, self.optimizer)),
        (self.replay in REPLAYS,
         'replay must be one of %s, got %r' % (REPLAYS, self.replay)),
        (isinstance(self.n_step, int) and self.n_step >= 1,
         'n_step must be a positive int, got %r' % (self.n_step,)),
        (self.target_update in TARGET_UPDATES,
         'target_update must be one of %s, got %r' % (
             TARGET_UPDATES, self.target_update)),
        (0 <= self.target_decay < 1,
         'target_decay must lie in [0, 1), got %r' % self.target_decay),
        (self.target_update_period >= 1,
         'target_update_period must be positive'),
        (0 < self.tau <= 1, 'tau must lie in (0, 1], got %r' % self.tau),
        (self.loss in ('mse', 'huber'),
         "loss must be 'mse' or 'huber', got %r" % self.loss),
        (self.grad_clip >= 0, 'grad_clip must be >= 0'),
        (self.epsilon_schedule in EPSILON_SCHEDULES,
         'epsilon_schedule must be one of %s' % (EPSILON_SCHEDULES,)),
        (0 <= self.epsilon_final <= 1 and 0 <= self.epsilon_initial <= 1,
         'epsilon_initial and epsilon_final must lie in [0, 1]'),
        (self.epsilon_steps >= 1, 'epsilon_steps must be positive'),
        (0 < self.epsilon_rate < 1, 'epsilon_rate must lie in (0, 1)'),
        (self.priority_exponent > 0, 'priority_exponent must be positive'),
        (0 <= self.priority_beta <= 1, 'priority_beta must lie in [0, 1]'),
    ]
    for ok, message in checks:
      if not ok:
        raise ValueError(message)


def q_network(config, num_actions, observ, name):
  """Builds the network of `DQNAgent` under variable scope `name` (reused).

  Args:
    config: a `DQNConfig`.
    num_actions: A, the number of discrete actions.
    observ: observations [B, *observation_shape].
    name: the network's variable scope, e.g. 'q'.

  Returns:
    Q(s, .) [B, A], or the 'quantile' head's theta(s, ., .) [B, A, N].
  """
  c = config
  if c.network == 'mlp':
    observ = tf.cast(observ, tf.float32)
    if c.head == 'q' and not c.dueling:
      return networks.mlp(observ, c.hidden_sizes, num_actions, name)
    torso = lambda inputs, _: networks.mlp_torso(inputs, c.hidden_sizes)
  else:
    torso = {'nature': networks.nature_dqn_torso,
             'a3c': networks.a3c_torso}[c.network]
  if c.head == 'quantile':
    return networks.quantile_values(torso, observ, num_actions,
                                    c.num_quantiles, name, c.dueling)
  return networks.q_values(torso, observ, num_actions, name, c.dueling)


def mean_q(config, values):
  """Q(s, .) [B, A] of `q_network`'s output: Q itself, or for the
  'quantile' head the mean over the quantiles, Q = mean_i theta_i [B, A]."""
  if config.head == 'quantile':
    return tf.reduce_mean(values, axis=2)
  return values


class DQNAgent(agent_lib.OffPolicyAgent):
  """Builds the DQN graph in the default graph, under variable scope 'dqn'.

  An `OffPolicyAgent` (`graphrl.agents.agent`), for B observations:
    explore_action: int64 [B], epsilon-greedy; counts B env steps
    greedy_action:  int64 [B], argmax_a Q(s, a)
    store:          appends one transition fed through `transition`; None
                    unless num_envs is 1
    train:          one gradient step on a sampled batch, after the store
  Exploring and greedy acting keep no state. The builders `explore`,
  `store_batch` and `train_step` make the same ops on other tensors, e.g.
  in the in-graph loop (`graphrl.training.graph_loop`) on N = num_envs
  environments.
  """

  def __init__(self, observation_spec, action_spec, config):
    """Builds the graph.

    Args:
      observation_spec: `graphrl.envs.ArraySpec` of one observation.
      action_spec: `graphrl.envs.BoundedArraySpec` of a scalar discrete
        action with minimum 0.
      config: a `DQNConfig`.

    Raises:
      ValueError: for a continuous or non-scalar action spec, or a bad
        config.
    """
    if not np.issubdtype(action_spec.dtype, np.integer) or action_spec.shape:
      raise ValueError(
          'DQN needs a discrete action space; this environment has %s '
          'actions of shape %s' % (np.dtype(action_spec.dtype).name,
                                   tuple(action_spec.shape)))
    config.validate()
    self.config = config
    self.num_actions = int(action_spec.maximum) - int(action_spec.minimum) + 1
    # Set by the first train_step: the EMA target's first graph and update,
    # or the target network's variables, and the op syncing the target.
    self._ema, self._target_vars, self.sync_target = None, None, None
    with tf.variable_scope('dqn') as self._scope:
      self.env_steps, self.train_steps = transitions.counters()
      if config.optimizer == 'rmsprop':
        self._optimizer = tf.train.RMSPropOptimizer(
            config.learning_rate, decay=RMSPROP_DECAY,
            epsilon=RMSPROP_EPSILON, centered=True)
      else:
        self._optimizer = tf.train.AdamOptimizer(
            config.learning_rate, epsilon=config.adam_epsilon)
      self.observ = tf.placeholder(
          tf.as_dtype(observation_spec.dtype),
          [None] + list(observation_spec.shape), 'observ')
      self.greedy_action = tf.argmax(self.q_values(self.observ), axis=1)
      self.epsilon = self._schedule()
      self.explore_action = self.explore(self.observ)
      self.transition = transitions.placeholders(
          observation_spec, tf.int64, [])
      self._make_buffer()
      self.store, (self.train, self.loss, self.scalars) = (
          transitions.store_and_train(self, config.num_envs))

  def q_values(self, observ):
    """Q(s, .) [B, A] of the online network for observations [B, ...]:
    the mean over the quantiles of the 'quantile' head."""
    return mean_q(self.config, self._network(observ, 'q'))

  def _network(self, observ, name):
    """Q(s, .) [B, A], or the 'quantile' head's theta(s, ., .) [B, A, N]."""
    return q_network(self.config, self.num_actions, observ, name)

  def _schedule(self):
    """Epsilon, the in-graph schedule of the env-step counter."""
    c = self.config
    if c.epsilon_schedule == 'exponential':
      return schedules.exponential_decay(
          self.env_steps, c.epsilon_steps, c.epsilon_initial,
          c.epsilon_final, rate=c.epsilon_rate)
    return schedules.linear_decay(
        self.env_steps, c.epsilon_steps, c.epsilon_initial, c.epsilon_final)

  def explore(self, observ):
    """Epsilon-greedy actions int64 [B] for `observ` [B, ...].

    Builds new ops each call (e.g. in a `tf.while_loop` body); they add B to
    `env_steps` after reading epsilon.
    """
    with tf.variable_scope(self._scope):
      action = exploration.epsilon_greedy(self.q_values(observ),
                                          self._schedule())
      return transitions.counting(action, self.env_steps)

  def _make_buffer(self):
    """Uniform or prioritized, over transitions or frames (Atari)."""
    c = self.config
    if c.replay in FRAME_REPLAYS:
      buffer_class = {
          'frames': frame_replay.FrameReplayBuffer,
          'prioritized_frames':
              prioritized_frame_replay.PrioritizedFrameReplayBuffer,
      }[c.replay]
      self.buffer = buffer_class(
          self.transition, c.replay_capacity, num_streams=c.num_envs,
          n_step=c.n_step, gamma=c.gamma)
      return
    buffer_class = {'uniform': replay.ReplayBuffer,
                    'prioritized': replay.PrioritizedReplayBuffer}[c.replay]
    self.buffer = buffer_class(self.transition, c.replay_capacity,
                               num_streams=c.num_envs)

  def store_batch(self, transition):
    """The op appending one transition per env: s, a, r, s', discount [N, ...].

    New transitions of prioritized replay get the largest priority so far.
    """
    with tf.variable_scope(self._scope):
      if self.config.replay == 'prioritized':
        return self.buffer.append_batch(None, transition)
      return self.buffer.append_batch(transition)

  def train_step(self, after=()):
    """Builds one gradient step on a batch sampled after the ops `after`.

    Builds new ops each call (e.g. in a `tf.while_loop` body) on the
    variables of the first call.

    Returns:
      (train_op, loss, scalars): the op (gradient step, train-step count,
      target update, priority update), the loss, and a dict of scalar
      tensors for TensorBoard.
    """
    c = self.config
    with tf.variable_scope(self._scope):
      with tf.control_dependencies(after):
        indices, weights = None, None
        if c.replay in PRIORITIZED_REPLAYS:
          progress = tf.minimum(
              1.0, tf.cast(self.env_steps, tf.float32) / float(c.total_steps))
          beta = c.priority_beta + (1.0 - c.priority_beta) * progress
          items, indices, weights = self.buffer.sample_with_info(
              c.batch_size, temperature=1.0 / c.priority_exponent, beta=beta)
          rows = indices
        elif c.n_step > 1 and c.replay == 'uniform':
          rows = self.buffer.sample_indices(c.batch_size)
        else:
          items = self.buffer.sample(c.batch_size)
        if c.n_step > 1 and c.replay not in FRAME_REPLAYS:
          items = n_step.transitions(self.buffer, rows, c.n_step, c.gamma)
      observ, action, reward, next_observ, discount = items
      # Q [B, A] and Q(s, a) [B], or quantiles [B, A, N] and [B, N].
      q_sa = losses.action_values(self._network(observ, 'q'), action)
      next_q_online = self._network(next_observ, 'q')
      next_q_target, sync_target, update_target = self._target_network(
          next_observ, next_q_online)
      loss, errors = self._loss(q_sa, reward, discount, next_q_online,
                                next_q_target, weights)
      online_vars = networks.get_variables('dqn/q')
      optimizer = self._optimizer
      grads, variables = zip(*optimizer.compute_gradients(
          loss, online_vars, gate_gradients=optimizer.GATE_GRAPH))
      if c.grad_clip:
        grads, _ = tf.clip_by_global_norm(grads, c.grad_clip)
      apply = optimizer.apply_gradients(zip(grads, variables))
      with tf.control_dependencies([apply]):
        count = self.train_steps.assign_add(1)
        later = [update_target(count, online_vars)]
        if indices is not None:
          # |td|, or the quantile head's per-sample loss (>= 0).
          if c.head == 'q':
            errors = tf.abs(errors)
          later.append(self.buffer.update_priorities(
              indices, errors + c.priority_epsilon))
      if self.sync_target is None:  # The first call's, outside any loop.
        self.sync_target = sync_target
      scalars = {'train/mean_q': tf.reduce_mean(q_sa),
                 'train/epsilon': self._schedule()}
      return agent_lib.TrainStep(tf.group(apply, count, *later), loss,
                                 scalars)

  def _loss(self, q_sa, reward, discount, next_q_online, next_q_target,
            weights):
    """(loss, td [B]), or with the 'quantile' head (loss, per-sample [B]).

    Q(s, a) [B] and Q(s', .) [B, A], or their quantiles [B, N] and
    [B, A, N]; weights [B] or None.
    """
    c = self.config
    if c.head == 'quantile':
      chooser = next_q_online if c.double_q else next_q_target
      target = losses.quantile_target(
          reward, discount, next_q_target, tf.reduce_mean(chooser, axis=2),
          c.gamma)
      return losses.quantile_huber_loss(q_sa, target, c.kappa, weights)
    if c.double_q:
      target = losses.double_q_target(
          reward, discount, next_q_online, next_q_target, c.gamma)
    else:
      target = losses.q_learning_target(
          reward, discount, next_q_target, c.gamma)
    return losses.td_loss(q_sa, target, kind=c.loss, weights=weights)

  def _target_network(self, next_observ, next_q_online):
    """Returns Q_T(s', .) (or its quantiles), the op syncing Q_T to Q, and
    the update.

    The update is f(train_step, online_vars) -> op, called in a control
    context after the gradient step.
    """
    c = self.config
    if c.target_update == 'ema':
      if self._ema is None:
        next_q_target, ema_update = targets.moving_average(
            next_q_online, c.target_decay)
        self._ema = next_observ, next_q_target, ema_update
      else:  # Q_T of the first call, copied onto these next observations.
        first_observ, first_target, ema_update = self._ema
        next_q_target = graph_editor.graph_replace(
            first_target, {first_observ: next_observ})

      def update_after_step(_, online_vars):
        # Rebind the update to reads made after the step (this context).
        return graph_editor.bind(
            ema_update, {v: v.read_value() for v in online_vars})

      # The shadows start as copies of the weights: nothing to sync.
      return next_q_target, tf.no_op(), update_after_step
    next_q_target = self._network(next_observ, 'q_target')
    online = networks.get_variables('dqn/q')
    if self._target_vars is None:  # Made by this first call.
      self._target_vars = networks.get_variables('dqn/q_target')
      targets.exclude_from_training(self._target_vars)
    target = self._target_vars
    sync = targets.hard_update(online, target)
    if c.target_update == 'hard':
      def update(step, unused_vars):
        return transitions.every(
            c.target_update_period, step,
            lambda: targets.hard_update(online, target))
    else:
      def update(unused_step, unused_vars):
        return targets.soft_update(online, target, c.tau)
    return tf.stop_gradient(next_q_target), sync, update

  @property
  def policy_variables(self):
    """The online Q-network's variables: all that acting greedily needs."""
    return networks.get_variables('dqn/q')
