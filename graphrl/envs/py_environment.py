"""`PyEnvironment`: the base class of numpy environments (TF-Agents style).

Subclass it for your own environment, as in the lecture's CartPole:

  class CartPole(PyEnvironment):
    def observation_spec(self): ...  # a BoundedArraySpec
    def action_spec(self): ...
    def _reset(self): ...            # -> time_step.restart(observation)
    def _step(self, action): ...     # -> transition/termination/truncation

and call `reset()` and `step(action)`, never `_reset`/`_step`: `step`
auto-resets. A `step` after a LAST time step (or before any `reset`) ignores
its action and returns the FIRST time step of a new episode.

`get_state()` and `set_state(state)` save and restore the whole state, for
an exact resume from a checkpoint: a subclass implements `_get_state` and
`_set_state`. States are data only (dicts with str keys, lists, None, bool,
int, float, str, bytes and numpy arrays), never pickled objects.
"""

import abc

import numpy as np

from graphrl.envs import time_step as ts

_TIME_STEP_FIELDS = ts.TimeStep._fields
_STATE_KEYS = ('current_time_step', 'environment')


class StateNotSavableError(ValueError):
  """`get_state` of an environment whose state cannot be saved."""


def plain(value, owner):
  """`value` as a state tree, or a state tree's value as an environment's
  own copy: numpy scalars become Python scalars, tuples lists and arrays
  copies.

  Raises:
    StateNotSavableError: naming `owner`, for any other kind of value.
  """
  if isinstance(value, np.generic):  # Before float: np.float64 is a float.
    return value.item()
  if value is None or isinstance(value, (bool, int, float, str, bytes)):
    return value
  if isinstance(value, np.ndarray):
    return value.copy()
  if isinstance(value, (list, tuple)):
    return [plain(item, owner) for item in value]
  if isinstance(value, dict) and all(isinstance(key, str) for key in value):
    return {key: plain(item, owner) for key, item in value.items()}
  raise StateNotSavableError(f'{owner} holds a {type(value).__name__}, which '
                             f'a state cannot hold.')


def check_keys(state, keys, owner):
  """Raises ValueError unless `state` is a dict with exactly `keys`."""
  if not isinstance(state, dict) or set(state) != set(keys):
    found = sorted(state) if isinstance(state, dict) else type(state).__name__
    raise ValueError(f'{owner}.set_state expects a dict with keys '
                     f'{sorted(keys)}, got {found}: not a state of this '
                     f'environment.')



class PyEnvironment(abc.ABC):
  """An environment stepped with numpy actions, returning `TimeStep`s.

  Batched environments (`batched` True) take actions `[batch_size, ...]`,
  return fields with a leading `[batch_size]` dim and auto-reset each
  member on its own inside `_step`.
  """

  _current_time_step = None  # Set by `reset` and `step`; no __init__ needed.

  @abc.abstractmethod
  def observation_spec(self):
    """The spec of one (unbatched) observation."""

  @abc.abstractmethod
  def action_spec(self):
    """The spec of one (unbatched) action."""

  @abc.abstractmethod
  def _reset(self):
    """Starts an episode; returns its FIRST `TimeStep`."""

  @abc.abstractmethod
  def _step(self, action):
    """Applies `action`; returns the next `TimeStep`."""

  def time_step_spec(self):
    """The `TimeStep` of specs of one (unbatched) time step."""
    return ts.time_step_spec(self.observation_spec())

  @property
  def batched(self):
    return False

  @property
  def batch_size(self):
    """The number of environments stepped together; None when unbatched."""
    return None

  def current_time_step(self):
    """The last time step returned, resetting first if there is none."""
    if self._current_time_step is None:
      return self.reset()
    return self._current_time_step

  def reset(self):
    """Starts a new episode (in every member, if batched)."""
    self._current_time_step = self._reset()
    return self._current_time_step

  def step(self, action):
    """Applies `action`, auto-resetting after the end of an episode.

    Args:
      action: an array of `action_spec().shape`, with a leading
        `[batch_size]` dim if batched.

    Returns:
      The next `TimeStep`.

    Raises:
      ValueError: if `action` has the wrong shape.
    """
    expected = self._batch_shape(self.action_spec())
    if np.shape(action) != expected:
      raise ValueError(f'{type(self).__name__}.step expects an action of shape '
                       f'{expected}, got {np.shape(action)}')
    if self._current_time_step is None or (
        not self.batched and self._current_time_step.is_last()):
      return self.reset()
    self._current_time_step = self._step(action)
    return self._current_time_step

  def get_state(self):
    """The whole state: `{'current_time_step', 'environment'}`.

    'current_time_step' is None before the first `reset`, else a dict of
    the `TimeStep`'s arrays; 'environment' is `_get_state()`.

    Raises:
      StateNotSavableError: if the state cannot be saved.
    """
    time_step = self._current_time_step
    if time_step is not None:
      if not isinstance(time_step.observation, np.ndarray):
        raise StateNotSavableError(
            f'{type(self).__name__} has a nested observation, which a state '
            f'cannot hold.')
      time_step = {field: np.array(getattr(time_step, field))
                   for field in _TIME_STEP_FIELDS}
    return {'current_time_step': time_step,
            'environment': self._get_state()}

  def set_state(self, state):
    """Restores `state`, from `get_state` of an environment built alike.

    Stepping afterwards with the same actions returns the same time steps
    as the environment the state came from.

    Raises:
      ValueError: if `state` is not a state of this kind of environment.
    """
    owner = type(self).__name__
    check_keys(state, _STATE_KEYS, owner)
    time_step = state['current_time_step']
    if time_step is not None:
      check_keys(time_step, _TIME_STEP_FIELDS, owner + ' time step')
      observation = time_step['observation']
      expected = self._batch_shape(self.observation_spec())
      if np.shape(observation) != expected:
        raise ValueError(f'{owner}.set_state expects observations of shape '
                         f'{expected}, got {np.shape(observation)}.')
      time_step = ts.TimeStep(**{field: np.array(value)
                                 for field, value in time_step.items()})
    self._set_state(state['environment'])
    self._current_time_step = time_step

  def _batch_shape(self, spec):
    """The shape of `spec`, after a leading [batch_size] dim if batched."""
    if self.batched:
      return (self.batch_size,) + spec.shape
    return spec.shape

  def _get_state(self):
    """The state of the subclass, a state tree (see `get_state`)."""
    raise StateNotSavableError(f'{type(self).__name__} does not implement '
                               f'get_state.')

  def _set_state(self, state):
    """Restores `_get_state()`'s `state`; raises ValueError for another."""
    raise ValueError(f'{type(self).__name__} does not implement set_state.')

  def seed(self, seed):
    """Seeds the environment's randomness; used from the next `reset`."""
    raise NotImplementedError(f'{type(self).__name__} does not support seeding')

  def render(self):
    """An image of the current state (`[H, W, 3]` uint8)."""
    raise NotImplementedError(
        f'{type(self).__name__} does not support rendering')

  def close(self):
    """Frees resources (windows, processes); the default holds none."""

  def __enter__(self):
    return self

  def __exit__(self, *unused_exc_info):
    self.close()
