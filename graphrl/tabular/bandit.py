"""Slot machines: epsilon-greedy action values of a bandit (lecture seed 003).

Arm a pays reward 1 with probability p[a] and 0 otherwise. The agent keeps
the sample mean of each arm's rewards, updated incrementally after a pull,

  N(a) <- N(a) + 1,   Q(a) <- (1 - 1 / N(a)) * Q(a) + (1 / N(a)) * r,

and pulls argmax_a Q(a) with probability 1 - epsilon, a uniformly random arm
otherwise: it explores at rate epsilon and exploits otherwise, the lecture's
exploration-exploitation trade-off. With the greedy arm optimal, a fraction
1 - epsilon + epsilon / K of the pulls is optimal.

For seed 003's API alone: the training binaries do not use this module.
"""

import numpy as np

from graphrl import exploration
from graphrl.compat import session_config
from graphrl.compat import tf
from graphrl.tabular import value_learning


def pull_lever(payout_probs, arm):
  """Samples the reward of `arm`: float32 [], 1 w.p. payout_probs[arm]."""
  probability = tf.gather(tf.convert_to_tensor(payout_probs, tf.float32), arm)
  return tf.cast(tf.random.uniform([]) < probability, tf.float32)


class EpsilonGreedyBandit(object):
  """Slot machines and the agent's estimates, in non-trainable variables.

  `estimates` (Q, float32 [K]) and `counts` (N, float32 [K]) start at 0.
  Exploration draws from the graph-level seed (`tf.set_random_seed`).
  """

  def __init__(self, payout_probs, epsilon=0.1, name='bandit'):
    """Creates the variables.

    Args:
      payout_probs: the K >= 1 arms' payout probabilities, each in [0, 1].
      epsilon: exploration rate, see `value_learning.exploration_rate`; a
        function gets the number of pulls so far (int64 []).
      name: variable scope.

    Raises:
      ValueError: for no arms or a probability outside [0, 1].
    """
    self.payout_probs = np.asarray(payout_probs, np.float32)
    if (self.payout_probs.ndim != 1 or not self.payout_probs.size or
        np.any((self.payout_probs < 0) | (self.payout_probs > 1))):
      raise ValueError('payout_probs must be a non-empty list of '
                       'probabilities, got {}'.format(payout_probs))
    self._epsilon = epsilon
    num_arms = self.payout_probs.size
    with tf.variable_scope(None, default_name=name):
      self.estimates = tf.Variable(tf.zeros([num_arms]), trainable=False,
                                   use_resource=True, name='estimates')
      self.counts = tf.Variable(tf.zeros([num_arms]), trainable=False,
                                use_resource=True, name='counts')

  def pull(self):
    """Builds one pull: choose an arm, sample its reward, update Q and N.

    Returns:
      (arm, reward): int64 [] and float32 [], evaluated after the update.
    """
    step = tf.cast(tf.reduce_sum(self.counts.read_value()), tf.int64)
    epsilon = value_learning.exploration_rate(self._epsilon, step)
    arm = exploration.epsilon_greedy(
        self.estimates.read_value()[None], epsilon)[0]
    reward = pull_lever(self.payout_probs, arm)
    count = tf.scatter_nd_add(self.counts, arm[None, None], [1.])
    with tf.control_dependencies([count]):
      alpha = 1. / tf.gather(self.counts.read_value(), arm)
    estimate = value_learning.learning_rate_update(
        self.estimates, arm[None], reward, alpha)
    with tf.control_dependencies([estimate]):
      return tf.identity(arm), tf.identity(reward)

  def pulls(self, num_pulls):
    """Builds `num_pulls` pulls, one after another, in one `tf.while_loop`.

    Args:
      num_pulls: int >= 1.

    Returns:
      (arms, rewards): int64 [num_pulls] and float32 [num_pulls].

    Raises:
      ValueError: if num_pulls < 1.
    """
    if num_pulls < 1:
      raise ValueError('num_pulls must be >= 1, got {}'.format(num_pulls))

    def body(i, arms, rewards):
      arm, reward = self.pull()
      return i + 1, arms.write(i, arm), rewards.write(i, reward)

    _, arms, rewards = tf.while_loop(
        lambda i, *_: i < num_pulls, body,
        (0, tf.TensorArray(tf.int64, num_pulls),
         tf.TensorArray(tf.float32, num_pulls)),
        parallel_iterations=1)
    return arms.stack(), rewards.stack()


def train_bandit(payout_probs, num_pulls, epsilon=0.1, seed=None):
  """Plays `num_pulls` pulls of an `EpsilonGreedyBandit` in one run.

  Args:
    payout_probs: the arms' payout probabilities, e.g. [0.3, 0.7].
    num_pulls: int >= 1.
    epsilon: exploration rate, see `EpsilonGreedyBandit`.
    seed: optional graph-level seed.

  Returns:
    (estimates, arms, rewards): numpy float32 [K], int64 [num_pulls] and
    float32 [num_pulls].
  """
  graph = tf.Graph()
  with graph.as_default():
    if seed is not None:
      tf.set_random_seed(seed)
    bandit = EpsilonGreedyBandit(payout_probs, epsilon)
    arms, rewards = bandit.pulls(num_pulls)
    init = tf.global_variables_initializer()
  with tf.Session(graph=graph, config=session_config()) as sess:
    sess.run(init)
    arms, rewards = sess.run([arms, rewards])
    return sess.run(bandit.estimates), arms, rewards
