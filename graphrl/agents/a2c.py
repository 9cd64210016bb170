"""Synchronous advantage actor-critic (A2C; Mnih et al., 2016): MLP or GRU.

Seed 000, section 3.2: actor and critic share lower layers, the advantage
A_t = G_t - V(s_t) weights the policy gradient. The agent steps N
environments as a batch and reuses the act and store ops of
`graphrl.agents.reinforce.ReinforceAgent`; its buffer holds a rollout of
n_steps steps of every environment, and each full rollout is one update:

  features: h = MLP torso(s) (all layers ReLU); logits, V(s) = linear heads
  returns:  G_t = r_t + gamma * G_{t+1} within the rollout; at its end
            G_t = r_t + gamma * V(s_{t+n}), the n-step return; at an
            episode's last step G_t = r_t + gamma * d_t * V(s_{t+1}):
            r_t at a termination (d = 0), and at a time-limit truncation
            (d = 1) the value of the final observation, which the
            environment's LAST time step holds, since truncation is not
            termination
  loss:     `losses.actor_critic_loss`: -mean_t stop_gradient(G_t - V(s_t))
            log pi(a_t|s_t) + value_coef * mean_t (G_t - V(s_t))^2
            - entropy_coef * mean_t H(pi(.|s_t)); one gradient step (Adam
            or RMSProp) per rollout, then the buffer is cleared
  act_after_train: the next action, sampled after the gradient step

The values V(s_{t+1}) that returns bootstrap from are computed when a step
is stored, with the weights the rollout was collected with. The loop never
resets the environments: rollouts continue the running episodes.

Feature networks (`network`): 'mlp' as above, or 'a3c' for Atari frames
[B, 84, 84, C]: the conv torso of A3C (`networks.a3c_torso`, 256 features).

Torsos (`torso`): 'mlp', the features alone, or 'gru': the features x_t
feed a GRU (`graphrl.gru`) of `gru_units` whose state the heads read
instead, so the policy can remember what one observation misses (e.g.
velocities); network 'a3c' with torso 'gru' is the A3C network of seed 000
(conv, dense 256, GRU 256):

  acting:   h_t = GRU(x_t, (1 - first_t) * h_{t-1}), first_t = step type
            FIRST; logits, V(s_t) = linear heads on h_t. Each of the N
            environments carries its h in the variable `state` [N, units]
            (in checkpoints): sampling an action (explore_action,
            act_after_train) writes h_t; the V(s_t) stored as a bootstrap
            value reads it without writing
  rollouts: clearing the buffer (`clear`, and `train` after its update)
            copies `state` to `rollout_start` [N, units]: the state before
            the rollout's first observation, which is stored next
  training: h_0..h_{T-1} = `gru.gru_sequence` from `rollout_start` over the
            stored observations, zeroed before each FIRST step (truncated
            backpropagation through time over n_steps), giving the logits
            and values of acting; V(s_{t+n}) comes from the state after the
            rollout's last step
  greedy:   `greedy_action` carries the separate state `eval_state` [B,
            units] of a batch of B evaluation environments; `eval_reset`
            zeroes it before a batch of episodes starts (it is not saved)

The lecture's GRU (seed 000, sections 3.1-3.2) discards its final state
(`h4, _ = tf.nn.dynamic_rnn(...)`): every acting call starts from zeros and
the policy has no memory; here the state is carried between calls.
"""

import dataclasses

from graphrl import gru
from graphrl import losses
from graphrl import networks
from graphrl.agents import reinforce
from graphrl.compat import tf
from graphrl.envs import time_step as ts

OPTIMIZERS = ('adam', 'rmsprop')
NETWORKS = ('mlp', 'a3c')
TORSOS = ('mlp', 'gru')
# RMSProp as in the A2C baselines: decay 0.99, epsilon 1e-5.
RMSPROP_DECAY = 0.99
RMSPROP_EPSILON = 1e-5


@dataclasses.dataclass(frozen=True)
class A2CConfig:
  """Hyperparameters of `A2CAgent`; the defaults solve CartPole-v1."""
  network: str = 'mlp'                 # or 'a3c' (Atari frames)
  hidden_sizes: tuple = (64, 64)       # of the 'mlp' network, at least one
  optimizer: str = 'adam'              # or 'rmsprop' (Mnih et al. 2016)
  learning_rate: float = 2e-3
  gamma: float = 0.98
  n_steps: int = 8                     # rollout length per environment
  num_envs: int = 8
  value_coef: float = 0.5
  entropy_coef: float = 0.01
  grad_clip: float = 0.5               # global norm; 0 disables
  torso: str = 'mlp'                   # or 'gru': the network, then a GRU
  gru_units: int = 64                  # state size of the 'gru' torso

  def validate(self):
    """Raises ValueError naming the first bad hyperparameter."""
    reinforce.raise_first_failure(reinforce.common_checks(self) + [
        (len(self.hidden_sizes) >= 1,
         'hidden_sizes must name at least one torso layer'),
        (self.network in NETWORKS,
         'network must be one of %s, got %r' % (NETWORKS, self.network)),
        (self.optimizer in OPTIMIZERS,
         'optimizer must be one of %s, got %r' % (OPTIMIZERS, self.optimizer)),
        (isinstance(self.n_steps, int) and self.n_steps >= 1,
         'n_steps must be a positive int, got %r' % (self.n_steps,)),
        (self.value_coef >= 0,
         'value_coef must be >= 0, got %r' % self.value_coef),
        (self.torso in TORSOS,
         'torso must be one of %s, got %r' % (TORSOS, self.torso)),
        (isinstance(self.gru_units, int) and self.gru_units >= 1,
         'gru_units must be a positive int, got %r' % (self.gru_units,)),
    ])


class A2CAgent(reinforce.ReinforceAgent):
  """Builds the A2C graph in the default graph, under variable scope 'a2c'.

  Has the tensors and ops of `ReinforceAgent`, with rollout_length =
  n_steps, not episodic (so it has `act_after_train`; `graphrl.agents.agent`).
  With torso 'gru' (see the module docstring), explore_action and
  act_after_train take B = num_envs observations, and:
    state:         float [N, gru_units] variable, the carried GRU state
    rollout_start: float [N, gru_units] variable, the state before the
                   buffer's first step
    eval_state:    float [B, gru_units] local variable of greedy_action
    eval_reset:    empties eval_state: the next greedy_action starts at zeros
                   (acts_with_state)
  """

  episodic = False
  _scope = 'a2c'
  _full_message = 'run train after n_steps stores'
  _empty_message = 'store a rollout before training'

  def __init__(self, observation_spec, action_spec, config):
    """Builds the graph.

    Args:
      observation_spec: `graphrl.envs.ArraySpec` of one observation; it is
        flattened for the 'mlp' network and must be frames [H, W, C] for
        'a3c'.
      action_spec: `graphrl.envs.BoundedArraySpec` of a scalar discrete
        action with minimum 0.
      config: an `A2CConfig`.

    Raises:
      ValueError: for a continuous, non-scalar or offset action spec,
        observations that are not frames for network 'a3c', or a bad config.
    """
    if config.network == 'a3c' and len(observation_spec.shape) != 3:
      raise ValueError(
          "network 'a3c' needs frame observations [H, W, C], got shape %s"
          % (tuple(observation_spec.shape),))
    super().__init__(observation_spec, action_spec, config)
    with tf.variable_scope(self._scope):
      if config.torso == 'gru':
        self._build_recurrent_state()
      with tf.control_dependencies([self.train]):
        logits, _ = self._forward(self.observ)
        self.act_after_train = self._sample(logits, self.step_type)

  @property
  def acts_with_state(self):
    """With the GRU torso: greedy acting carries its state."""
    return self.config.torso == 'gru'

  def _slots(self):
    return self.config.n_steps

  def _features(self, observ):
    """Features [B, F]: the A3C conv torso, or ReLU layers of hidden_sizes."""
    if self.config.network == 'a3c':
      return networks.a3c_torso(observ, 'torso')
    sizes = self.config.hidden_sizes
    # The MLP's linear output layer, rectified, is the last torso layer.
    return tf.nn.relu(networks.mlp(
        self._flat_observ(observ), sizes[:-1], sizes[-1], 'torso'))

  def _heads(self, features):
    return networks.policy_value_heads(features, self.num_actions, 'heads')

  def _recurrent_variable(self, name):
    """A non-trainable state variable of the GRU torso, zeros [N, units]."""
    shape = [self.config.num_envs, self.config.gru_units]
    with tf.variable_scope('recurrent', reuse=tf.AUTO_REUSE):
      return tf.get_variable(name, initializer=tf.zeros(shape),
                             trainable=False, use_resource=True)

  def _forward(self, observ):
    """Logits [N, A] and V(s) [N]; a GRU torso steps the N env states.

    The GRU's h_t = GRU(x_t, (1 - first_t) * h_{t-1}) is written to `state`
    when the logits are computed (to sample from), not for the values.
    """
    features = self._features(observ)
    if self.config.torso == 'mlp':
      return self._heads(features)
    state = self._recurrent_variable('state')
    check = tf.debugging.assert_equal(
        tf.shape(observ)[0], self.config.num_envs,
        message='the GRU torso acts on num_envs=%d observations at a time '
        '(greedy_action takes any batch)' % self.config.num_envs)
    with tf.control_dependencies([check]):
      first = tf.equal(self.step_type, int(ts.StepType.FIRST))
    keep = 1. - tf.cast(first, tf.float32)[:, None]
    new_state = gru.gru_step(features, keep * state.read_value(),
                             self.config.gru_units)
    logits, values = self._heads(new_state)
    with tf.control_dependencies([state.assign(new_state)]):
      return tf.identity(logits), values

  def _forward_rollout(self, observ, step_type):
    """Logits [N, T, A], values [N, T]; a GRU unrolls from rollout_start."""
    if self.config.torso == 'mlp':
      return super()._forward_rollout(observ, step_type)
    n = self.config.num_envs
    features = self._features(tf.reshape(observ, [-1] + self._obs_shape))
    features = tf.reshape(features, [n, -1, features.shape[-1]])
    outputs, _ = gru.gru_sequence(
        features, self._recurrent_variable('rollout_start').read_value(),
        tf.equal(step_type, int(ts.StepType.FIRST)), self.config.gru_units)
    return self._heads(outputs)

  def _build_recurrent_state(self):
    """Rollout start captures, greedy_action with eval_state, eval_reset."""
    units = self.config.gru_units
    self.state = self._recurrent_variable('state')
    self.rollout_start = self._recurrent_variable('rollout_start')
    # Clearing the buffer starts a rollout; the train op clears it last.
    self.clear = tf.group(
        self.clear, self.rollout_start.assign(self.state.read_value()))
    with tf.control_dependencies([self.train]):
      self.train = tf.group(
          self.train, self.rollout_start.assign(self.state.read_value()))
    # Named 'a2c/eval_state' although this re-entered scope's ops are not.
    with tf.name_scope(tf.get_variable_scope().original_name_scope):
      self.eval_state = tf.Variable(
          tf.zeros([0, units]), shape=[None, units], trainable=False,
          use_resource=True, collections=[tf.GraphKeys.LOCAL_VARIABLES],
          name='eval_state')
    self.eval_reset = self.eval_state.assign(tf.zeros([0, units]))
    batch = tf.shape(self.observ)[0]
    carried = self.eval_state.read_value()
    rows = tf.shape(carried)[0]
    check = tf.Assert(
        tf.logical_or(tf.equal(rows, 0), tf.equal(rows, batch)),
        ['greedy_action got', batch, 'observations but carries the state of',
         rows, 'environments; run eval_reset before a new batch'])
    with tf.control_dependencies([check]):
      previous = tf.cond(tf.equal(rows, 0),
                         lambda: tf.zeros([batch, units]),
                         lambda: tf.reshape(carried, [batch, units]))
    new_state = gru.gru_step(self._features(self.observ), previous, units)
    logits, _ = self._heads(new_state)
    with tf.control_dependencies([self.eval_state.assign(new_state)]):
      self.greedy_action = tf.argmax(logits, axis=1)

  def _mask(self, valid, lasts):
    """Every transition of the rollout; only auto-reset steps are dropped."""
    del lasts  # Unfinished episodes bootstrap from V.
    return valid

  def _make_optimizer(self):
    c = self.config
    if c.optimizer == 'rmsprop':
      return tf.train.RMSPropOptimizer(
          c.learning_rate, decay=RMSPROP_DECAY, epsilon=RMSPROP_EPSILON)
    return tf.train.AdamOptimizer(c.learning_rate)

  def _loss(self, logits, values, actions, returns):
    c = self.config
    loss, terms = losses.actor_critic_loss(
        logits, values, actions, returns, c.value_coef, c.entropy_coef)
    scalars = {'train/%s_loss' % name: terms[name]
               for name in ('policy', 'value')}
    scalars.update({'train/entropy': terms['entropy'],
                    'train/mean_return': tf.reduce_mean(returns),
                    'train/mean_value': tf.reduce_mean(values)})
    return loss, scalars

  @property
  def policy_variables(self):
    """The torso and head variables: all that acting greedily needs."""
    return networks.get_variables(self._scope)
