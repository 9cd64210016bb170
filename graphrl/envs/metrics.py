"""Metric observers: callables on batched `Trajectory`s, read by `result()`.

Pass them to a driver as observers. A boundary trajectory (LAST -> FIRST)
is not a transition: it adds no step, reward or length.

For the TF-Agents-style driver API of lecture seed 001 (`graphrl.drivers`)
alone, as TF-Agents' metric observers: the training binaries
(`graphrl.train`, `graphrl.evaluate`, scripts/) keep their own episode
records (`graphrl.training.episode_log`) and do not use this module.
"""

import abc
import collections

import numpy as np


class _Counter(abc.ABC):
  """A running count of the trajectories' members that `_counts` marks."""

  def __init__(self):
    self._count = 0

  @abc.abstractmethod
  def _counts(self, trajectory):
    """A bool per batch member: whether it adds one to the count."""

  def __call__(self, trajectory):
    self._count += int(np.sum(self._counts(trajectory)))

  def result(self):
    return self._count

  def reset(self):
    self._count = 0


class NumberOfEpisodes(_Counter):
  """The number of episodes that ended: the count of `trajectory.is_last()`."""

  def _counts(self, trajectory):
    return trajectory.is_last()


class EnvironmentSteps(_Counter):
  """The number of transitions: the count of `~trajectory.is_boundary()`."""

  def _counts(self, trajectory):
    return ~trajectory.is_boundary()


class _EpisodeAverage(abc.ABC):
  """The mean, over the last `buffer_size` episodes, of a per-episode sum.

  Each batch member keeps a running sum: reset to 0 where a trajectory starts
  an episode (so what a boundary adds is dropped), plus `_increment` of each
  trajectory, and appended to the buffer where one ends an episode. Episodes
  already under way at the first trajectory count from there.
  """

  def __init__(self, buffer_size=10):
    if buffer_size < 1:
      raise ValueError(f'buffer_size must be >= 1, got {buffer_size}')
    self._buffer = collections.deque(maxlen=buffer_size)
    self._sums = None

  @abc.abstractmethod
  def _increment(self, trajectory):
    """The per-member `[B]` amount a transition adds to its episode's sum."""

  def __call__(self, trajectory):
    is_first = np.atleast_1d(trajectory.is_first())
    if self._sums is None:
      self._sums = np.zeros(is_first.shape, np.float64)
    self._sums = (np.where(is_first, 0., self._sums) +
                  np.atleast_1d(self._increment(trajectory)))
    is_last = np.atleast_1d(trajectory.is_last())
    self._buffer.extend(self._sums[is_last].tolist())

  def result(self):
    """The mean over the buffered episodes; 0.0 before any has ended."""
    return float(np.mean(self._buffer)) if self._buffer else 0.

  def reset(self):
    self._buffer.clear()
    self._sums = None


class AverageReturnMetric(_EpisodeAverage):
  """Mean undiscounted return `sum_t r_t` of the last `buffer_size` episodes."""

  def _increment(self, trajectory):
    return trajectory.reward


class AverageEpisodeLengthMetric(_EpisodeAverage):
  """Mean number of transitions of the last `buffer_size` episodes."""

  def _increment(self, trajectory):
    return np.ones_like(trajectory.reward)
