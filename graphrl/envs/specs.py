"""Array specs: the shape, dtype and bounds of observations and actions.

`ArraySpec` and `BoundedArraySpec` follow TF-Agents' `array_spec` module;
`from_gym_space` converts gymnasium `Box` and `Discrete` spaces to them.
"""

import numpy as np


class ArraySpec:
  """An immutable description of a numpy array: its shape and dtype."""

  def __init__(self, shape, dtype, name=None):
    """Builds the spec.

    Args:
      shape: a sequence of non-negative ints; `()` for scalars.
      dtype: anything `np.dtype` accepts.
      name: an optional string.

    Raises:
      ValueError: if `shape` holds a negative or non-integer dimension.
    """
    try:
      shape = tuple(int(d) for d in shape)
    except TypeError:
      raise ValueError(
          f'shape must be a sequence of ints, got {shape!r}') from None
    if any(d < 0 for d in shape):
      raise ValueError(f'shape must not hold negative sizes, got {shape}')
    self._shape = shape
    self._dtype = np.dtype(dtype)
    self._name = name

  @property
  def shape(self):
    return self._shape

  @property
  def dtype(self):
    return self._dtype

  @property
  def name(self):
    return self._name

  def _fields(self):
    return f'shape={self.shape}, dtype={self.dtype!r}, name={self.name!r}'

  def __repr__(self):
    return f'{type(self).__name__}({self._fields()})'

  def __eq__(self, other):
    return (type(self) is type(other) and self.shape == other.shape and
            self.dtype == other.dtype and self.name == other.name)

  def __hash__(self):
    return hash((type(self), self.shape, self.dtype, self.name))

  def check_array(self, array):
    """Whether `array` has this shape and a dtype of the same kind.

    Python scalars pass for specs of their kind (an `int` for an `int64`
    spec); a float array does not pass an integer spec.

    Args:
      array: a numpy array or anything `np.asarray` accepts.

    Returns:
      A bool.
    """
    array = np.asarray(array)
    return (array.shape == self.shape and
            np.can_cast(array.dtype, self.dtype, casting='same_kind'))


class BoundedArraySpec(ArraySpec):
  """An `ArraySpec` whose elements lie in `[minimum, maximum]`.

  `minimum` and `maximum` are stored in the spec's dtype and broadcast to its
  shape: a scalar bound applies to every element. The bound arrays are
  read-only.
  """

  def __init__(self, shape, dtype, minimum, maximum, name=None):
    """Builds the spec.

    Raises:
      ValueError: if a bound does not broadcast to `shape`, or some
        `minimum > maximum`.
    """
    super().__init__(shape, dtype, name)
    bounds = []
    for label, bound in (('minimum', minimum), ('maximum', maximum)):
      bound = np.array(bound, dtype=self.dtype)
      try:
        np.broadcast_to(bound, self.shape)
      except ValueError:
        raise ValueError(f'{label} of shape {bound.shape} does not broadcast '
                         f'to the spec shape {self.shape}')
      bound.flags.writeable = False
      bounds.append(bound)
    if np.any(bounds[0] > bounds[1]):
      raise ValueError(f'minimum {bounds[0]} exceeds maximum {bounds[1]}')
    self._minimum, self._maximum = bounds

  @property
  def minimum(self):
    return self._minimum

  @property
  def maximum(self):
    return self._maximum

  def _fields(self):
    return (f'{super()._fields()}, minimum={self.minimum}, '
            f'maximum={self.maximum}')

  def __eq__(self, other):
    return (super().__eq__(other) and
            np.array_equal(self.minimum, other.minimum) and
            np.array_equal(self.maximum, other.maximum))

  def __hash__(self):
    return hash((super().__hash__(), self.minimum.tobytes(),
                 self.maximum.tobytes()))

  def check_array(self, array):
    """Whether `array` matches shape and dtype kind and lies within bounds."""
    array = np.asarray(array)
    return bool(super().check_array(array) and
                np.all(self.minimum <= array) and np.all(array <= self.maximum))

  @property
  def num_values(self):
    """`maximum - minimum + 1`: the number of actions of a discrete spec.

    Raises:
      ValueError: if the dtype is not integer or the bounds differ between
        elements.
    """
    if not np.issubdtype(self.dtype, np.integer):
      raise ValueError(f'num_values needs an integer spec, got {self!r}')
    if np.ptp(self.minimum) or np.ptp(self.maximum):
      raise ValueError(f'num_values needs equal bounds for all elements, '
                       f'got {self!r}')
    return int(self.maximum.flat[0]) - int(self.minimum.flat[0]) + 1

  def sample(self, rng):
    """A uniformly random array within the bounds.

    Integers are drawn from `{minimum, ..., maximum}`; floats from
    `u * maximum + (1 - u) * minimum`, `u ~ U[0, 1)`, which stays finite for
    bounds as wide as the dtype allows.

    Args:
      rng: a `np.random.Generator`.

    Returns:
      An array of `shape` and `dtype`.
    """
    low = np.broadcast_to(self.minimum, self.shape)
    high = np.broadcast_to(self.maximum, self.shape)
    if self.dtype == np.bool_:
      return rng.integers(low.astype(np.int64), high.astype(np.int64),
                          size=self.shape, endpoint=True) > 0
    if np.issubdtype(self.dtype, np.integer):
      return rng.integers(low, high, size=self.shape, dtype=self.dtype,
                          endpoint=True)
    u = rng.random(size=self.shape)
    mixed = u * high.astype(np.float64) + (1. - u) * low.astype(np.float64)
    return np.clip(mixed, low, high).astype(self.dtype)


def _float32_bounds(bound):
  """Casts a bound to float32, clipping +-inf and wider floats to its range."""
  limit = np.finfo(np.float32).max
  return np.clip(bound, -limit, limit).astype(np.float32)


def _simplify(bound):
  """A scalar for a bound that is the same for every element."""
  if bound.size and np.all(bound == bound.flat[0]):
    return bound.flat[0]
  return bound


def from_gym_space(space, name=None):
  """Converts a gymnasium space to a `BoundedArraySpec`.

  `Discrete(n, start=s)` becomes an int64 scalar spec over `[s, s + n - 1]`.
  A floating `Box` becomes a float32 spec whose infinite bounds are clipped to
  the float32 range (`+-3.4028235e+38`); other `Box` dtypes (uint8 images)
  are kept. Bounds that are equal for every element become scalars.

  Args:
    space: a `gymnasium.spaces.Box` or `gymnasium.spaces.Discrete`.
    name: the spec's name.

  Returns:
    A `BoundedArraySpec`.

  Raises:
    ValueError: for other spaces.
  """
  from gymnasium import spaces  # pylint: disable=g-import-not-at-top
  if isinstance(space, spaces.Discrete):
    start = int(space.start)
    return BoundedArraySpec((), np.int64, start, start + int(space.n) - 1,
                            name=name)
  if isinstance(space, spaces.Box):
    low, high, dtype = space.low, space.high, space.dtype
    if np.issubdtype(dtype, np.floating):
      low, high, dtype = _float32_bounds(low), _float32_bounds(high), np.float32
    return BoundedArraySpec(space.shape, dtype, _simplify(low),
                            _simplify(high), name=name)
  raise ValueError(f'Only Box and Discrete gym spaces are supported, '
                   f'got {space!r}')
