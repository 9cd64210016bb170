"""The in-graph batch environment: N environments stepped by graph ops.

The state of the N members lives in variables, and stepping or resetting them
are ops, so that acting, stepping and storing a transition can be one
`Session.run`, or K of them one `tf.while_loop` (`graphrl.training.graph_loop`).
Subclasses write the dynamics in TensorFlow ops (`cartpole`, `pendulum`) or
call Python environments through `tf.numpy_function` (`py_func`).

An episode's end is reported, not acted on: `step` returns the next
observations s' of all members, and the caller resets the members that ended
(`reset(terminated | truncated)`) after it has used s', e.g. stored
(s, a, r, s'). A truncated member (time limit) is not terminated: its s' is
not terminal.
"""

import abc
import collections

# What `TFEnvironment.step` returns, each of leading dimension N:
#   observ: s' [N, *obs_shape] in the observation spec's dtype, before any
#     reset; reward: float32 [N]; terminated, truncated: bool [N].
StepResult = collections.namedtuple(
    'StepResult', ['observ', 'reward', 'terminated', 'truncated'])


class TFEnvironment(abc.ABC):
  """N environments whose state is held in variables.

  `step` and `reset` create ops, not variables (the constructor creates them
  all), so they can be called inside `tf.while_loop` bodies and `tf.cond`
  branches; each call builds new ops on the same state.
  """

  def __init__(self, batch_size, observation_spec, action_spec):
    """Stores the batch size N and the specs of one member."""
    if batch_size < 1:
      raise ValueError('batch_size must be positive, got %r' % (batch_size,))
    self._batch_size = int(batch_size)
    self._observation_spec = observation_spec
    self._action_spec = action_spec

  @property
  def batch_size(self):
    """N, the number of members."""
    return self._batch_size

  def observation_spec(self):
    """`graphrl.envs.ArraySpec` of one member's observation."""
    return self._observation_spec

  def action_spec(self):
    """`graphrl.envs.BoundedArraySpec` of one member's action."""
    return self._action_spec

  @abc.abstractmethod
  def observ(self):
    """The current observations [N, *obs_shape], a read of the state."""

  @abc.abstractmethod
  def step(self, action):
    """Steps every member with `action` [N, *action_shape].

    Returns:
      A `StepResult` of tensors that depend on the state update, so fetching
      any of them steps the environments once.
    """

  @property
  def state_in_variables(self):
    """Whether all of the members' state is in place variables
    (`graphrl.resumable`), so that a checkpoint holds it; the default,
    False, has the training loop start them afresh on a resume."""
    return False

  def close(self):
    """Releases what the environment holds outside the graph (nothing)."""

  @abc.abstractmethod
  def reset(self, mask=None):
    """Resets the members where `mask` (bool [N]; None: all of them).

    Returns:
      The observations [N, *obs_shape] after the reset: the first
      observations of the reset members, the others unchanged.
    """
