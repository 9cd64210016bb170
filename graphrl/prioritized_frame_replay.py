"""Proportional prioritized replay (Schaul et al., 2015) over stored frames.

`PrioritizedFrameReplayBuffer` is a `graphrl.frame_replay.FrameReplayBuffer`
(one frame per step, stacks rebuilt when sampling, n-step transitions) with
a priority p_r >= 0 per row r. A new row gets the largest priority set so
far (1 at first), so every transition is replayed soon after it is stored.
Rows are drawn among the valid steps V of `FrameReplayBuffer.sample` (rules
1-4 of its docstring) with

  P(r) = p_r^(1/T) / sum_{j in V} p_j^(1/T)      (T = 1/alpha),

and each sampled row carries the importance-sampling weight

  w_r = (|V| P(r))^-beta / max_{sampled k} (|V| P(k))^-beta,

as `graphrl.replay.PrioritizedReplayBuffer` does over whole transitions.
Sampling reads the priorities and validity of every stored step: O(capacity)
work per batch, ~1 ms for 100k steps. Priorities are checkpointed with the
frames.
"""

import numbers

from graphrl import frame_replay
from graphrl import random_draws
from graphrl import replay
from graphrl import shape_checks
from graphrl.compat import tf


class PrioritizedFrameReplayBuffer(frame_replay.FrameReplayBuffer):
  """A frame replay whose steps are sampled in proportion to priorities."""

  def __init__(self, observation_shape, capacity, num_streams=1, n_step=1,
               gamma=1., name='prioritized_frame_replay'):
    """As `FrameReplayBuffer`, plus the priority variables."""
    super().__init__(observation_shape, capacity, num_streams, n_step, gamma,
                     name)
    with tf.device(frame_replay.DEVICE), tf.variable_scope(
        self._variable_scope, auxiliary_name_scope=False):
      self._priorities = replay.storage_variable(
          'priorities', [capacity], tf.float32)
      self._max_priority = replay.storage_variable(
          'max_priority', [], tf.float32, tf.ones_initializer())

  def priorities(self):
    """The priority of every row, float32 [capacity] (0 where unwritten)."""
    return self._priorities.read_value()

  def max_priority(self):
    """The largest priority set so far (initially 1)."""
    return self._max_priority.read_value()

  def append_batch(self, transition, streams=None, priorities=None):
    """`FrameReplayBuffer.append_batch`, giving the new rows `priorities`.

    Args:
      transition, streams: as `FrameReplayBuffer.append_batch`.
      priorities: float32 [K] >= 0, e.g. an Ape-X actor's; by default
        max_priority() each.
    """
    stream, every = self._streams(streams)
    rows = self._rows(self._stream_steps(stream, every), stream)
    if priorities is None:
      priorities = tf.fill([stream.shape[0]], self.max_priority())
    else:
      rows, priorities = replay.priority_update(rows, priorities)
      priorities = replay.track_max(self._max_priority, priorities)
    prioritize = self._priorities.scatter_update(
        tf.IndexedSlices(priorities, rows)).op
    with tf.control_dependencies([prioritize]):
      return self._append(transition, stream, every)

  def sample(self, amount, temperature=1.):
    """Transitions drawn with probabilities P(r), as `sample_with_info`."""
    return self.sample_with_info(amount, temperature)[0]

  def sample_with_info(self, amount, temperature=1., beta=0.4):
    """Samples transitions with their rows and importance weights.

    Args:
      amount: number of transitions B, an int >= 1.
      temperature: T > 0; P(r) is proportional to p_r^(1/T).
      beta: IS exponent >= 0; 1 fully corrects the sampling bias.

    Returns:
      (transition, rows, weights): (s, a, r, s', d) as
      `FrameReplayBuffer.sample` returns it, the int64 rows [B] of their
      first steps (for `update_priorities`) and float32 weights [B] in
      (0, 1]. Running it raises InvalidArgumentError without a valid step
      of positive priority.
    """
    shape_checks.check_amount(amount)
    if isinstance(temperature, numbers.Real) and not temperature > 0:
      raise ValueError('temperature must be > 0, got {}'.format(temperature))
    if isinstance(beta, numbers.Real) and beta < 0:
      raise ValueError('beta must be >= 0, got {}'.format(beta))
    steps, oldest = self._window()
    rows, time, valid = self._valid_grid(steps, oldest)  # [A, S], by age
    rows, time, valid = (tf.reshape(x, [-1]) for x in (rows, time, valid))
    priorities = tf.gather(self._priorities, rows)
    usable = tf.logical_and(valid, priorities > 0)
    check = tf.debugging.assert_equal(
        tf.reduce_any(usable), True,
        message='the replay buffer holds no sampleable transition of '
        'positive priority')
    with tf.control_dependencies([check]):
      # log(0) = -inf: invalid steps have probability 0.
      log_probs = tf.nn.log_softmax(tf.where(
          usable, tf.math.log(priorities) / temperature,
          tf.fill(tf.shape(priorities), -float('inf'))))
    picks = random_draws.categorical(log_probs[None], amount, tf.int64)[0]
    count = tf.reduce_sum(tf.cast(usable, tf.float32))
    log_weights = -beta * (tf.math.log(count) + tf.gather(log_probs, picks))
    weights = tf.exp(log_weights - tf.reduce_max(log_weights))
    stream = picks % self._num_streams
    time = tf.gather(time, picks)
    transition = self._transitions(time, stream, steps)
    return transition, tf.gather(rows, picks), weights

  def update_priorities(self, rows, priorities):
    """The op setting priorities >= 0 [K] of the rows [K] of a sample.

    A row overwritten since it was sampled gets the update too; duplicate
    rows keep one of their priorities.

    Raises:
      ValueError: if the shapes are not both [K].
    """
    rows, priorities = replay.priority_update(rows, priorities)
    priorities = replay.track_max(self._max_priority, priorities)
    return self._priorities.scatter_update(
        tf.IndexedSlices(priorities, rows)).op
