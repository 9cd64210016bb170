"""Value learning (lecture seed 000, 2.1) and the tabular learner it shares.

A tabular learner keeps its values in a non-trainable variable and learns
from one transition (s, a, r, discount, s') at a time with a learning rate:

  x <- (1 - alpha) * x + alpha * y,   y = r + gamma * discount * v(s'),

where discount is 0 when s' is terminal and 1 otherwise (also at a time-limit
truncation), so terminal states do not bootstrap. It acts epsilon-greedily on
action values q(s, .) and runs one `Session.run` per environment step.

Value learning learns V with v(s') = V(s') and acts by the model P:

  V(s) <- (1 - alpha) * V(s) + alpha * (r + gamma * discount * V(s'))
  q(s, a) = sum_s' P(s'|s, a) * (r(s, a, s') + gamma * discount * V(s'))

Needing P(s'|s, a) to act is the lecture's own caveat, and the reason for
Q-learning. The lecture's update has no gamma (it is gamma = 1) and
bootstraps from terminal states; see the tests' errata.

For seed 000's API alone (its learner also backs `q_learning` and seed
003's `bandit`): the training binaries do not use this module.
"""

import abc

import numpy as np

from graphrl import exploration
from graphrl import schedules
from graphrl.compat import session_config
from graphrl.compat import tf


def td_target(reward, discount, next_value, gamma):
  """y = r + gamma * discount * v(s'); all float32 scalars or alike shapes."""
  return reward + gamma * discount * next_value


def learning_rate_update(table, index, target, alpha):
  """table[index] <- (1 - alpha) * table[index] + alpha * target.

  Args:
    table: float32 variable of rank k.
    index: int tensor [k], the entry to update.
    target: float32 scalar tensor y.
    alpha: learning rate, float or float32 scalar tensor.

  Returns:
    The new entry (float32 []), evaluated after the assignment.
  """
  index = tf.convert_to_tensor(index)
  new = (1. - alpha) * tf.gather_nd(table, index) + alpha * target
  assign = tf.scatter_nd_update(table, index[None], new[None])
  with tf.control_dependencies([assign]):
    return tf.identity(new)


def exploration_rate(epsilon, step):
  """The float32 scalar epsilon at `step`.

  Args:
    epsilon: a number in [0, 1], or a function of the step counter tensor
      returning a scalar, e.g.
      `lambda step: schedules.exponential_decay(step, 50000, 1., .05, .5)`.
    step: int64 scalar tensor.

  Raises:
    ValueError: for a number outside [0, 1].
  """
  if callable(epsilon):
    return tf.cast(epsilon(step), tf.float32)
  if not 0 <= epsilon <= 1:
    raise ValueError('epsilon must lie in [0, 1], got {}'.format(epsilon))
  return tf.constant(epsilon, tf.float32)


def expected_model(transitions):
  """Expected rewards and continuation probabilities of a tabular model.

  Args:
    transitions: gymnasium's `env.unwrapped.P`: transitions[s][a] is a list of
      (probability, next_state, reward, terminated).

  Returns:
    (rewards, continuation): float32 [S, A] with
    rewards[s, a] = sum_s' P(s'|s, a) r(s, a, s') and float32 [S, A, S] with
    continuation[s, a, s'] = P(s'|s, a) * (1 - terminated(s, a, s')).

  Raises:
    ValueError: if the states do not all have the same actions.
  """
  num_states = len(transitions)
  num_actions = len(transitions[0]) if num_states else 0
  if not num_actions or any(
      len(transitions[s]) != num_actions for s in range(num_states)):
    raise ValueError('the model must give every state the same, non-empty '
                     'set of actions')
  rewards = np.zeros([num_states, num_actions], np.float32)
  continuation = np.zeros([num_states, num_actions, num_states], np.float32)
  for s in range(num_states):
    for a in range(num_actions):
      for probability, next_state, reward, terminated in transitions[s][a]:
        rewards[s, a] += probability * reward
        if not terminated:
          continuation[s, a, next_state] += probability
  return rewards, continuation


def _in_range(index, limit, name):
  """`index` after a run-time check that 0 <= index < limit."""
  check = tf.Assert(
      tf.logical_and(index >= 0, index < limit),
      ['{} must lie in [0, {}), got'.format(name, limit), index])
  with tf.control_dependencies([check]):
    return tf.identity(index)


class TabularLearner(abc.ABC):
  """The graph of a tabular learner: placeholders, a table, act and update.

  Placeholders (int32 or float32 scalars): the transition `state`, `action`,
  `reward`, `discount`, `next_state`, and `act_state`, where to act.
  Ops:
    act: int64 [], epsilon-greedy action at `act_state`.
    greedy_action: int64 [], argmax_a q(act_state, a).
    update: learns from the transition and increments `step`; evaluates to
      the new table entry.
    update_and_act: `update`, then `act` on the new table, in one run.
  Subclasses define the table and how to read it. Exploration draws from
  the graph-level seed (`tf.set_random_seed`).
  """

  def __init__(self, num_states, num_actions, alpha, gamma, epsilon, name):
    """Builds the graph in variable scope `name`.

    Args:
      num_states: number of states S >= 1.
      num_actions: number of actions A >= 1.
      alpha: learning rate in (0, 1].
      gamma: discount factor in [0, 1]; 1 is the lecture's update.
      epsilon: exploration rate, see `exploration_rate`.
      name: variable scope.

    Raises:
      ValueError: for arguments out of range.
    """
    if num_states < 1 or num_actions < 1:
      raise ValueError('need num_states >= 1 and num_actions >= 1, got {} '
                       'and {}'.format(num_states, num_actions))
    if not 0 < alpha <= 1:
      raise ValueError('alpha must lie in (0, 1], got {}'.format(alpha))
    if not 0 <= gamma <= 1:
      raise ValueError('gamma must lie in [0, 1], got {}'.format(gamma))
    self.num_states, self.num_actions = num_states, num_actions
    self.gamma = gamma
    self._epsilon = epsilon
    with tf.variable_scope(None, default_name=name):
      self.state = tf.placeholder(tf.int32, [], 'state')
      self.action = tf.placeholder(tf.int32, [], 'action')
      self.reward = tf.placeholder(tf.float32, [], 'reward')
      self.discount = tf.placeholder(tf.float32, [], 'discount')
      self.next_state = tf.placeholder(tf.int32, [], 'next_state')
      self.act_state = tf.placeholder(tf.int32, [], 'act_state')
      self.table = tf.Variable(
          tf.zeros(self._table_shape()), trainable=False, use_resource=True,
          name='table')
      self.step = tf.Variable(tf.constant(0, tf.int64), trainable=False,
                              use_resource=True, name='step')
      act_state = _in_range(self.act_state, num_states, 'act_state')
      self.act = self._act(act_state)
      self.greedy_action = tf.argmax(self._action_values(act_state))
      next_value = self._next_value(
          _in_range(self.next_state, num_states, 'next_state'))
      target = td_target(self.reward, self.discount, next_value, gamma)
      index = self._index(_in_range(self.state, num_states, 'state'),
                          _in_range(self.action, num_actions, 'action'))
      new = learning_rate_update(self.table, index, target, alpha)
      with tf.control_dependencies([new, self.step.assign_add(1)]):
        self.update = tf.identity(new)
      with tf.control_dependencies([self.update]):
        self.update_and_act = self._act(act_state)

  def feed(self, state, action, reward, discount, next_state, act_state):
    """The feed dict of `update_and_act`."""
    return {self.state: state, self.action: action, self.reward: reward,
            self.discount: discount, self.next_state: next_state,
            self.act_state: act_state}

  def _act(self, state):
    """Epsilon-greedy action at `state`, reading the table and step now."""
    epsilon = exploration_rate(self._epsilon, self.step.read_value())
    values = self._action_values(state)
    return exploration.epsilon_greedy(values[None], epsilon)[0]

  @abc.abstractmethod
  def _table_shape(self):
    """The table's shape."""

  @abc.abstractmethod
  def _index(self, state, action):
    """int32 [k]: the entry that the transition from (s, a) updates."""

  @abc.abstractmethod
  def _next_value(self, next_state):
    """float32 []: v(s')."""

  @abc.abstractmethod
  def _action_values(self, state):
    """float32 [A]: q(s, .)."""


class ValueLearning(TabularLearner):
  """Learns V(s) from transitions and acts by the model (module docstring).

  `table` is V, float32 [S]. The model gives the action values
  q(s, a) = rewards[s, a] + gamma * sum_s' continuation[s, a, s'] V(s').
  V learns the values of the policy it follows (TD(0)): it reaches V* where
  that policy is greedy, i.e. as epsilon decays to 0.
  """

  def __init__(self, transitions, alpha=0.1, gamma=0.99, epsilon=0.1,
               name='value_learning'):
    """Builds the graph.

    Args:
      transitions: the model, gymnasium's `env.unwrapped.P`.
      alpha: learning rate in (0, 1].
      gamma: discount factor in [0, 1]; 1 is the lecture's update.
      epsilon: exploration rate, see `exploration_rate`.
      name: variable scope.
    """
    self._rewards, self._continuation = expected_model(transitions)
    super().__init__(len(transitions), self._rewards.shape[1], alpha, gamma,
                     epsilon, name)

  def _table_shape(self):
    return [self.num_states]

  def _index(self, state, action):
    del action  # V(s) does not depend on it.
    return state[None]

  def _next_value(self, next_state):
    return tf.gather(self.table, next_state)

  def _action_values(self, state):
    rewards = tf.gather(tf.constant(self._rewards), state)
    continuation = tf.gather(tf.constant(self._continuation), state)
    return rewards + self.gamma * tf.linalg.matvec(continuation,
                                                   self.table.read_value())


def train(env, make_learner, num_steps, seed=None):
  """Runs a tabular learner on `env` for `num_steps` steps in a new graph.

  Each step is one `Session.run` of `update_and_act`; an episode's last step
  resets `env`, and the learner acts at the new first state.

  Args:
    env: a `PyEnvironment` with integer observations and actions.
    make_learner: function returning a `TabularLearner`, called in the graph.
    num_steps: number of environment steps, >= 1.
    seed: optional graph-level seed.

  Returns:
    (table, returns): the learned table (numpy) and the undiscounted return
    of each finished episode (float32 [num_episodes]).

  Raises:
    ValueError: if num_steps < 1.
  """
  if num_steps < 1:
    raise ValueError('num_steps must be >= 1, got {}'.format(num_steps))
  graph = tf.Graph()
  with graph.as_default():
    if seed is not None:
      tf.set_random_seed(seed)
    learner = make_learner()
    init = tf.global_variables_initializer()
  returns, episode_return = [], 0.
  with tf.Session(graph=graph, config=session_config()) as sess:
    sess.run(init)
    time_step = env.reset()
    action = sess.run(learner.act, {learner.act_state: time_step.observation})
    for _ in range(num_steps):
      next_step = env.step(action)
      episode_return += float(next_step.reward)
      act_step = next_step
      if next_step.is_last():
        returns.append(episode_return)
        episode_return = 0.
        act_step = env.reset()
      action = sess.run(learner.update_and_act, learner.feed(
          time_step.observation, action, next_step.reward,
          next_step.discount, next_step.observation, act_step.observation))
      time_step = act_step
    return sess.run(learner.table), np.array(returns, np.float32)


def default_epsilon(num_steps):
  """The lecture's schedule: 1 -> 0.05 exponentially over `num_steps`.

    epsilon = exponential_decay(step, num_steps, 1.0, 0.05, rate=0.5)
  """
  return lambda step: schedules.exponential_decay(step, num_steps, 1.0, 0.05,
                                                  rate=0.5)


def train_value_learning(env, num_steps, alpha=0.1, gamma=0.99, epsilon=None,
                         seed=None):
  """Value learning on a gymnasium toy-text `env` with its model P.

  Args:
    env: a `GymWrapper`, e.g. `envs.load('FrozenLake-v1', seed=0)`.
    num_steps: number of environment steps, >= 1.
    alpha: learning rate in (0, 1].
    gamma: discount factor in [0, 1].
    epsilon: exploration rate (see `exploration_rate`); None is
      `default_epsilon(num_steps)`.
    seed: optional graph-level seed.

  Returns:
    (V, returns): float32 [S] and the returns of the finished episodes.
  """
  epsilon = default_epsilon(num_steps) if epsilon is None else epsilon
  return train(
      env, lambda: ValueLearning(env.gym_env.unwrapped.P, alpha, gamma,
                                 epsilon), num_steps, seed)
