"""n-step transitions from a replay of one-step ones (Sutton & Barto,
Section 7.1; Hessel et al., 2018).

`graphrl.replay`'s buffers store one transition (s_t, a_t, r_t, s'_t, d_t)
per env step, stream s's step t in row (t S + s) mod capacity. For a
sampled row of step t, with n the most steps:

  m  = the most steps 1 <= m <= n such that for every 1 <= i < m step
       t + i is stored, d_{t+i-1} != 0 and s'_{t+i-1} = s_{t+i} (the
       stream went on with the same episode: not after a termination, nor
       after a time-limit truncation, where the next observation is a
       reset's),
  r  = sum_{i<m} gamma^i r_{t+i},
  s' = s'_{t+m-1},   d = gamma^(m-1) d_{t+m-1},

so that DQN's y = r + gamma d max_a' Q_T(s', a') is the m-step target
sum_{i<m} gamma^i r_{t+i} + gamma^m d_{t+m-1} max_a' Q_T(s'_{t+m-1}, a'),
as `graphrl.frame_replay` computes it over stored frames.
"""

import numpy as np

from graphrl import shape_checks
from graphrl.compat import tf


def transitions(buffer, rows, n, gamma):
  """The n-step transitions of the one-step ones at storage `rows`.

  Args:
    buffer: a `replay.ReplayBuffer` or `replay.PrioritizedReplayBuffer` of
      (observ, action, reward, next_observ, discount) items.
    rows: int64 [B] stored rows, e.g. `buffer.sample_indices(B)`.
    n: the most steps, an int >= 2.
    gamma: the discount of the rewards.

  Returns:
    (observ, action, reward, next_observ, discount): [B, ...] each, with
    the reward and discount of the module docstring.

  Raises:
    ValueError: for n < 2.
  """
  shape_checks.check_int('n', n, 2)
  rows = tf.convert_to_tensor(rows, tf.int64)
  streams = buffer.num_streams
  slots = buffer.capacity // streams
  # Steps written after step t of row r's stream: (newest - slot) mod L.
  newest = buffer.index() // streams - 1
  later = tf.math.floormod(newest - rows // streams, slots)  # [B]
  ahead = tf.range(n, dtype=tf.int64)[None]  # [1, n]
  window = tf.math.floormod(rows[:, None] + ahead * streams, buffer.capacity)
  observ, action, reward, next_observ, discount = (
      tf.reshape(item, tf.concat([tf.shape(window), tf.shape(item)[1:]], 0))
      for item in buffer.gather(tf.reshape(window, [-1])))
  batch = tf.size(rows, out_type=tf.int64)
  continued = tf.reduce_all(tf.reshape(
      tf.equal(next_observ[:, :-1], observ[:, 1:]), [batch, n - 1, -1]), 2)
  extends = tf.logical_and(
      tf.logical_and(ahead[:, 1:] <= later[:, None], continued),
      tf.not_equal(discount[:, :-1], 0.))  # [B, n - 1]: step t + i, i >= 1
  included = tf.concat([  # [B, n]: steps t .. t + m - 1
      tf.ones([batch, 1], tf.float32),
      tf.math.cumprod(tf.cast(extends, tf.float32), axis=1)], 1)
  powers = tf.constant(gamma ** np.arange(n), tf.float32)
  length = tf.cast(tf.reduce_sum(included, 1), tf.int64)  # m [B]
  last = tf.stack([tf.range(batch), length - 1], 1)
  return (observ[:, 0], action[:, 0],
          tf.reduce_sum(included * powers * reward, 1),
          tf.gather_nd(next_observ, last),
          tf.gather(powers, length - 1) * tf.gather_nd(discount, last))
