"""Small user environments for tests, written as in seed 001's CartPole."""

import numpy as np

from graphrl import envs
from graphrl.envs import atari
from graphrl.envs import time_step as ts

CORRIDOR_LENGTH = 5


class Corridor(envs.PyEnvironment):
  """States 0..4 in a row, start at 0; action 1 moves right, 0 left.

  Walls hold. Reaching state 4 pays 1 and terminates; `time_limit` steps
  (20; None: no limit) truncate. The optimal policy walks right: return 1
  in 4 steps.
  """

  def __init__(self, time_limit=20):
    self._position = 0
    self._steps = 0
    self._time_limit = time_limit

  @property
  def position(self):
    return self._position

  def observation_spec(self):
    return envs.BoundedArraySpec((CORRIDOR_LENGTH,), np.float32, 0, 1)

  def action_spec(self):
    return envs.BoundedArraySpec((), np.int64, 0, 1)

  def _observation(self):
    return np.eye(CORRIDOR_LENGTH, dtype=np.float32)[self._position]

  def _reset(self):
    self._position, self._steps = 0, 0
    return ts.restart(self._observation())

  def _step(self, action):
    self._steps += 1
    move = 1 if action == 1 else -1
    self._position = min(max(self._position + move, 0), CORRIDOR_LENGTH - 1)
    if self._position == CORRIDOR_LENGTH - 1:
      return ts.termination(self._observation(), 1.0)
    if self._steps == self._time_limit:
      return ts.truncation(self._observation(), 0.0)
    return ts.transition(self._observation(), 0.0)


class FrameCorridor(envs.PyEnvironment):
  """`Corridor` without a time limit, seen as an Atari game is: uint8
  frames [20, 20] of value 50 x position (+ 1), the last 4 stacked (the
  smallest frames the 'a3c' network takes)."""

  SIZE, STACK = 20, 4

  def __init__(self):
    self._corridor = Corridor(time_limit=None)
    self._stacker = atari.FrameStacker(self.STACK)

  def observation_spec(self):
    return envs.ArraySpec((self.SIZE, self.SIZE, self.STACK), np.uint8)

  def action_spec(self):
    return self._corridor.action_spec()

  def _frame(self):
    return np.full([self.SIZE, self.SIZE], 50 * self._corridor.position + 1,
                   np.uint8)

  def _reset(self):
    self._corridor.reset()
    return ts.restart(self._stacker.reset(self._frame()))

  def _step(self, action):
    step = self._corridor.step(action)
    return step._replace(observation=self._stacker.push(self._frame()))


class Counter(envs.PyEnvironment):
  """Observation t = steps since reset, reward 1; terminates at `length`."""

  def __init__(self, length):
    self._length = length
    self._t = 0

  def observation_spec(self):
    return envs.ArraySpec((), np.int64)

  def action_spec(self):
    return envs.BoundedArraySpec((), np.int64, 0, 1)

  def _reset(self):
    self._t = 0
    return ts.restart(np.int64(0))

  def _step(self, action):
    self._t += 1
    if self._t == self._length:
      return ts.termination(np.int64(self._t), 1.)
    return ts.transition(np.int64(self._t), 1.)
