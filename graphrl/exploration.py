"""Exploration: epsilon-greedy actions and action noise processes.

`epsilon_greedy` explores in discrete action spaces (DQN); the
Ornstein-Uhlenbeck process and Gaussian noise perturb continuous actions
(DDPG). `noise` is the DDPG lecture's function form of the OU process.
"""

import numbers

from graphrl import random_draws
from graphrl.compat import tf


def epsilon_greedy(q_values, epsilon, seed=None):
  """Batched epsilon-greedy action selection.

  Each row independently takes a uniformly random action with probability
  epsilon and a = argmax_a' Q(s, a') otherwise, so a non-greedy action is
  taken with probability epsilon * (A - 1) / A.

  Args:
    q_values: float tensor [B, A].
    epsilon: float scalar tensor or Python number, the exploration rate.
    seed: optional op-level seed.

  Returns:
    int64 tensor [B] of actions.

  Raises:
    ValueError: if `q_values` is not of rank 2 or `epsilon` not a scalar.
  """
  q_values = tf.convert_to_tensor(q_values)
  epsilon = tf.cast(epsilon, tf.float32)
  if q_values.shape.ndims != 2:
    raise ValueError(
        'q_values must have shape [B, A], got {}'.format(q_values.shape))
  if epsilon.shape.ndims != 0:
    raise ValueError('epsilon must be a scalar, got {}'.format(epsilon.shape))
  shape = tf.shape(q_values, out_type=tf.int64)
  greedy = tf.argmax(q_values, axis=1)
  random = random_draws.uniform(shape[:1], 0, shape[1], tf.int64, seed=seed)
  explore = random_draws.uniform(
      shape[:1], seed=None if seed is None else seed + 1) < epsilon
  return tf.where(explore, random, greedy)


def gaussian_noise(shape, stddev, seed=None):
  """Returns a sample op of independent N(0, stddev^2) noise of `shape`."""
  if isinstance(stddev, numbers.Real) and stddev < 0:
    raise ValueError('stddev must be >= 0, got {}'.format(stddev))
  return random_draws.normal(shape, stddev=stddev, seed=seed)


class OrnsteinUhlenbeckNoise(object):
  """Temporally correlated noise, the Euler-discretized OU process.

    x <- x + theta * (mu - x) * dt + sigma * sqrt(dt) * N(0, 1)

  The state x lives in a non-trainable variable (float32, `shape`), so it is
  checkpointed and excluded from optimizers and target-network updates. For
  dt = 1 its stationary variance is sigma^2 / (1 - (1 - theta)^2).
  """

  def __init__(self, shape, theta=0.15, sigma=0.2, dt=1.0, mu=0.0, seed=None,
               name=None):
    """Creates the state variable, initialized to mu.

    Args:
      shape: static shape of the state, e.g. [B, action_size].
      theta: mean reversion rate (friction); theta * dt in (0, 2) is stable.
      sigma: diffusion scale, >= 0.
      dt: time step, > 0.
      mu: long-run mean.
      seed: optional op-level seed of the Gaussian increments.
      name: variable scope. Objects built with the same `name` in the same
        scope share their state (TF1 variable sharing); None creates a new,
        uniquely named process.

    Raises:
      ValueError: for a shape that is not fully defined or a negative sigma or
        non-positive dt.
    """
    shape = tf.TensorShape(shape)
    if not shape.is_fully_defined():
      raise ValueError('shape must be fully defined, got {}'.format(shape))
    if sigma < 0 or dt <= 0:
      raise ValueError('need sigma >= 0 and dt > 0, got sigma={} dt={}'.format(
          sigma, dt))
    self._theta, self._sigma, self._dt, self._mu = theta, sigma, dt, mu
    self._seed = seed
    if name is None:
      scope = tf.variable_scope(None, default_name='ou_process')
    else:
      scope = tf.variable_scope(name, reuse=tf.AUTO_REUSE)
    with scope:
      self._state = tf.get_variable(
          'state', shape, tf.float32, tf.constant_initializer(mu),
          trainable=False, use_resource=True)

  @property
  def state(self):
    """The state variable."""
    return self._state

  def sample(self):
    """Returns an op that advances the process and returns the new state."""
    x = self._state.read_value()
    drift = self._theta * (self._mu - x) * self._dt
    diffusion = self._sigma * self._dt**0.5 * random_draws.normal(
        x.shape, seed=self._seed)
    return self._state.assign(x + drift + diffusion)

  def reset(self, mask=None):
    """Returns an op that sets the state to mu (per episode).

    Args:
      mask: optional bool tensor [B] (B = shape[0]); only rows where it is
        true are reset, for batched environments whose episodes end at
        different steps.

    Returns:
      The op assigning the state; it evaluates to the new state.

    Raises:
      ValueError: if the mask is not of shape [shape[0]].
    """
    mean = tf.fill(self._state.shape, tf.constant(self._mu, tf.float32))
    if mask is None:
      return self._state.assign(mean)
    mask = tf.convert_to_tensor(mask, tf.bool)
    if (self._state.shape.ndims == 0 or
        not mask.shape.is_compatible_with(self._state.shape[:1])):
      raise ValueError('mask must have shape {}, got {}'.format(
          self._state.shape[:1], mask.shape))
    # tf.where with a rank-1 condition selects whole rows.
    return self._state.assign(tf.where(mask, mean, self._state.read_value()))


def noise(n, theta=.15, sigma=.2):
  """The lecture's OU noise: a sample op of shape [n] (mu = 0, dt = 1).

    x <- x - theta * x + sigma * N(0, 1)

  Unlike the lecture, the state is non-trainable and repeated calls in the
  same variable scope advance the same process instead of each starting a
  fresh one from zero. Use `OrnsteinUhlenbeckNoise` for resets.
  """
  return OrnsteinUhlenbeckNoise((n,), theta, sigma, name='ou_noise').sample()
