"""In-graph replay of stacked-frame transitions that stores each frame once.

A DQN Atari observation s_t is uint8 [H, W, F], the last F frames, oldest
first; consecutive observations of an episode share F - 1 frames. Storing
(s, s') per transition, as `graphrl.replay.ReplayBuffer` does, keeps every
frame 2 F times: 1M transitions of 84x84x4 take 56 GB. `FrameReplayBuffer`
keeps only the newest frame of each s_t (1M rows: 7.06 GB of frames plus 14
bytes of action, reward, discount and flags each) and rebuilds the stacks
when sampling. It is a drop-in for `ReplayBuffer` in DQN: `append_batch`
takes and `sample` returns the same (s, a, r, s', discount) tuple.

Layout: with S = num_streams streams (parallel environments, or Ape-X's
actors) and L = capacity / S slots per stream, step t of stream s is row
(t S + s) mod capacity, as in `ReplayBuffer`. Each stream counts its own
steps n_s: `append_batch` appends one step to every stream, or to the
streams it names, so streams written at different rates (actors on other
machines) keep their chains. Row t holds the newest frame
f_t = s_t[..., F - 1], a_t, r_t, the discount d_t and two flags:

  first_t       s_t starts a new chain of frames: t = 0, d_{t-1} = 0 or
                s_t != s'_{t-1} (the previous transition's next observation
                is not this one, e.g. after a time-limit truncation).
  sampleable_t  s_t equals its rebuilt stack and, unless d_t = 0, so does
                s'_t. False for a transition whose s' is not stored (the
                stream's next observation starts a new chain: a truncation).

Stacks are rebuilt with edge padding, as `atari.FrameStacker.reset` fills
a new episode's stack with its first frame: channel k of s_t is the frame of
step max(t - (F - 1) + k, e), e the latest first step <= t, and
s'_t = [s_t[..., 1:], f_{t+1}]. Rebuilding is exact when a first s_t repeats
f_t in all channels (a reset stack) and s'_t = [s_t[..., 1:], newest frame]
(a frame-stack step). Both hold for every episode of `load_atari`, so there
only the last transition of a truncated episode is marked unsampleable
(terminal transitions are sampled, their s' masked by d = 0). For other
observations `append_batch` tracks m_t and m'_t, the numbers of oldest
channels of s_t and s'_t that may differ from the rebuilt stacks:

  mu(a, b) = 1 + max{k < F - 1 : a[..., k] != b[..., k + 1]}, 0 if none,
  m_t = mu(s_t, s_t) if first_t, else m'_{t-1},
  m'_t = max(m_t - 1, mu(s'_t, s_t)),

and sampleable_t = (m_t = 0 and (d_t = 0 or m'_t = 0)). E.g. stacks padded
with zeros lose the first F - 1 transitions of each episode.

With `n_step` = n > 1 a sampled transition is the n-step one of Sutton &
Barto (Section 7.1), as in Rainbow (Hessel et al., 2018): for a valid step t,

  m  = the most steps 1 <= m <= n such that steps t .. t + m - 2 do not
       terminate (d != 0) and steps t + 1 .. t + m - 1 are sampleable with
       their s' stored (d = 0 or f_{t+i+1} written),
  r  = sum_{i<m} gamma^i r_{t+i},
  s' = s'_{t+m-1},   d = gamma^(m-1) d_{t+m-1},

so that DQN's y = r + gamma d max_a' Q_T(s', a') is the m-step target
sum_{i<m} gamma^i r_{t+i} + gamma^m d_{t+m-1} max_a' Q_T(s'_{t+m-1}, a').
Steps near the newest one, an episode end or a truncation get m < n.

The storage, the step counts and per-stream state are non-trainable resource
variables on the host in the buffer's variable scope, in GLOBAL_VARIABLES,
so a `tf.train.Saver` checkpoints them with the model.
"""

import numpy as np

from graphrl import random_draws
from graphrl import replay
from graphrl import shape_checks
from graphrl.compat import tf

DEVICE = '/cpu:0'
_EMPTY = 'cannot sample from an empty replay buffer'
# Candidates drawn per sampled transition before the exact fallback.
_CANDIDATES = 4


class FrameReplayBuffer(replay.CircularBuffer):
  """A circular buffer of stacked-frame transitions, one frame per step."""

  def __init__(self, observation_shape, capacity, num_streams=1,
               n_step=1, gamma=1., name='frame_replay'):
    """Creates the storage variables, zero-initialized.

    Args:
      observation_shape: [H, W, F] of one observation, F stacked frames
        oldest first, e.g. (84, 84, 4); or a `ReplayBuffer` template of the
        transition (observ, action, reward, next_observ, discount), as DQN
        builds it, whose observ entry gives the shape.
      capacity: number of stored steps (frames), a multiple of num_streams
        with at least F + 1 steps per stream (a transition spans F + 1
        frames).
      num_streams: S, the number of streams (parallel environments).
      n_step: n, the most steps of a sampled transition's return.
      gamma: the discount of its rewards, in [0, 1].
      name: default name of the variable scope (made unique).

    Raises:
      ValueError: for a bad shape, template, capacity, num_streams, n_step
        or gamma.
    """
    shape = _observation_shape(observation_shape)
    super().__init__(capacity, num_streams)
    shape_checks.check_int('n_step', n_step, 1)
    if not 0 <= gamma <= 1:
      raise ValueError('gamma must lie in [0, 1], got {!r}'.format(gamma))
    frames = shape[-1]
    if capacity // num_streams < frames + 1:
      raise ValueError(
          'capacity {} holds {} steps per stream; a transition of {} stacked '
          'frames needs at least {}'.format(
              capacity, capacity // num_streams, frames, frames + 1))
    self._shape = shape
    self._n_step = n_step
    self._gamma = float(gamma)
    with tf.device(DEVICE), tf.variable_scope(
        None, default_name=name) as self._variable_scope:
      variable = replay.storage_variable
      self._frames = variable('frames', [capacity] + shape[:2], tf.uint8)
      self._action = variable('action', [capacity], tf.int32)
      self._reward = variable('reward', [capacity], tf.float32)
      self._discount = variable('discount', [capacity], tf.float32)
      self._first = variable('first', [capacity], tf.bool)
      self._sampleable = variable('sampleable', [capacity], tf.bool)
      self._steps = variable('steps', [num_streams], tf.int64)
      # Per stream: s' of its newest transition, whether that transition
      # ended the chain (d = 0, or none yet) and m' of its s'.
      self._next_observ = variable(
          'next_observ', [num_streams] + shape, tf.uint8)
      self._ended = variable('ended', [num_streams], tf.bool,
                             tf.ones_initializer())
      self._inexact = variable('inexact', [num_streams], tf.int32)

  @property
  def observation_shape(self):
    """[H, W, F] of one observation, a list of ints."""
    return list(self._shape)

  def size(self):
    """The number of stored steps, sum_s min(n_s, L), int64 []."""
    return tf.reduce_sum(tf.minimum(
        self._steps.read_value(), self._capacity // self._num_streams))

  def append_batch(self, transition, streams=None):
    """Appends the next step of K streams: stores f_t = s_t[..., -1].

    Args:
      transition: (observ, action, reward, next_observ, discount) with
        shapes [K, H, W, F] (uint8), [K], [K], [K, H, W, F] and [K]; action
        an integer that fits in int32.
      streams: int [K], the distinct streams s of the K transitions, each
        in [0, S); by default all S streams in order (K = S).

    Returns:
      The op adding 1 to n_s of each stream; it evaluates to the steps
      appended in all, sum_s n_s.

    Raises:
      ValueError: for the wrong number or shapes of tensors.
    """
    return self._append(transition, *self._streams(streams))

  def _append(self, transition, stream, every):
    """`append_batch` to the streams of `_streams`: int64 [K] `stream`,
    all S in order if `every`."""
    observ, action, reward, next_observ, discount = self._convert(
        transition, stream.shape[0])
    read = lambda variable: _read(variable, stream, every)
    steps = self._stream_steps(stream, every)
    pending = read(self._next_observ)
    ended = read(self._ended)
    pending_inexact = read(self._inexact)
    newest = observ[..., -1]
    first = tf.logical_or(ended, tf.logical_not(tf.reduce_all(
        tf.equal(observ, pending), [1, 2, 3])))
    inexact = tf.where(first, self._mismatch(observ, observ), pending_inexact)
    next_inexact = tf.maximum(inexact - 1,
                              self._mismatch(next_observ, observ))
    terminal = tf.equal(discount, 0.)
    sampleable = tf.logical_and(
        tf.equal(inexact, 0),
        tf.logical_or(terminal, tf.equal(next_inexact, 0)))
    # The previous transition did not end, yet s_t does not continue it:
    # its s' is not stored (a truncation), so it is never sampled.
    dropped = tf.logical_and(tf.logical_not(ended), first)
    rows = self._rows(steps, stream)
    previous = self._rows(steps - 1, stream)
    kept = tf.logical_and(tf.gather(self._sampleable, previous),
                          tf.logical_not(dropped))
    action = tf.cast(action, tf.int32)
    computed = [steps, pending, ended, pending_inexact, first, next_inexact,
                kept, sampleable, action]
    with tf.control_dependencies(computed):
      writes = [
          _scatter(self._frames, rows, newest),
          _scatter(self._action, rows, action),
          _scatter(self._reward, rows, reward),
          _scatter(self._discount, rows, discount),
          _scatter(self._first, rows, first),
          # Rows `previous` and `rows` differ: a stream has >= 2 slots.
          _scatter(self._sampleable, tf.concat([previous, rows], 0),
                   tf.concat([kept, sampleable], 0)),
          _write(self._next_observ, stream, next_observ, every),
          _write(self._ended, stream, terminal, every),
          _write(self._inexact, stream, next_inexact, every)]
    with tf.control_dependencies(writes):
      written = _write(self._steps, stream, steps + 1, every)
    with tf.control_dependencies([written]):
      return tf.reduce_sum(self._steps.read_value())

  def _streams(self, streams):
    """(int64 [K] streams, whether they are all S in order) of
    `append_batch`'s `streams` argument."""
    if streams is None:
      return tf.range(self._num_streams, dtype=tf.int64), True
    streams = tf.cast(tf.convert_to_tensor(streams), tf.int64)
    if streams.shape.rank != 1 or not streams.shape.is_fully_defined():
      raise ValueError('streams must have a static shape [K], got {}'.format(
          streams.shape))
    check = tf.debugging.assert_less(
        streams, tf.constant(self._num_streams, tf.int64),
        message='a stream index is out of range')
    with tf.control_dependencies([check, tf.debugging.assert_non_negative(
        streams, message='a stream index is out of range')]):
      return tf.identity(streams), False

  def _stream_steps(self, stream, every):
    """n_s of the streams `stream` of `_streams`, int64 [K]."""
    return _read(self._steps, stream, every)

  def _mismatch(self, a, b):
    """mu(a, b) of each pair: int32 [K] for stacks [K, H, W, F].

    Compares the flat stacks [K, H W F] shifted by one: channel k of a pixel
    is at i with i mod F = k, so the pairs (i, i + 1) with i mod F = F - 1
    straddle two pixels and are ignored. Contiguous slices are far cheaper
    than slices of the channel axis.
    """
    count = a.shape[0]
    height, width, frames = self._shape
    a, b = (tf.reshape(x, [count, -1]) for x in (a, b))
    equal = tf.concat([tf.equal(a[:, :-1], b[:, 1:]),
                       tf.ones([count, 1], tf.bool)], 1)
    differs = tf.logical_not(tf.reduce_all(
        tf.reshape(equal, [count, height * width, frames]), 1))
    # k + 1 where channel k differs, else 0; a column of zeros for F = 1.
    channels = tf.cast(differs, tf.int32) * tf.range(1, frames + 1)[None]
    return tf.reduce_max(
        tf.concat([tf.zeros([count, 1], tf.int32), channels[:, :-1]], 1), 1)

  def sample(self, amount):
    """Samples transitions uniformly among the valid steps.

    Step t of stream s is valid iff, with n = n_s its steps written and
    o = max(0, n - L) its oldest stored one:
      1. o <= t < n (stored);
      2. sampleable_t;
      3. d_t = 0 or t + 1 < n (f_{t+1} of s'_t is stored);
      4. t - o >= F - 1, or first_k for some o <= k <= t (the stack of s_t
         does not reach overwritten steps).
    Draws `_CANDIDATES` pairs (s, o_s + a) per transition, a uniform below
    the most steps any stream stores, and keeps the first valid one
    (rejection sampling); only if all are invalid it draws from the valid
    steps counted over the whole buffer. Either way each transition is
    uniform over the valid steps. For a terminal transition
    (d = 0), s' repeats f_t as its newest frame. With n_step > 1 the
    transitions are the n-step ones of the module docstring. Running it
    raises InvalidArgumentError on an empty buffer or without a valid step.

    Args:
      amount: number of transitions B, an int >= 1.

    Returns:
      (observ, action, reward, next_observ, discount): uint8 [B, H, W, F],
      int64 [B], float32 [B], uint8 [B, H, W, F], float32 [B].
    """
    shape_checks.check_amount(amount)
    steps, oldest = self._window()
    span = tf.reduce_max(steps - oldest) * self._num_streams
    with tf.control_dependencies([tf.debugging.assert_positive(
        span, message=_EMPTY)]):
      draws = random_draws.uniform(
          [amount * _CANDIDATES], 0, span, tf.int64)
    stream = draws % self._num_streams
    time = tf.gather(oldest, stream) + draws // self._num_streams
    valid = tf.reshape(self._valid(time, stream, steps, oldest),
                       [amount, _CANDIDATES])
    choice = tf.argmax(tf.cast(valid, tf.int32), axis=1, output_type=tf.int32)
    pick = tf.stack([tf.range(amount), choice], 1)
    time = tf.gather_nd(tf.reshape(time, [amount, _CANDIDATES]), pick)
    stream = tf.gather_nd(tf.reshape(stream, [amount, _CANDIDATES]), pick)
    accepted = tf.reduce_any(valid, axis=1)
    time, stream = tf.cond(
        tf.reduce_all(accepted), lambda: (time, stream),
        lambda: self._fallback(time, stream, accepted, steps, oldest))
    return self._transitions(time, stream, steps)

  def valid_rows(self):
    """Returns the rows that `sample` may draw, int64 [K], by age a (each
    stream's oldest stored step first), then stream."""
    steps, oldest = self._window()
    rows, _, valid = self._valid_grid(steps, oldest)
    return tf.boolean_mask(rows, valid)

  def _window(self):
    """(n, o), int64 [S]: the steps written per stream and the oldest
    stored ones, o_s = max(0, n_s - L)."""
    steps = self._steps.read_value()
    slots = self._capacity // self._num_streams
    return steps, tf.maximum(steps - slots, 0)

  def _rows(self, time, stream):
    return tf.math.floormod(time * self._num_streams + stream, self._capacity)

  def _valid(self, time, stream, steps, oldest):
    """Rules 1-4 of `sample` for steps `time` [K] >= o_s of `stream` [K],
    with n and o [S] of `_window`."""
    frames = self._shape[-1]
    rows = self._rows(time, stream)
    steps, oldest = tf.gather(steps, stream), tf.gather(oldest, stream)
    # Steps t - F + 2 .. t, clipped to o: a first among them at or after o.
    back = tf.maximum(
        time[:, None] - tf.range(frames - 1, dtype=tf.int64)[None],
        oldest[:, None])
    started = tf.reduce_any(
        tf.gather(self._first, self._rows(back, stream[:, None])), axis=1)
    return tf.logical_and(
        tf.logical_and(time < steps, tf.gather(self._sampleable, rows)),
        tf.logical_and(
            tf.logical_or(tf.equal(tf.gather(self._discount, rows), 0.),
                          time + 1 < steps),
            tf.logical_or(time - oldest >= frames - 1, started)))

  def _valid_grid(self, steps, oldest):
    """Rows, steps and validity, all [A, S], of step o_s + a of stream s
    for the ages a < A = max_s (n_s - o_s), with n and o of `_window`."""
    frames = self._shape[-1]
    streams = self._num_streams
    stored = steps - oldest
    age = tf.range(tf.reduce_max(stored), dtype=tf.int64)[:, None]
    time = oldest[None] + age
    rows = self._rows(time, tf.range(streams, dtype=tf.int64)[None])

    def by_step(variable):
      return tf.gather(variable, rows)

    started = tf.cumsum(tf.cast(by_step(self._first), tf.int32), axis=0) > 0
    valid = tf.logical_and(
        tf.logical_and(age < stored[None], by_step(self._sampleable)),
        tf.logical_and(
            tf.logical_or(tf.equal(by_step(self._discount), 0.),
                          time + 1 < steps[None]),
            tf.logical_or(age >= frames - 1, started)))
    return rows, time, valid

  def _fallback(self, time, stream, accepted, steps, oldest):
    """Replaces the steps not `accepted` by uniform draws of valid steps."""
    _, grid_time, valid = self._valid_grid(steps, oldest)
    counts = tf.cumsum(tf.cast(tf.reshape(valid, [-1]), tf.int32))
    total = counts[-1]
    check = tf.debugging.assert_positive(
        total, message='the replay buffer holds no sampleable transition')
    with tf.control_dependencies([check]):
      draws = random_draws.uniform(tf.shape(time), 0, total, tf.int32)
    # The first position whose running count exceeds the draw.
    position = tf.cast(tf.searchsorted(counts, draws, side='right'), tf.int64)
    return (tf.where(accepted, time,
                     tf.gather(tf.reshape(grid_time, [-1]), position)),
            tf.where(accepted, stream, position % self._num_streams))

  def _transitions(self, time, stream, steps):
    """Gathers (s, a, r, s', d) of valid steps `time` [B] of `stream` [B],
    with n [S] of `_window`."""
    rows = self._rows(time, stream)
    action = tf.cast(tf.gather(self._action, rows), tf.int64)
    reward = tf.gather(self._reward, rows)
    discount = tf.gather(self._discount, rows)
    observ, next_observ = self._stacks(time, stream, discount)
    if self._n_step > 1:
      last, last_discount, reward, discount = self._n_step_return(
          time, stream, steps)
      _, next_observ = self._stacks(last, stream, last_discount)
    return observ, action, reward, next_observ, discount

  def _stacks(self, time, stream, discount):
    """s_t and s'_t, uint8 [B, H, W, F], of valid steps `time` [B].

    Channel k of s_t is step t - F + 1 + k, left-padded at the latest first
    step; s'_t appends f_{t+1}, or repeats f_t where d_t = 0.
    """
    frames = self._shape[-1]
    window = time[:, None] + tf.range(1 - frames, 1, dtype=tf.int64)[None]
    first = tf.gather(self._first, self._rows(window, stream[:, None]))
    start = tf.reduce_max(
        tf.where(first, window,
                 tf.fill(tf.shape(window), tf.constant(tf.int64.min))),
        axis=1)
    window = tf.maximum(window, start[:, None])
    after = tf.where(tf.equal(discount, 0.), time, time + 1)
    window = tf.concat([window, after[:, None]], 1)
    stacks = tf.gather(self._frames, self._rows(window, stream[:, None]))
    return (  # [B, F, H, W] -> [B, H, W, F]
        tf.transpose(part, [0, 2, 3, 1]) for part in (stacks[:, :-1],
                                                      stacks[:, 1:]))

  def _n_step_return(self, time, stream, steps):
    """(t + m - 1, d_{t+m-1}, r, d) of the n-step transitions of `time`.

    Returns int64 [B] and float32 [B], [B], [B]: the step whose s' ends
    each transition, its discount, the discounted reward sum and
    d = gamma^(m-1) d_{t+m-1}.
    """
    n = self._n_step
    steps = tf.gather(steps, stream)[:, None]
    ahead = time[:, None] + tf.range(n, dtype=tf.int64)[None]  # [B, n]
    rows = self._rows(ahead, stream[:, None])
    reward = tf.gather(self._reward, rows)
    discount = tf.gather(self._discount, rows)
    ends = tf.equal(discount, 0.)
    # Step t + i (i >= 1) extends the transition: sampleable, its s' stored,
    # and step t + i - 1 did not terminate (with its s' stored, so step
    # t + i is written: rows past the newest step are never read).
    extends = tf.logical_and(tf.gather(self._sampleable, rows),
                             tf.logical_or(ends, ahead + 1 < steps))
    extends = tf.logical_and(extends[:, 1:], tf.logical_not(ends[:, :-1]))
    included = tf.concat([  # [B, n]: steps t .. t + m - 1
        tf.ones_like(time[:, None], tf.float32),
        tf.math.cumprod(tf.cast(extends, tf.float32), axis=1)], 1)
    powers = tf.constant(self._gamma ** np.arange(n), tf.float32)
    length = tf.cast(tf.reduce_sum(included, 1), tf.int64)  # m [B]
    last = tf.stack([tf.range(tf.size(time, out_type=tf.int64)),
                     length - 1], 1)
    last_discount = tf.gather_nd(discount, last)
    return (time + length - 1, last_discount,
            tf.reduce_sum(included * powers * reward, 1),
            tf.gather(powers, length - 1) * last_discount)

  def _convert(self, transition, count):
    """Converts and checks (observ, action, reward, next_observ, discount)
    of `count` streams."""
    transition = list(transition)
    if len(transition) != 5:
      raise ValueError('a transition is (observ, action, reward, next_observ, '
                       'discount), got {} tensors'.format(len(transition)))
    observ_shape = [count] + self._shape
    specs = [('observ', tf.uint8, observ_shape),
             ('action', tf.int64, [count]),
             ('reward', tf.float32, [count]),
             ('next_observ', tf.uint8, observ_shape),
             ('discount', tf.float32, [count])]
    converted = []
    for (name, dtype, shape), tensor in zip(specs, transition):
      tensor = tf.convert_to_tensor(tensor, dtype)
      if not tensor.shape.is_compatible_with(shape):
        raise ValueError('{} must have shape {}, got {}'.format(
            name, tf.TensorShape(shape), tensor.shape))
      converted.append(tf.ensure_shape(tensor, shape))
    action = converted[1]
    check = tf.debugging.assert_equal(
        tf.cast(tf.cast(action, tf.int32), tf.int64), action,
        message='actions must fit in int32')
    with tf.control_dependencies([check]):
      converted[1] = tf.identity(action)
    return converted


def _observation_shape(value):
  """[H, W, F] from a shape or a transition template; raises ValueError."""
  if isinstance(value, (list, tuple)) and value and all(
      isinstance(entry, (tf.Tensor, tf.TensorSpec)) for entry in value):
    if len(value) != 5:
      raise ValueError('a transition template has 5 entries (observ, action, '
                       'reward, next_observ, discount), got {}'
                       .format(len(value)))
    observ, next_observ = value[0], value[3]
    if tf.as_dtype(observ.dtype).base_dtype != tf.uint8:
      raise ValueError('observations must be uint8, got {}'.format(
          tf.as_dtype(observ.dtype).name))
    if tf.TensorShape(observ.shape) != tf.TensorShape(next_observ.shape):
      raise ValueError('observ and next_observ shapes differ: {} and {}'
                       .format(observ.shape, next_observ.shape))
    value = observ.shape
  try:
    shape = tf.TensorShape(value)
  except (TypeError, ValueError):
    raise ValueError('observation_shape must be [H, W, F], got {!r}'.format(
        value)) from None
  if (shape.rank != 3 or not shape.is_fully_defined() or
      min(shape.as_list()) < 1):
    raise ValueError('observation_shape must be [H, W, F] of positive ints, '
                     'got {}'.format(shape))
  return shape.as_list()


def _scatter(variable, rows, values):
  return variable.scatter_update(tf.IndexedSlices(values, rows)).op


def _read(variable, stream, every):
  """Rows `stream` of a per-stream variable: all of it, as is, if `every`."""
  return variable.read_value() if every else tf.gather(variable, stream)


def _write(variable, stream, values, every):
  """The op setting rows `stream` of a per-stream variable to `values`."""
  if every:
    return variable.assign(values).op
  return _scatter(variable, stream, values)
