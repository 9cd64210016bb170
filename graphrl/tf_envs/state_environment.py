"""A `TFEnvironment` whose dynamics are graph ops on a float64 state.

Subclasses (`cartpole`, `pendulum`) give the draw of a reset state, the
observation of a state and one step of the dynamics; `StateEnvironment`
holds the state, the step counts and the time limit, and implements
`observ`, `step` and `reset` on them.
"""

import abc

import numpy as np

from graphrl import resumable
from graphrl.compat import tf
from graphrl.tf_envs import tf_environment


class StateEnvironment(tf_environment.TFEnvironment):
  """N members with float64 state rows [S] and a time limit T.

  The state [N, S] and the per-member step counts [N] are place variables
  (`graphrl.resumable`): a checkpoint holds them, so a resumed run goes on
  from the very step it was saved at. They start at zero; `reset()` before
  the first step (the training loop does, in a fresh run). Resets draw from
  `graphrl.random_draws`, keyed by the graph-level seed.

  A step maps state s, action a and count k to s' and reward r by the
  dynamics, and k' = k + 1; a member is truncated when k' >= T, even when it
  terminates at that step, as gymnasium's `TimeLimit` does. Ops built by one
  call read the variables before they write them; to order the ops of
  several calls, build them under control dependencies or in a
  `tf.while_loop` with `parallel_iterations=1`.
  """

  def __init__(self, batch_size, state_size, observation_spec, action_spec,
               max_episode_steps, name):
    """Creates the variables (zero: `reset()` draws a state).

    Args:
      batch_size: N >= 1, the number of members.
      state_size: S, the size of a member's state row.
      observation_spec: `graphrl.envs.ArraySpec` of one member's observation.
      action_spec: `graphrl.envs.BoundedArraySpec` of one member's action;
        `step` takes actions of shape [N, *action_spec.shape].
      max_episode_steps: the time limit T, an int >= 1, or None for none.
      name: default name of the variable scope (made unique).

    Raises:
      ValueError: for a bad batch_size or max_episode_steps.
    """
    super().__init__(batch_size, observation_spec, action_spec)
    if max_episode_steps is not None and (
        int(max_episode_steps) != max_episode_steps or max_episode_steps < 1):
      raise ValueError('max_episode_steps must be an int >= 1 or None, got '
                       '{!r}'.format(max_episode_steps))
    self._max_episode_steps = (None if max_episode_steps is None
                               else int(max_episode_steps))
    self._state_size = state_size
    with tf.variable_scope(None, default_name=name):
      self._state = resumable.variable(
          np.zeros([self.batch_size, state_size]), 'state', tf.float64)
      self._elapsed_steps = resumable.variable(
          np.zeros([self.batch_size], np.int64), 'elapsed_steps')

  @property
  def state_in_variables(self):
    return True

  @property
  def state(self):
    """The float64 variable [N, S] of the members' state rows."""
    return self._state

  @property
  def elapsed_steps(self):
    """The int64 variable [N] of steps since each member's reset."""
    return self._elapsed_steps

  @property
  def max_episode_steps(self):
    """The time limit, or None."""
    return self._max_episode_steps

  @abc.abstractmethod
  def _sample_state(self):
    """A float64 [N, S] draw of reset states."""

  @abc.abstractmethod
  def _observation(self, state):
    """The observations [N, *obs_shape] of the states float64 [N, S]."""

  @abc.abstractmethod
  def _dynamics(self, state, action):
    """One step of the members from `state` float64 [N, S].

    Args:
      state: float64 [N, S], a read of the state before the step.
      action: a tensor [N, *action_shape].

    Returns:
      (s' float64 [N, S], reward float32 [N], terminated bool [N]).
    """

  def observ(self):
    """The current observations [N, *obs_shape]."""
    return self._observation(self._state.read_value())

  def step(self, action):
    """Steps every member with `action` [N, *action_shape].

    Returns:
      A `StepResult` of s' [N, *obs_shape], reward float32 [N], terminated
      and truncated bool [N], all after the state update.

    Raises:
      ValueError: if `action` is not of shape [N, *action_shape].
    """
    action = tf.convert_to_tensor(action)
    shape = [self.batch_size] + list(self.action_spec().shape)
    if not action.shape.is_compatible_with(shape):
      raise ValueError('action must have shape {}, got {}'.format(
          shape, action.shape))
    state, reward, terminated = self._dynamics(self._state.read_value(),
                                               action)
    elapsed = self._elapsed_steps.read_value() + 1
    if self._max_episode_steps is None:
      truncated = tf.zeros([self.batch_size], tf.bool)
    else:
      truncated = elapsed >= self._max_episode_steps
    writes = [self._state.assign(state), self._elapsed_steps.assign(elapsed)]
    with tf.control_dependencies(writes):
      return tf_environment.StepResult(
          observ=self._observation(state),
          reward=tf.identity(reward),
          terminated=tf.identity(terminated),
          truncated=tf.identity(truncated))

  def reset(self, mask=None):
    """Redraws the state of the members where `mask` and zeroes their counts.

    Args:
      mask: bool [N], or None to reset all members.

    Returns:
      The observations [N, *obs_shape] after the reset.

    Raises:
      ValueError: if `mask` is not of shape [N], or a state draw is not of
        shape [N, S].
    """
    fresh = self._sample_state()
    if not fresh.shape.is_compatible_with([self.batch_size,
                                           self._state_size]):
      raise ValueError('_sample_state must have shape [{}, {}], got '
                       '{}'.format(self.batch_size, self._state_size,
                                   fresh.shape))
    if mask is None:
      writes = [self._state.assign(fresh), self._elapsed_steps.assign(
          tf.zeros([self.batch_size], tf.int64))]
    else:
      mask = tf.convert_to_tensor(mask, tf.bool)
      if not mask.shape.is_compatible_with([self.batch_size]):
        raise ValueError('mask must have shape [{}], got {}'.format(
            self.batch_size, mask.shape))
      # Unmasked rows are neither read nor written, so a reset by a mask
      # computed from a step's result runs after that step.
      rows = tf.where(mask)[:, 0]
      writes = [
          tf.scatter_update(self._state, rows, tf.gather(fresh, rows)),
          tf.scatter_update(self._elapsed_steps, rows, tf.zeros_like(rows))]
    with tf.control_dependencies(writes):
      return self.observ()
