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
"""

import abc

import numpy as np

from graphrl.envs import time_step as ts


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
    expected = self.action_spec().shape
    if self.batched:
      expected = (self.batch_size,) + expected
    if np.shape(action) != expected:
      raise ValueError(f'{type(self).__name__}.step expects an action of shape '
                       f'{expected}, got {np.shape(action)}')
    if self._current_time_step is None or (
        not self.batched and self._current_time_step.is_last()):
      return self.reset()
    self._current_time_step = self._step(action)
    return self._current_time_step

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
