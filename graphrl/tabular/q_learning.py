"""Tabular Q-learning (Watkins 89; lecture seed 000, 2.2).

  Q(s, a) <- (1 - alpha) * Q(s, a)
             + alpha * (r + gamma * discount * max_a' Q(s', a'))

with discount 0 when s' is terminal, so max_a' Q(terminal, a') counts as 0.
It acts epsilon-greedily on Q(s, .) and, unlike value learning, needs no
model. The lecture's update has no gamma (it is gamma = 1) and bootstraps
from terminal states; see the tests' errata.

For seed 000's API alone: the training binaries do not use this module.
"""

from graphrl.compat import tf
from graphrl.tabular import value_learning


class QLearning(value_learning.TabularLearner):
  """The Q-learning graph; `table` is Q, float32 [S, A].

  Placeholders and ops are those of `value_learning.TabularLearner`.
  """

  def __init__(self, num_states, num_actions, alpha=0.1, gamma=0.99,
               epsilon=0.1, name='q_learning'):
    """Builds the graph.

    Args:
      num_states: number of states S >= 1.
      num_actions: number of actions A >= 1.
      alpha: learning rate in (0, 1].
      gamma: discount factor in [0, 1]; 1 is the lecture's update.
      epsilon: exploration rate, see `value_learning.exploration_rate`.
      name: variable scope.
    """
    super().__init__(num_states, num_actions, alpha, gamma, epsilon, name)

  def _table_shape(self):
    return [self.num_states, self.num_actions]

  def _index(self, state, action):
    return tf.stack([state, action])

  def _next_value(self, next_state):
    return tf.reduce_max(tf.gather(self.table, next_state))

  def _action_values(self, state):
    return tf.gather(self.table, state)


def train_q_learning(env, num_steps, alpha=0.1, gamma=0.99, epsilon=None,
                     seed=None):
  """Q-learning on `env`, an environment with discrete states and actions.

  Args:
    env: a `PyEnvironment` with scalar integer observations and actions in
      [0, S) and [0, A), e.g. `envs.load('FrozenLake-v1', seed=0)`.
    num_steps: number of environment steps, >= 1.
    alpha: learning rate in (0, 1].
    gamma: discount factor in [0, 1].
    epsilon: exploration rate (see `value_learning.exploration_rate`); None
      is `value_learning.default_epsilon(num_steps)`.
    seed: optional graph-level seed.

  Returns:
    (Q, returns): float32 [S, A] and the undiscounted returns of the
    finished episodes.

  Raises:
    ValueError: if states or actions do not start at 0, or num_steps < 1.
  """
  if epsilon is None:
    epsilon = value_learning.default_epsilon(num_steps)
  observation_spec, action_spec = env.observation_spec(), env.action_spec()
  if observation_spec.minimum != 0 or action_spec.minimum != 0:
    raise ValueError('states and actions must be numbered from 0, got {} and '
                     '{}'.format(observation_spec, action_spec))
  num_states = int(observation_spec.maximum) + 1
  num_actions = int(action_spec.maximum) + 1
  return value_learning.train(
      env, lambda: QLearning(num_states, num_actions, alpha, gamma, epsilon),
      num_steps, seed)
