"""An Ape-X actor's graph (Horgan et al., 2018): acting on a local copy of
the learner's Q network.

The actor's graph holds two networks of `dqn.q_network`:

  mirror: variables named as the learner's 'dqn/q/...' (and its
          'dqn/env_steps'), placed on the learner's device: in a cluster
          they ARE the learner's variables (between-graph replication: a
          variable is found by name on its device). The actor never
          initializes, saves or trains them; they are in no collection of
          its graph, so its `tf.global_variables_initializer()` leaves
          them alone.
  local:  'actor/dqn/q/...' on the actor's device, which every op of the
          actor but `refresh` reads, so acting runs no remote op;
          `refresh` copies the mirror into it (one remote read).

It acts epsilon-greedily with its fixed epsilon (`actor_epsilon`) and
computes the initial priorities of the transitions it sends,

  p = |R + gamma d max_a Q(s', a) - Q(s, a)| + priority_epsilon,

with Q the local network's (the mean over the quantiles of the 'quantile'
head), R and d those of an n-step transition (`graphrl.n_step`). It sends
those n-step transitions, or, to a learner with a frame replay (which
rebuilds the n-step ones from each actor's stream of steps), the one-step
transitions of the same steps with their n-step priorities.
"""

import numpy as np

from graphrl import exploration
from graphrl import losses
from graphrl import targets
from graphrl.agents import dqn
from graphrl.agents import transitions
from graphrl.compat import tf

SCOPE = 'actor'  # Of the actor's own variables: 'actor/dqn/q/...' etc.


def actor_epsilon(index, count, base=0.4, alpha=7.0):
  """Ape-X's epsilon of actor `index` of `count`:
  epsilon_i = base^(1 + alpha i / (N - 1)), and base for N = 1."""
  if count == 1:
    return base
  return base ** (1 + alpha * index / (count - 1))


class ApexActor:
  """Builds an actor's graph in the default graph (see the module docstring).

  For B observations:
    observ:         placeholder [B, *observation_shape]
    q_values:       float32 [B, A], the local network's Q(s, .)
    explore_action: int64 [B], epsilon-greedy; adds B to `env_steps`
    greedy_action:  int64 [B], argmax_a Q(s, a)
    env_steps:      int64 [] variable, the actor's own env steps
    refresh:        op: local network := the learner's
    learner_env_steps: int64 [] variable, the learner's `env_steps` (the
                    transitions it received: the run's step count)
    transition:     placeholders (s [K, *obs], a int64 [K], R [K], s' [K,
                    *obs], d [K]) of K n-step transitions
    priority:       float32 [K], their initial priorities
    sends_steps:    whether it sends one-step transitions (frame replay)
    pushed:         what it sends for those K transitions: `transition`,
                    or with `sends_steps` (s, a, r [K], s'_1 [K, *obs],
                    d_1 [K]), the one-step transitions of the same s and a
                    (r, s'_1, d_1 placeholders)
    local_variables: the local network's variables
  """

  def __init__(self, observation_spec, action_spec, config, epsilon,
               local_device, learner_device):
    """Builds the graph.

    Args:
      observation_spec: `graphrl.envs.ArraySpec` of one observation.
      action_spec: `graphrl.envs.BoundedArraySpec` of a scalar discrete
        action with minimum 0.
      config: the run's `dqn.DQNConfig`: its network, head, gamma,
        n_step (of the actor's transitions) and priority_epsilon (the
        learner's agent has this config with n_step 1).
      epsilon: the fixed exploration rate in [0, 1].
      local_device: the actor's device, e.g. '/job:actor/task:3'.
      learner_device: the learner's, '/job:learner/task:0'.

    Raises:
      ValueError: for a continuous or non-scalar action spec, a bad config
        or epsilon.
    """
    if not np.issubdtype(action_spec.dtype, np.integer) or action_spec.shape:
      raise ValueError('an Ape-X actor needs a discrete action space')
    if not 0 <= epsilon <= 1:
      raise ValueError('epsilon must lie in [0, 1], got %r' % (epsilon,))
    config.validate()
    self.config, self.epsilon = config, epsilon
    self._num_actions = int(action_spec.maximum) - int(action_spec.minimum) + 1
    dtype = tf.as_dtype(observation_spec.dtype)
    shape = list(observation_spec.shape)
    with tf.device(local_device), tf.variable_scope(SCOPE):
      self.observ = tf.placeholder(dtype, [None] + shape, 'observ')
      with tf.variable_scope('dqn') as self._scope:
        self.env_steps = tf.Variable(0, dtype=tf.int64, trainable=False,
                                     name='env_steps')
        self.q_values = self._q(self.observ)
      self.local_variables = tf.get_collection(
          tf.GraphKeys.GLOBAL_VARIABLES, self._scope.name + '/q/')
      targets.exclude_from_training(self.local_variables)
      self.greedy_action = tf.argmax(self.q_values, axis=1)
      self.explore_action = transitions.counting(
          exploration.epsilon_greedy(self.q_values, epsilon), self.env_steps)
      self.transition = (
          tf.placeholder(dtype, [None] + shape, 'push_observ'),
          tf.placeholder(tf.int64, [None], 'push_action'),
          tf.placeholder(tf.float32, [None], 'push_reward'),
          tf.placeholder(dtype, [None] + shape, 'push_next_observ'),
          tf.placeholder(tf.float32, [None], 'push_discount'))
      self.priority = self._priority(*self.transition)
      self.sends_steps = config.replay in dqn.FRAME_REPLAYS
      self.pushed = self.transition
      if self.sends_steps:
        self.pushed = self.transition[:2] + (
            tf.placeholder(tf.float32, [None], 'push_step_reward'),
            tf.placeholder(dtype, [None] + shape, 'push_step_next_observ'),
            tf.placeholder(tf.float32, [None], 'push_step_discount'))
    self.learner_env_steps, mirror = self._mirror(learner_device)
    self.refresh = self._refresh(mirror)

  def _q(self, observ):
    """The local network's Q(s, .) [B, A] for observations [B, ...]."""
    with tf.variable_scope(self._scope):
      return dqn.mean_q(self.config, dqn.q_network(
          self.config, self._num_actions, observ, 'q'))

  def _priority(self, observ, action, reward, next_observ, discount):
    """p = |R + gamma d max_a Q(s', a) - Q(s, a)| + priority_epsilon [K]."""
    c = self.config
    target = losses.q_learning_target(reward, discount, self._q(next_observ),
                                      c.gamma)
    q_sa = losses.action_values(self._q(observ), action)
    return tf.abs(target - q_sa) + c.priority_epsilon

  def _mirror(self, learner_device):
    """(env_steps, Q variables) of the learner, by name on its device; in
    no collection of the graph."""
    with tf.device(learner_device), tf.variable_scope('dqn'):
      # As `transitions.counters` makes the learner's.
      env_steps = tf.Variable(0, dtype=tf.int64, trainable=False,
                              name='env_steps')
      # Made for its variables: the mirror's ops never run.
      dqn.q_network(self.config, self._num_actions, self.observ, 'q')
    variables = [v for v in tf.global_variables()
                 if v.op.name.startswith('dqn/q/')]
    if env_steps.op.name != 'dqn/env_steps' or not variables:
      raise ValueError(
          "the learner's variables are found by name: build the actor in a "
          "graph with no other 'dqn' scope (got %s)" % env_steps.op.name)
    _detach(variables + [env_steps])
    return env_steps, variables

  def _refresh(self, mirror):
    """The op copying the `mirror` variables into the local ones."""
    local = {v.op.name[len(SCOPE) + 1:]: v for v in self.local_variables}
    return tf.group(*[local[v.op.name].assign(v) for v in mirror],
                    name='refresh')


def _detach(variables):
  """Takes `variables` out of every collection of the default graph."""
  graph = tf.get_default_graph()
  for key in graph.get_all_collection_keys():
    collection = graph.get_collection_ref(key)
    for variable in variables:
      if variable in collection:
        collection.remove(variable)
