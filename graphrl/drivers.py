"""Drivers: run a policy in a batched environment and feed observers.

`StepDriver` and `EpisodeDriver` are the numpy counterparts of TF-Agents'
`DynamicStepDriver` and `DynamicEpisodeDriver`. A policy is a callable
`policy(time_step, policy_state) -> (action, policy_state)` on numpy arrays
(in graphrl it usually wraps a `Session.run`); a recurrent policy resets its
state itself where `time_step.is_first()`. Each observer is called with the
batched `Trajectory` of every step, e.g. a replay buffer's `add_batch` or a
metric from `graphrl.envs.metrics`. Boundary steps (LAST -> FIRST, the
auto-reset) reach the observers but count as neither steps nor episodes.

For the API of lecture seed 001 (`DynamicEpisodicDriver(env, policy,
observers=[replay_buffer.add_batch])`) alone: the training binaries
(`graphrl.train`, `graphrl.evaluate`, scripts/) run their own loops
(`graphrl.training`) and do not use this module.
"""

import abc

import numpy as np

from graphrl.envs import time_step as ts


class _Driver(abc.ABC):
  """Steps `env` with `policy` until `_done(steps, episodes)`."""

  def __init__(self, env, policy, observers):
    if not env.batched:
      raise ValueError('Drivers step batched environments; wrap a single one '
                       'as BatchedPyEnvironment([env]).')
    self._env = env
    self._policy = policy
    self._observers = list(observers)

  @property
  def observers(self):
    return list(self._observers)

  @abc.abstractmethod
  def _done(self, steps, episodes):
    """Whether the run is over after `steps` steps and `episodes` episodes."""

  def run(self, time_step=None, policy_state=None):
    """Collects experience, continuing from `time_step` if given.

    Args:
      time_step: the batched `TimeStep` to act on; defaults to
        `env.current_time_step()` (which resets a fresh environment).
      policy_state: passed to the first policy call.

    Returns:
      `(time_step, policy_state)` after the last step, to continue from.
    """
    if time_step is None:
      time_step = self._env.current_time_step()
    steps = episodes = 0
    while not self._done(steps, episodes):
      action, policy_state = self._policy(time_step, policy_state)
      next_time_step = self._env.step(action)
      trajectory = ts.from_transition(time_step, action, next_time_step)
      for observer in self._observers:
        observer(trajectory)
      steps += int(np.sum(~trajectory.is_boundary()))
      episodes += int(np.sum(trajectory.is_last()))
      time_step = next_time_step
    return time_step, policy_state


class StepDriver(_Driver):
  """Runs until at least `num_steps` transitions, summed over the batch."""

  def __init__(self, env, policy, observers=(), num_steps=1):
    if num_steps < 1:
      raise ValueError(f'num_steps must be >= 1, got {num_steps}')
    super().__init__(env, policy, observers)
    self._num_steps = num_steps

  def _done(self, steps, episodes):
    return steps >= self._num_steps


class EpisodeDriver(_Driver):
  """Runs until at least `num_episodes` episodes end, summed over the batch.

  Counts episodes that end during the run, including one already under way
  when it started.
  """

  def __init__(self, env, policy, observers=(), num_episodes=1):
    if num_episodes < 1:
      raise ValueError(f'num_episodes must be >= 1, got {num_episodes}')
    super().__init__(env, policy, observers)
    self._num_episodes = num_episodes

  def _done(self, steps, episodes):
    return episodes >= self._num_episodes


# The lecture's (TF-Agents') names.
DynamicStepDriver = StepDriver
DynamicEpisodicDriver = EpisodeDriver
