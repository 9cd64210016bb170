"""Time steps and trajectories: what environments return and observers see.

An episode is the time steps FIRST, MID, ..., MID, LAST. `discount` is the
factor on the value of the step's observation in a bootstrap target,
`y = r + gamma * discount * V(s')`: 0 when the episode terminated (no future
reward), 1 otherwise, including at a time-limit truncation, which ends the
episode without making `s'` terminal.

All fields are numpy arrays: scalars for one environment, `[B]` (and
`[B, ...]` observations) for a batch of `B`; the predicates work elementwise.
"""

import collections
import enum

import numpy as np

from graphrl.envs import specs


class StepType(enum.IntEnum):
  """Where a time step lies in its episode."""
  FIRST = 0
  MID = 1
  LAST = 2


class TimeStep(
    collections.namedtuple(
        'TimeStep', ['step_type', 'reward', 'discount', 'observation'])):
  """What an environment returns from `reset` and `step`.

  Fields: step_type int32 `[]` or `[B]`; reward float32 `[]`/`[B]`, the
  reward for the transition into this step (0 at FIRST); discount float32
  `[]`/`[B]`; observation `[...]`/`[B, ...]`.
  """
  __slots__ = ()

  def is_first(self):
    return np.equal(self.step_type, StepType.FIRST)

  def is_mid(self):
    return np.equal(self.step_type, StepType.MID)

  def is_last(self):
    return np.equal(self.step_type, StepType.LAST)


def _step(step_type, reward, discount, observation):
  """A `TimeStep` whose step_type and discount take the reward's shape."""
  reward = np.asarray(reward, dtype=np.float32)
  return TimeStep(
      np.full(reward.shape, step_type, dtype=np.int32), reward,
      np.broadcast_to(np.asarray(discount, np.float32), reward.shape).copy(),
      observation)


def restart(observation, batch_size=None):
  """The FIRST step: reward 0, discount 1; `[batch_size]` fields if given."""
  shape = () if batch_size is None else (batch_size,)
  return _step(StepType.FIRST, np.zeros(shape), 1., observation)


def transition(observation, reward, discount=1.):
  """A MID step with `reward`; `discount` is broadcast to its shape."""
  return _step(StepType.MID, reward, discount, observation)


def termination(observation, reward):
  """A LAST step into a terminal state: discount 0, so `y = r`."""
  return _step(StepType.LAST, reward, 0., observation)


def truncation(observation, reward, discount=1.):
  """A LAST step cut by a time limit: `s'` is not terminal, discount 1.

  Targets still bootstrap from it: `y = r + gamma * V(s')`.
  """
  return _step(StepType.LAST, reward, discount, observation)


def time_step_spec(observation_spec):
  """The `TimeStep` of specs of one (unbatched) time step."""
  return TimeStep(
      step_type=specs.ArraySpec((), np.int32, name='step_type'),
      reward=specs.ArraySpec((), np.float32, name='reward'),
      discount=specs.BoundedArraySpec((), np.float32, 0., 1., name='discount'),
      observation=observation_spec)


def stack(time_steps):
  """Stacks `B` time steps into one whose fields have a leading dim `B`."""
  return TimeStep(*(np.stack(field) for field in zip(*time_steps)))


class Trajectory(
    collections.namedtuple('Trajectory', [
        'step_type', 'observation', 'action', 'policy_info',
        'next_step_type', 'reward', 'discount'
    ])):
  """One transition `(s, a, r, s')` as observers receive it.

  `step_type`/`observation` are those of `s`, `action` the action taken in
  it, `next_step_type`/`reward`/`discount` those of the step into `s'`.
  `is_first()`: the transition starts an episode; `is_last()`: it ends one;
  `is_mid()`: neither.
  """
  __slots__ = ()

  def is_first(self):
    return np.equal(self.step_type, StepType.FIRST)

  def is_last(self):
    return np.equal(self.next_step_type, StepType.LAST)

  def is_mid(self):
    return (np.equal(self.step_type, StepType.MID) &
            np.equal(self.next_step_type, StepType.MID))

  def is_boundary(self):
    """LAST -> FIRST: the auto-reset between episodes, not a transition."""
    return (np.equal(self.step_type, StepType.LAST) &
            np.equal(self.next_step_type, StepType.FIRST))


def from_transition(time_step, action, next_time_step, policy_info=()):
  """The `Trajectory` from `time_step` via `action` to `next_time_step`."""
  return Trajectory(
      step_type=time_step.step_type,
      observation=time_step.observation,
      action=action,
      policy_info=policy_info,
      next_step_type=next_time_step.step_type,
      reward=next_time_step.reward,
      discount=next_time_step.discount)
