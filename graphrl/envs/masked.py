"""Partially observed environments: an observation mask and masked CartPole.

`MaskObservation` keeps the entries `indices` of a 1-D Box observation,
o' = o[indices], with the space's bounds cut alike. Importing this module
(which `graphrl.envs` does) registers `MaskedCartPole-v1` with gymnasium:
CartPole-v1 (time limit 500, reward threshold 475) observing only the cart
position x and the pole angle theta (indices 0 and 2), not their velocities,
so a policy has to infer them from the past: a test bed for recurrent
torsos.
"""

import gymnasium as gym
from gymnasium.envs.classic_control import cartpole
import numpy as np

MASKED_CARTPOLE_ID = 'MaskedCartPole-v1'
# CartPole's observation is (x, x_dot, theta, theta_dot).
CARTPOLE_POSITIONS = (0, 2)


class MaskObservation(gym.ObservationWrapper):
  """Keeps the entries `indices` of a 1-D `Box` observation: o' = o[indices]."""

  STATE_ATTRIBUTES = ()  # For `gym_state`: it keeps no state.

  def __init__(self, env, indices):
    """Wraps `env`.

    Args:
      env: a `gymnasium.Env` with a 1-D `gymnasium.spaces.Box` observation.
      indices: distinct entries to keep, in order, each in [0, size).

    Raises:
      ValueError: for another observation space or bad indices.
    """
    super().__init__(env)
    space = env.observation_space
    if not isinstance(space, gym.spaces.Box) or len(space.shape) != 1:
      raise ValueError('MaskObservation needs a 1-D Box observation space, '
                       'got %s' % (space,))
    indices = tuple(indices)
    size = space.shape[0]
    if (not indices or len(set(indices)) != len(indices) or not all(
        isinstance(i, (int, np.integer)) and 0 <= i < size for i in indices)):
      raise ValueError('indices must be distinct ints in [0, %d), at least '
                       'one, got %s' % (size, indices))
    self._indices = np.array(indices)
    self.observation_space = gym.spaces.Box(
        space.low[self._indices], space.high[self._indices],
        dtype=space.dtype)

  def observation(self, observation):
    return observation[self._indices]


def _masked_cartpole(**kwargs):
  """CartPole without velocities; `gymnasium.make` adds the time limit."""
  return MaskObservation(cartpole.CartPoleEnv(**kwargs), CARTPOLE_POSITIONS)


if MASKED_CARTPOLE_ID not in gym.registry:
  gym.register(MASKED_CARTPOLE_ID, entry_point=_masked_cartpole,
               max_episode_steps=500, reward_threshold=475.0)
