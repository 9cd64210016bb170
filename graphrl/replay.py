"""In-graph experience replay: uniform and prioritized replay buffers.

Items are tuples of tensors with fixed per-entry shapes and dtypes given by a
template. Storage, write index and priorities are non-trainable resource
variables in host memory (the buffer's variable scope), so a `tf.train.Saver`
checkpoints the replay content along with the model and `tf.data` functions
can read it. The oldest items are overwritten once the buffer is full.

With `num_streams` = S parallel environments, `append_batch` writes one item
per stream, and stream s at logical time t lives in row (t * S + s) mod
capacity.
"""

import numbers

from graphrl import random_draws
from graphrl import shape_checks
from graphrl import variable_handles
from graphrl.compat import tf

_DEVICE = '/cpu:0'
_EMPTY = 'cannot sample from an empty replay buffer'


class CircularBuffer(object):
  """The sizes and write index that the circular replay buffers share.

  Row (t * S + s) mod capacity holds step t of stream s, S = num_streams.
  A subclass creates `self._index`, the int64 variable counting the rows
  written so far.
  """

  def __init__(self, capacity, num_streams):
    """Checks and keeps the sizes; builds no ops.

    Raises:
      ValueError: unless capacity and num_streams are ints >= 1 and
        capacity is a multiple of num_streams.
    """
    shape_checks.check_int('num_streams', num_streams, 1)
    shape_checks.check_int('capacity', capacity, 1)
    if capacity % num_streams:
      raise ValueError('capacity {} must be a multiple of num_streams {}'
                       .format(capacity, num_streams))
    self._capacity = capacity
    self._num_streams = num_streams

  @property
  def capacity(self):
    """The number of rows: the most items (steps) stored at once."""
    return self._capacity

  @property
  def num_streams(self):
    """The number of rows each `append_batch` writes, one per stream."""
    return self._num_streams

  def size(self):
    """Returns the number of stored rows, min(index, capacity), int64."""
    return tf.minimum(self._index.read_value(), self._capacity)


class ReplayBuffer(CircularBuffer):
  """A circular buffer of items sampled uniformly (Mnih et al., 2013)."""

  def __init__(self, template, capacity, num_streams=1, name='replay_buffer'):
    """Creates the storage variables, zero-initialized.

    Args:
      template: list or tuple of tensors or `tf.TensorSpec`s with fully
        defined shapes: the shape and dtype of each entry of one item. A
        named `TensorSpec` names its storage variable.
      capacity: maximum number of items, an int >= 1 and a multiple of
        `num_streams`.
      num_streams: number of parallel environments written by
        `append_batch`.
      name: default name of the variable scope (made unique).

    Raises:
      ValueError: for a bad template, capacity or num_streams.
    """
    specs = _specs(template)
    super().__init__(capacity, num_streams)
    self._specs = specs
    with tf.device(_DEVICE), tf.variable_scope(None, default_name=name):
      self._storage = [
          storage_variable(s.name, [capacity] + s.shape.as_list(), s.dtype)
          for s in specs]
      self._index = storage_variable('index', [], tf.int64)

  @property
  def storage(self):
    """The storage variables, one [capacity, ...] variable per entry."""
    return list(self._storage)

  def index(self):
    """Returns the number of items appended so far, int64."""
    return self._index.read_value()

  def append(self, tensors):
    """Appends one item, overwriting the oldest one when full.

    Args:
      tensors: one tensor per template entry, of the template's shapes.

    Returns:
      The op incrementing the write index; it evaluates to the new index.

    Raises:
      ValueError: for the wrong number or shapes of tensors, or if the
        buffer has several streams (use `append_batch`).
    """
    if self._num_streams != 1:
      raise ValueError('append writes one item; with num_streams={} use '
                       'append_batch'.format(self._num_streams))
    tensors = _convert(tensors, self._specs, [])
    return self._write([t[None] for t in tensors])

  def append_batch(self, tensors):
    """Appends one item per stream, to num_streams consecutive rows.

    Args:
      tensors: one tensor per template entry, of shape [num_streams, ...].

    Returns:
      The op incrementing the write index by num_streams; it evaluates to
      the new index.

    Raises:
      ValueError: for the wrong number or shapes of tensors.
    """
    return self._write(_convert(tensors, self._specs, [self._num_streams]))

  def sample_indices(self, amount):
    """Returns int64 rows [amount] drawn uniformly from the stored items.

    Items fill rows 0..capacity-1 in order, so the stored rows are
    [0, size()). Running it on an empty buffer raises InvalidArgumentError.
    """
    shape_checks.check_amount(amount, allow_tensor=True)
    size = self.size()
    with tf.control_dependencies([tf.debugging.assert_positive(
        size, message=_EMPTY)]):
      return random_draws.uniform([amount], 0, size, tf.int64)

  def gather(self, indices):
    """Returns the items at storage rows `indices` [K]: tensors [K, ...]."""
    return [tf.gather(variable, indices) for variable in self._storage]

  def sample(self, amount):
    """Returns a list of tensors [amount, ...] sampled uniformly."""
    return self.gather(self.sample_indices(amount))

  def as_dataset(self, sample_batch_size, num_steps=2):
    """A `tf.data.Dataset` of windows of consecutive steps (TF-Agents style).

    Each element is a tuple with one tensor [sample_batch_size, num_steps,
    ...] per template entry. A window holds steps t..t+num_steps-1 of one
    stream (both uniform over the windows in the buffer); it never crosses
    the write head, i.e. never mixes the oldest and the newest data. Windows
    may span episode boundaries: store step types or done flags and mask.

    It needs no captured tensors, so one-shot iterators work:
    `tf.data.make_one_shot_iterator(ds).get_next()` in a session that
    initialized the buffer. Elements are computed when requested (or
    earlier, by `prefetch`) and may race with concurrent appends. A request
    while a stream holds fewer than num_steps steps raises
    InvalidArgumentError.

    Args:
      sample_batch_size: windows per element, an int >= 1.
      num_steps: steps per window, an int in [1, capacity / num_streams].

    Returns:
      A `tf.data.Dataset` repeating forever.

    Raises:
      ValueError: for bad sizes.
    """
    shape_checks.check_int('sample_batch_size', sample_batch_size, 1)
    shape_checks.check_int('num_steps', num_steps, 1)
    slots = self._capacity // self._num_streams
    if num_steps > slots:
      raise ValueError('num_steps {} exceeds the {} steps a stream can hold'
                       .format(num_steps, slots))

    def sample_windows(_):
      index = tf.raw_ops.ReadVariableOp(
          resource=variable_handles.local_handle(self._index), dtype=tf.int64)
      rows = self._window_rows(sample_batch_size, num_steps, index)
      return tuple(
          tf.raw_ops.ResourceGather(
              resource=variable_handles.local_handle(variable), indices=rows,
              dtype=variable.dtype.base_dtype)
          for variable in self._storage)

    return tf.data.Dataset.from_tensors(0).repeat().map(sample_windows)

  def gather_all(self):
    """All stored items per stream in time order (seed 001's `gather_all`).

    With S streams and n = size() / S steps stored per stream, step t of
    stream s is storage row (t0 + t) * S + s mod capacity, t0 the oldest
    step still stored.

    Returns:
      A list of tensors [num_streams, n, ...], one per template entry.
    """
    streams = self._num_streams
    steps = self.size() // streams
    times = self._index.read_value() // streams - steps + tf.range(
        steps, dtype=tf.int64)
    rows = tf.math.floormod(
        times[None] * streams + tf.range(streams, dtype=tf.int64)[:, None],
        self._capacity)
    return [tf.gather(variable, rows) for variable in self._storage]

  def clear(self):
    """Returns an op that empties the buffer (seed 001's `clear`)."""
    return self._index.assign(0).op

  def _window_rows(self, amount, num_steps, index):
    """Storage rows [amount, num_steps] of random windows, given the index.

    With S streams and L = capacity / S slots per stream, the stored steps
    are t in [max(0, n - L), n) for n = index / S steps written, so a window
    starts at one of the min(n, L) - num_steps + 1 steps from max(0, n - L).
    """
    streams = self._num_streams
    slots = self._capacity // streams
    steps = index // streams
    count = tf.minimum(steps, slots) - num_steps + 1
    check = tf.debugging.assert_positive(
        count, message='the replay buffer holds fewer than num_steps steps '
        'per stream')
    with tf.control_dependencies([check]):
      start = tf.maximum(steps - slots, 0) + random_draws.uniform(
          [amount], 0, count, tf.int64)
    stream = random_draws.uniform([amount, 1], 0, streams, tf.int64)
    times = start[:, None] + tf.range(num_steps, dtype=tf.int64)[None]
    return tf.math.floormod(times * streams + stream, self._capacity)

  def _write(self, batch):
    """Writes items [n, ...] at the next n rows; returns the new index."""
    count = batch[0].shape[0]
    index = self._index.read_value()
    rows = tf.math.floormod(
        index + tf.range(count, dtype=tf.int64), self._capacity)
    writes = [variable.scatter_update(tf.IndexedSlices(values, rows)).op
              for variable, values in zip(self._storage, batch)]
    with tf.control_dependencies(writes):
      return self._index.assign_add(count).read_value()


class PrioritizedReplayBuffer(object):
  """Proportional prioritized replay (Schaul et al., 2015).

  Item i is sampled with probability P(i) = p_i^(1/T) / sum_j p_j^(1/T) over
  the stored items, for priorities p >= 0 and temperature T (the paper's
  alpha = 1/T). Priorities live in a variable next to the items and are
  checkpointed with them.
  """

  def __init__(self, template, capacity, num_streams=1,
               name='prioritized_replay_buffer'):
    """Creates the item, priority and max-priority variables.

    Args:
      template: as for `ReplayBuffer`.
      capacity: as for `ReplayBuffer`.
      num_streams: as for `ReplayBuffer`.
      name: default name of the variable scope (made unique).

    Raises:
      ValueError: for a bad template, capacity or num_streams.
    """
    specs = [tf.TensorSpec([], tf.float32, 'priority')] + _specs(template)
    with tf.variable_scope(None, default_name=name):
      self._buffer = ReplayBuffer(specs, capacity, num_streams, 'items')
      with tf.device(_DEVICE):
        self._max_priority = storage_variable(
            'max_priority', [], tf.float32, tf.ones_initializer())

  @property
  def capacity(self):
    """The maximum number of items."""
    return self._buffer.capacity

  @property
  def num_streams(self):
    """The number of items per `append_batch`."""
    return self._buffer.num_streams

  def size(self):
    """Returns the number of stored items, int64."""
    return self._buffer.size()

  def index(self):
    """Returns the number of items appended so far, int64."""
    return self._buffer.index()

  def priorities(self):
    """Returns the priorities of the stored items, float32 [size]."""
    return self._buffer.storage[0][:self.size()]

  def max_priority(self):
    """Returns the largest priority appended or set so far (initially 1)."""
    return self._max_priority.read_value()

  def append(self, priority, tensors):
    """Appends one item with a priority >= 0, or max_priority() if None.

    Returns:
      The op incrementing the write index; it evaluates to the new index.
    """
    priority = self._priorities_or_max(priority, [])
    return self._buffer.append([priority] + list(tensors))

  def append_batch(self, priorities, tensors):
    """Appends one item per stream; priorities [num_streams] or None."""
    priorities = self._priorities_or_max(priorities, [self.num_streams])
    return self._buffer.append_batch([priorities] + list(tensors))

  def sample_indices(self, amount, temperature=1):
    """Returns int64 rows [amount] drawn with probabilities P(i)."""
    return self._sample(amount, temperature)[0]

  def gather(self, indices):
    """Returns the items (without priorities) at storage rows `indices`."""
    return self._buffer.gather(indices)[1:]

  def sample(self, amount, temperature=1):
    """Returns a list of tensors [amount, ...] drawn with probabilities P(i)."""
    return self.gather(self.sample_indices(amount, temperature))

  def sample_with_info(self, amount, temperature=1, beta=0.4):
    """Samples items with their rows and importance-sampling weights.

      w_i = (N * P(i))^-beta / max_j w_j

    with N = size() and the max over the sampled batch (as in the paper's
    implementation), so weights are in (0, 1].

    Args:
      amount: number of items, int.
      temperature: T > 0; P(i) is proportional to p_i^(1/T).
      beta: IS exponent >= 0; 1 fully corrects the sampling bias.

    Returns:
      (tensors, indices, weights): the list of item tensors [amount, ...],
      the int64 storage rows [amount] (for `update_priorities`) and the
      float32 weights [amount].
    """
    if isinstance(beta, numbers.Real) and beta < 0:
      raise ValueError('beta must be >= 0, got {}'.format(beta))
    indices, log_probs = self._sample(amount, temperature)
    size = tf.cast(self.size(), tf.float32)
    log_weights = -beta * (tf.math.log(size) + tf.gather(log_probs, indices))
    weights = tf.exp(log_weights - tf.reduce_max(log_weights))
    return self.gather(indices), indices, weights

  def update_priorities(self, indices, priorities):
    """Returns an op setting the priorities >= 0 [K] of rows `indices` [K].

    Rows come from `sample_with_info`; a row overwritten by an append since
    it was sampled gets the update too. Duplicate rows keep one of their
    priorities.

    Raises:
      ValueError: if the shapes are not both [K].
    """
    indices, priorities = priority_update(indices, priorities)
    checks = [
        tf.debugging.assert_non_negative(
            indices, message='priority indices must be >= 0'),
        tf.debugging.assert_less(
            indices, self.size(),
            message='priority indices must be stored rows (< size)')]
    with tf.control_dependencies(checks):
      priorities = track_max(self._max_priority, priorities)
      return self._buffer.storage[0].scatter_update(
          tf.IndexedSlices(priorities, indices)).op

  def _sample(self, amount, temperature):
    """Returns sampled rows [amount] and the log P(i) of all stored items."""
    shape_checks.check_amount(amount, allow_tensor=True)
    if isinstance(temperature, numbers.Real) and not temperature > 0:
      raise ValueError('temperature must be > 0, got {}'.format(temperature))
    priorities = self.priorities()
    checks = [
        tf.debugging.assert_positive(tf.size(priorities), message=_EMPTY),
        tf.debugging.assert_positive(
            tf.reduce_max(priorities),
            message='all stored priorities are zero')]
    with tf.control_dependencies(checks):
      # log(0) = -inf gives zero-priority items probability 0.
      log_probs = tf.nn.log_softmax(tf.math.log(priorities) / temperature)
    indices = random_draws.categorical(log_probs[None], amount, tf.int64)[0]
    return indices, log_probs

  def _priorities_or_max(self, priorities, shape):
    """Checked float32 priorities of `shape`, or the max priority if None."""
    if priorities is None:
      return tf.fill(shape, self.max_priority())
    priorities = tf.convert_to_tensor(priorities, tf.float32)
    if not priorities.shape.is_compatible_with(shape):
      raise ValueError('priorities must have shape {}, got {}'.format(
          shape, priorities.shape))
    return track_max(self._max_priority, priorities)


def priority_update(indices, priorities):
  """Converts a priority update: int64 indices and float32 priorities [K].

  Raises:
    ValueError: if the shapes are not both [K].
  """
  indices = tf.convert_to_tensor(indices, tf.int64)
  priorities = tf.convert_to_tensor(priorities, tf.float32)
  if (indices.shape.ndims != 1 or
      not indices.shape.is_compatible_with(priorities.shape)):
    raise ValueError('indices and priorities must both have shape [K], got '
                     '{} and {}'.format(indices.shape, priorities.shape))
  return indices, priorities


def track_max(max_priority, priorities):
  """Checks priorities >= 0 and raises the variable `max_priority` to
  theirs; returns the priorities after both."""
  check = tf.debugging.assert_non_negative(
      priorities, message='priorities must be >= 0 (and not NaN)')
  with tf.control_dependencies([check]):
    update = max_priority.assign(
        tf.maximum(max_priority, tf.reduce_max(priorities)))
  with tf.control_dependencies([update.op]):
    return tf.identity(priorities)


def _specs(template):
  """Validates a template; returns one named `tf.TensorSpec` per entry."""
  if not isinstance(template, (list, tuple)) or not template:
    raise ValueError('template must be a non-empty list or tuple of tensors '
                     'or TensorSpecs, got {!r}'.format(template))
  specs = []
  for i, entry in enumerate(template):
    if not hasattr(entry, 'shape') or not hasattr(entry, 'dtype'):
      raise ValueError('template entry {} is not a tensor or TensorSpec: '
                       '{!r}'.format(i, entry))
    shape = tf.TensorShape(entry.shape)
    if not shape.is_fully_defined():
      raise ValueError('template entry {} must have a fully defined shape, '
                       'got {}'.format(i, shape))
    name = getattr(entry, 'name', None)
    if not isinstance(entry, tf.TensorSpec) or not name:
      name = 'item_{}'.format(i)
    specs.append(tf.TensorSpec(shape, tf.as_dtype(entry.dtype).base_dtype,
                               name))
  return specs


def _convert(tensors, specs, leading):
  """Converts tensors to the specs' dtypes; checks shapes `leading` + spec."""
  tensors = list(tensors)
  if len(tensors) != len(specs):
    raise ValueError('expected {} tensors (one per template entry), got {}'
                     .format(len(specs), len(tensors)))
  converted = []
  for spec, tensor in zip(specs, tensors):
    tensor = tf.convert_to_tensor(tensor, spec.dtype)
    shape = tf.TensorShape(leading).concatenate(spec.shape)
    if not tensor.shape.is_compatible_with(shape):
      raise ValueError('{} must have shape {}, got {}'.format(
          spec.name, shape, tensor.shape))
    converted.append(tf.ensure_shape(tensor, shape))
  return converted


def storage_variable(name, shape, dtype, initializer=None):
  """A non-trainable resource variable, zero-initialized by default.

  The zeros come from an `Empty` op, which Grappler does not fold into a
  constant: with `tf.zeros_initializer` the initializing run keeps the
  folded constant, the variable shares its buffer, and the first scatter
  copies the whole variable, doubling a replay buffer's memory for good.
  """
  return tf.get_variable(name, shape, dtype, initializer or _zeros,
                         trainable=False, use_resource=True)


def _zeros(shape, dtype, partition_info=None):
  del partition_info  # Unused; part of the initializer signature.
  return tf.raw_ops.Empty(shape=shape, dtype=dtype, init=True)
