"""REINFORCE (Williams, 1992) with an optional learned baseline, as one graph.

The policy-gradient agent of seed 000, sections 3.1-3.2, on N environments
stepped as a batch. The graph is built once; the loop
(`graphrl.training.on_policy`) feeds each batched time step and the step
before it, and these ops run:

  act:    a ~ pi(.|s) = softmax(logits(s)) (`random_draws.categorical`);
          counts the env steps of the batch: members whose time step is not
          LAST (after a LAST step a member's next step is its auto-reset)
  store:  appends the previous batched step (s, a, r, d, step types of s and
          s', V(s')) to the episode buffer: N streams of `max_episode_steps`
          slots (`ReplayBuffer.gather_all` and `clear`, seed 001)
  train:  G_t = r_t + gamma * G_{t+1} within an episode, and at its last
          step G_t = r_t + gamma * d_t * V(s_{t+1}): r_t at a termination
          (d = 0); at a time-limit truncation (d = 1) the baseline's value
          of the final observation, or 0 without a baseline;
          w_t = G_t - V(s_t) with a baseline, else G_t; optionally
          normalized to zero mean and unit std over the batch;
          loss = -mean_t w_t log pi(a_t|s_t) - entropy_coef * mean_t H_t
                 + mean_t 0.5 (G_t - V(s_t))^2  (baseline only);
          one Adam step, then the buffer is cleared.

One update consumes the experience from a reset of all N environments until
each of them has finished at least one episode: every episode that finished
in that time is used (a fast environment contributes several), the
unfinished tails are dropped, and the loop resets the environments before it
collects again. So every update is on-policy and sees only complete
episodes; a row never holds more steps than the slowest first episode, at
most the time limit. The baseline V is a separate MLP (Sutton et al., 1998).

Ops that share state run in a fixed order within one `Session.run`: store
-> gather -> gradients (GATE_GRAPH) -> apply -> clear, so seeded runs are
reproducible. `A2CAgent` (`graphrl.agents.a2c`) reuses this graph with a
shared critic, n-step returns and a recurrent torso through the
`_forward`, `_forward_rollout`, `_mask` and `_loss` hooks.
"""

import dataclasses

import numpy as np

from graphrl import losses
from graphrl import networks
from graphrl import random_draws
from graphrl import replay
from graphrl.agents import agent as agent_lib
from graphrl.agents import transitions
from graphrl.compat import tf
from graphrl.envs import time_step as ts

# Added to the std of normalized weights: a batch of one step gives w = 0.
NORMALIZE_EPSILON = 1e-8


def common_checks(config):
  """(ok, message) pairs of the fields REINFORCE and A2C share."""
  sizes = config.hidden_sizes
  return [
      (isinstance(sizes, tuple) and all(
          isinstance(size, int) and size > 0 for size in sizes),
       'hidden_sizes must be a tuple of positive ints, got %r' % (sizes,)),
      (config.learning_rate > 0,
       'learning_rate must be positive, got %r' % config.learning_rate),
      (0 <= config.gamma <= 1,
       'gamma must lie in [0, 1], got %r' % config.gamma),
      (config.entropy_coef >= 0,
       'entropy_coef must be >= 0, got %r' % config.entropy_coef),
      (config.grad_clip >= 0,
       'grad_clip must be >= 0, got %r' % config.grad_clip),
      (isinstance(config.num_envs, int) and config.num_envs >= 1,
       'num_envs must be a positive int, got %r' % (config.num_envs,)),
  ]


def raise_first_failure(checks):
  """Raises ValueError with the message of the first failed (ok, message)."""
  for ok, message in checks:
    if not ok:
      raise ValueError(message)


@dataclasses.dataclass(frozen=True)
class ReinforceConfig:
  """Hyperparameters of `ReinforceAgent`; the defaults solve CartPole-v1."""
  hidden_sizes: tuple = (32, 32)       # of the policy and the baseline MLP
  learning_rate: float = 1e-2          # Adam
  gamma: float = 0.99
  baseline: bool = True                # learned V(s), Sutton et al. 1998
  normalize_returns: bool = True       # the weights w_t of log pi
  entropy_coef: float = 0.0
  grad_clip: float = 0.0               # global norm; 0 disables
  num_envs: int = 8
  max_episode_steps: int = 500         # slots per env: >= the time limit

  def validate(self):
    """Raises ValueError naming the first bad hyperparameter."""
    raise_first_failure(common_checks(self) + [
        (isinstance(self.max_episode_steps, int) and
         self.max_episode_steps >= 1,
         'max_episode_steps must be a positive int, got %r' % (
             self.max_episode_steps,)),
    ])


class ReinforceAgent(agent_lib.OnPolicyAgent):
  """Builds the REINFORCE graph in the default graph, under scope 'reinforce'.

  An `OnPolicyAgent` (`graphrl.agents.agent`), episodic, for B
  observations and N = num_envs environments; in particular:
    logits:         [B, A], logits of pi(.|observ) that explore_action
                    samples from; greedy_action is their argmax
    rollout_logits: [N, T, A], the logits `train` recomputes on the buffer
                    of T slots (fetched alone, it stores without training)
    rollout_length: T = max_episode_steps slots per environment
    sync_target:    a no-op (no target network)
  """

  episodic = True
  _scope = 'reinforce'
  _full_message = ('an episode ran longer than max_episode_steps; set it to '
                   "the environment's time limit")
  _empty_message = ('REINFORCE trains on complete episodes; store until '
                    'every environment has finished one')

  def __init__(self, observation_spec, action_spec, config):
    """Builds the graph.

    Args:
      observation_spec: `graphrl.envs.ArraySpec` of one observation; it is
        flattened for the MLP.
      action_spec: `graphrl.envs.BoundedArraySpec` of a scalar discrete
        action with minimum 0.
      config: a `ReinforceConfig` (or, for subclasses, their config).

    Raises:
      ValueError: for a continuous, non-scalar or offset action spec, or a
        bad config.
    """
    if not np.issubdtype(action_spec.dtype, np.integer) or action_spec.shape:
      raise ValueError(
          '%s needs a discrete action space; this environment has %s actions '
          'of shape %s' % (type(self).__name__,
                           np.dtype(action_spec.dtype).name,
                           tuple(action_spec.shape)))
    if int(action_spec.minimum) != 0:
      raise ValueError('discrete actions must start at 0, got minimum %d'
                       % int(action_spec.minimum))
    config.validate()
    self.config = config
    self.num_actions = int(action_spec.maximum) + 1
    self.rollout_length = self._slots()
    self._obs_shape = list(observation_spec.shape)
    obs_dtype = tf.as_dtype(observation_spec.dtype)
    n = config.num_envs
    with tf.variable_scope(self._scope) as self._variable_scope:
      self.env_steps, self.train_steps = transitions.counters()
      self.observ = tf.placeholder(
          obs_dtype, [None] + self._obs_shape, 'observ')
      self.step_type = tf.placeholder(tf.int32, [None], 'step_type')
      self.transition = (
          tf.placeholder(obs_dtype, [n] + self._obs_shape, 'prev_observ'),
          tf.placeholder(tf.int64, [n], 'action'),
          tf.placeholder(tf.float32, [n], 'reward'),
          tf.placeholder(tf.float32, [n], 'discount'),
          tf.placeholder(tf.int32, [n], 'prev_step_type'))
      self.logits, values = self._forward(self.observ)
      self.greedy_action = tf.argmax(self.logits, axis=1)
      self.explore_action = self._sample(self.logits, self.step_type)
      self._optimizer = self._make_optimizer()
      self._make_buffer()
      self.store = self.store_batch(
          list(self.transition) + [self.step_type, values])
      self.clear = self.buffer.clear()
      (self.train, self.loss, self.scalars,
       self.rollout_logits) = self._train_graph(after=[self.store])
      self.sync_target = tf.no_op()

  def _slots(self):
    """Steps the buffer holds per environment."""
    return self.config.max_episode_steps

  def _flat_observ(self, observ):
    """Observations [B, *obs_shape] as float32 [B, prod(obs_shape)]."""
    size = int(np.prod(self._obs_shape))
    return tf.reshape(tf.cast(observ, tf.float32), [-1, size])

  def _forward(self, observ):
    """The network's policy logits [B, A] and values V(s) [B] (0 without a
    baseline) of observations [B, ...]."""
    c, flat = self.config, self._flat_observ(observ)
    logits = networks.mlp(flat, c.hidden_sizes, self.num_actions, 'policy')
    if not c.baseline:
      return logits, tf.zeros_like(logits[:, 0])
    return logits, networks.mlp(flat, c.hidden_sizes, 1, 'value')[:, 0]

  def _forward_rollout(self, observ, step_type):
    """Logits [N, T, A] and values [N, T] of the gathered steps [N, T, ...].

    Each step goes through the network on its own; `step_type` [N, T] is
    there for recurrent torsos.
    """
    del step_type
    logits, values = self._forward(
        tf.reshape(observ, [-1] + self._obs_shape))
    rows = [self.config.num_envs, -1]
    return (tf.reshape(logits, rows + [self.num_actions]),
            tf.reshape(values, rows))

  def explore(self, observ, step_type):
    """Actions a ~ pi(.|s) int64 [N] for observations [N, ...].

    Builds new ops each call (e.g. in a `tf.while_loop` body); they count
    the members whose `step_type` [N] is not LAST as env steps. The MLP
    torso only: a recurrent one reads the `step_type` placeholder.
    """
    with tf.variable_scope(self._variable_scope):
      return self._sample(self._forward(observ)[0], step_type)

  def value(self, observ):
    """V(s) [N] for observations [N, ...] (0 without a baseline)."""
    with tf.variable_scope(self._variable_scope):
      return self._forward(observ)[1]

  def _sample(self, logits, step_type):
    """a ~ softmax(logits) [B]; counts the non-LAST members as env steps."""
    check = tf.debugging.assert_equal(
        tf.shape(step_type)[0], tf.shape(logits)[0],
        message='step_type must have one entry per observation')
    with tf.control_dependencies([check]):
      action = random_draws.categorical(logits, 1, dtype=tf.int64)[:, 0]
    steps = tf.reduce_sum(tf.cast(
        tf.not_equal(step_type, int(ts.StepType.LAST)), tf.int64))
    with tf.control_dependencies([action]):
      count = self.env_steps.assign_add(steps)
    with tf.control_dependencies([count]):
      return tf.identity(action)

  def _make_buffer(self):
    """The buffer of N streams of `rollout_length` steps."""
    n, slots = self.config.num_envs, self.rollout_length
    items = list(self.transition) + [self.step_type]
    names = ('observ', 'action', 'reward', 'discount', 'step_type',
             'next_step_type')
    specs = [tf.TensorSpec(item.shape[1:], item.dtype, name)
             for item, name in zip(items, names)]
    specs.append(tf.TensorSpec([], tf.float32, 'next_value'))
    self.buffer = replay.ReplayBuffer(specs, n * slots, num_streams=n,
                                      name='episodes')

  def store_batch(self, items):
    """The op appending one step of each env [N, ...]: s, a, r, d, step
    types of s and s', V(s'); it fails when the buffer is full."""
    n, slots = self.config.num_envs, self.rollout_length
    with tf.variable_scope(self._variable_scope):
      not_full = tf.debugging.assert_less(
          self.buffer.size(), tf.constant(n * slots, tf.int64),
          message='the buffer holds %d steps per environment and is full: %s'
          % (slots, self._full_message))
      with tf.control_dependencies([not_full]):
        return self.buffer.append_batch(items)

  def rollout_full(self):
    """bool []: the buffer holds `rollout_length` steps of every env."""
    return tf.equal(self.buffer.size(),
                    self.config.num_envs * self.rollout_length)

  def train_step(self):
    """Builds a gradient step on the buffer, then clears it.

    Builds new ops each call (e.g. in a `tf.while_loop` body) on the
    variables of the first call.

    Returns:
      A `TrainStep`.
    """
    with tf.variable_scope(self._variable_scope):
      return agent_lib.TrainStep(*self._train_graph(after=())[:3])

  def _train_graph(self, after):
    """Gathers the buffer after the ops `after`, trains on it, clears it.

    Returns:
      (train_op, loss, scalars, rollout_logits [N, T, A]).
    """
    c = self.config
    with tf.control_dependencies(after):
      (observ, action, reward, discount, step_type, next_step_type,
       next_value) = self.buffer.gather_all()
    rollout_logits, values = self._forward_rollout(observ, step_type)
    lasts = tf.equal(next_step_type, int(ts.StepType.LAST))
    returns = losses.bootstrapped_returns(
        reward, discount, lasts, next_value, c.gamma)
    # A member's step after its LAST step is the auto-reset, no transition.
    mask = self._mask(tf.not_equal(step_type, int(ts.StepType.LAST)), lasts)
    check = tf.debugging.assert_positive(
        tf.reduce_sum(tf.cast(mask, tf.int32)),
        message='nothing to train on: %s' % self._empty_message)
    with tf.control_dependencies([check]):
      mask = tf.identity(mask)
    loss, scalars = self._loss(
        tf.boolean_mask(rollout_logits, mask),
        tf.boolean_mask(values, mask),
        tf.boolean_mask(action, mask), tf.boolean_mask(returns, mask))
    optimizer = self._optimizer
    grads, variables = zip(*optimizer.compute_gradients(
        loss, networks.get_variables(self._scope),
        gate_gradients=optimizer.GATE_GRAPH))
    if c.grad_clip:
      grads, _ = tf.clip_by_global_norm(grads, c.grad_clip)
    apply = self._apply_gradients(grads, variables, mask)
    with tf.control_dependencies([apply]):
      count = self.train_steps.assign_add(1)
      clear = self.buffer.clear()
    return tf.group(apply, count, clear), loss, scalars, rollout_logits

  def _apply_gradients(self, grads, variables, mask):
    """The op applying `grads` to `variables`, the network's; `mask` [N, T]
    marks the rollout's transitions (A3C counts them)."""
    del mask
    return self._optimizer.apply_gradients(zip(grads, variables))

  def _mask(self, valid, lasts):
    """[N, T] bool: transitions of episodes that finished in the buffer."""
    ends_later = tf.cumsum(tf.cast(lasts, tf.int32), axis=1, reverse=True)
    return tf.logical_and(valid, ends_later > 0)

  def _make_optimizer(self):
    return tf.train.AdamOptimizer(self.config.learning_rate)

  def _loss(self, logits, values, actions, returns):
    """The loss and scalars on the M kept steps: [M, A], [M], [M], [M]."""
    c = self.config
    weights = returns - values if c.baseline else returns
    if c.normalize_returns:
      mean, variance = tf.nn.moments(weights, axes=[0])
      weights = (weights - mean) / (tf.sqrt(variance) + NORMALIZE_EPSILON)
    policy = losses.reinforce_loss(logits, actions, weights)
    entropy = tf.reduce_mean(losses.categorical_entropy(logits))
    loss = policy - c.entropy_coef * entropy
    scalars = {'train/policy_loss': policy, 'train/entropy': entropy,
               'train/mean_return': tf.reduce_mean(returns)}
    if c.baseline:
      value, _ = losses.td_loss(values, returns, kind='mse')
      loss += value
      scalars['train/value_loss'] = value
    return loss, scalars

  @property
  def policy_variables(self):
    """The policy network's variables: all that acting greedily needs."""
    return networks.get_variables(self._scope + '/policy')
