"""Synchronous advantage actor-critic (A2C; Mnih et al., 2016), MLP torso.

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

Torso seam: `_features` maps observations to features. Only 'mlp' exists;
a recurrent torso (`networks.a3c_recurrent_torso`) would also store the GRU
state at each rollout start and feed it when acting.
"""

import dataclasses

from graphrl import losses
from graphrl import networks
from graphrl.agents import reinforce
from graphrl.compat import tf

OPTIMIZERS = ('adam', 'rmsprop')
TORSOS = ('mlp',)
# RMSProp as in the A2C baselines: decay 0.99, epsilon 1e-5.
RMSPROP_DECAY = 0.99
RMSPROP_EPSILON = 1e-5


@dataclasses.dataclass(frozen=True)
class A2CConfig:
  """Hyperparameters of `A2CAgent`; the defaults solve CartPole-v1."""
  hidden_sizes: tuple = (64, 64)       # of the shared torso, at least one
  optimizer: str = 'adam'              # or 'rmsprop' (Mnih et al. 2016)
  learning_rate: float = 2e-3
  gamma: float = 0.98
  n_steps: int = 8                     # rollout length per environment
  num_envs: int = 8
  value_coef: float = 0.5
  entropy_coef: float = 0.01
  grad_clip: float = 0.5               # global norm; 0 disables
  torso: str = 'mlp'

  def validate(self):
    """Raises ValueError naming the first bad hyperparameter."""
    reinforce.raise_first_failure(reinforce.common_checks(self) + [
        (len(self.hidden_sizes) >= 1,
         'hidden_sizes must name at least one torso layer'),
        (self.optimizer in OPTIMIZERS,
         'optimizer must be one of %s, got %r' % (OPTIMIZERS, self.optimizer)),
        (isinstance(self.n_steps, int) and self.n_steps >= 1,
         'n_steps must be a positive int, got %r' % (self.n_steps,)),
        (self.value_coef >= 0,
         'value_coef must be >= 0, got %r' % self.value_coef),
        (self.torso in TORSOS,
         'torso must be one of %s (a recurrent torso is not implemented), '
         'got %r' % (TORSOS, self.torso)),
    ])


class A2CAgent(reinforce.ReinforceAgent):
  """Builds the A2C graph in the default graph, under variable scope 'a2c'.

  Has the tensors and ops of `ReinforceAgent` (rollout_length = n_steps,
  episodic False), and:
    act_after_train: int64 [B], the train op, then a ~ pi(.|observ) with the
                     new weights; counts the env steps like explore_action
  """

  episodic = False
  _scope = 'a2c'
  _full_message = 'run train after n_steps stores'
  _empty_message = 'store a rollout before training'

  def __init__(self, observation_spec, action_spec, config):
    """Builds the graph.

    Args:
      observation_spec: `graphrl.envs.ArraySpec` of one observation; it is
        flattened for the MLP torso.
      action_spec: `graphrl.envs.BoundedArraySpec` of a scalar discrete
        action with minimum 0.
      config: an `A2CConfig`.

    Raises:
      ValueError: for a continuous, non-scalar or offset action spec, or a
        bad config.
    """
    super().__init__(observation_spec, action_spec, config)
    with tf.variable_scope(self._scope):
      with tf.control_dependencies([self.train]):
        logits, _ = self._evaluate(self.observ)
        self.act_after_train = self._sample(logits)

  def _slots(self):
    return self.config.n_steps

  def _features(self, observ):
    """Torso features [B, F]: ReLU layers of `hidden_sizes`."""
    sizes = self.config.hidden_sizes
    # The MLP's linear output layer, rectified, is the last torso layer.
    return tf.nn.relu(networks.mlp(
        self._flat_observ(observ), sizes[:-1], sizes[-1], 'torso'))

  def _evaluate(self, observ):
    return networks.policy_value_heads(
        self._features(observ), self.num_actions, 'heads')

  def _mask(self, valid, lasts):
    """Every transition of the rollout; only auto-reset steps are dropped."""
    del lasts  # Unfinished episodes bootstrap from V.
    return valid

  def _optimizer(self):
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
