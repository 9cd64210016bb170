"""Gymnasium environments as `PyEnvironment`s: `load` and `GymWrapper`.

`load` accepts the ids the lectures use, written for the retired `gym`
package, and maps each to today's gymnasium id with one log line, e.g.
`'Pendulum-v0' is mapped to today's 'Pendulum-v1'`. Atari ids register
`ale_py`'s environments on first use; `load` returns the raw game (RGB
frames, every frame), `atari.load_atari` the DQN-preprocessed one.

Gymnasium's `terminated` becomes `time_step.termination` (discount 0) and
`truncated` (a time limit) `time_step.truncation` (discount 1): the last
observation of a truncated episode is not terminal and targets still
bootstrap from it.

`GymWrapper.get_state` saves the pending reset seed, the action space's RNG
and what `gym_state` knows of the gymnasium environment and its wrappers.
"""

import difflib

from absl import logging
import gymnasium as gym
import numpy as np

from graphrl.envs import gym_state
from graphrl.envs import py_environment
from graphrl.envs import specs
from graphrl.envs import time_step as ts

# Retired ids of the lectures -> today's ids. Ids that differ from a registered
# one only in case (the lecture's 'CartPole-V1') are matched without a table.
_RETIRED_IDS = {
    'LunarLander-v2': 'LunarLander-v3',
    'LunarLanderContinuous-v2': 'LunarLanderContinuous-v3',
    'Pendulum-v0': 'Pendulum-v1',
    'FrozenLake-v0': 'FrozenLake-v1',
    'FrozenLake8x8-v0': 'FrozenLake8x8-v1',
    # Old gym's Atari '-v0' ids skip a random 2-4 frames with sticky actions;
    # DQN-style preprocessing wants every frame.
    'Pong-v0': 'PongNoFrameskip-v4',
    'Breakout-v0': 'BreakoutNoFrameskip-v4',
}


class UnknownEnvironmentError(ValueError):
  """An environment id that gymnasium does not know."""


def _registered(env_id):
  """`env_id`, or the registered id equal to it ignoring case, or None."""
  if env_id in gym.registry:
    return env_id
  by_lower = {registered.lower(): registered for registered in gym.registry}
  return by_lower.get(env_id.lower())


def _register_atari():
  import ale_py  # pylint: disable=g-import-not-at-top
  gym.register_envs(ale_py)


def resolve_id(env_id):
  """Today's gymnasium id for `env_id`, logging when it differs.

  Raises:
    UnknownEnvironmentError: naming close matches, if there is none.
  """
  wanted = _RETIRED_IDS.get(env_id, env_id)
  resolved = _registered(wanted)
  if resolved is None:
    _register_atari()
    resolved = _registered(wanted)
  if resolved is None:
    matches = difflib.get_close_matches(env_id, list(gym.registry), n=5)
    raise UnknownEnvironmentError(
        f'Unknown environment id {env_id!r}; close matches: '
        f'{", ".join(matches) or "none"}.')
  if resolved != env_id:
    logging.warning("'%s' is mapped to today's '%s'.", env_id, resolved)
  return resolved


def is_atari(env_id):
  """Whether `env_id` (any id `resolve_id` takes) is an ALE game."""
  entry_point = gym.spec(resolve_id(env_id)).entry_point
  return isinstance(entry_point, str) and entry_point.startswith('ale_py')


def time_limit(env_id):
  """The registered time limit (steps) of `env_id`, any id `resolve_id`
  takes, or None."""
  return gym.spec(resolve_id(env_id)).max_episode_steps


class GymWrapper(py_environment.PyEnvironment):
  """A gymnasium environment behind the `PyEnvironment` API.

  Observations are cast to `observation_spec().dtype`; actions are passed to
  gymnasium as a Python int (Discrete) or an array of the space's dtype.
  """

  def __init__(self, gym_env, seed=None):
    """Wraps `gym_env`; `seed` seeds its first reset and its action space."""
    self._gym_env = gym_env
    self._observation_spec = specs.from_gym_space(
        gym_env.observation_space, name='observation')
    self._action_spec = specs.from_gym_space(gym_env.action_space,
                                             name='action')
    self._discrete = isinstance(gym_env.action_space, gym.spaces.Discrete)
    self._seed = None
    if seed is not None:
      self.seed(seed)

  @property
  def gym_env(self):
    """The wrapped `gymnasium.Env`, for its gymnasium-specific extras."""
    return self._gym_env

  def observation_spec(self):
    return self._observation_spec

  def action_spec(self):
    return self._action_spec

  def seed(self, seed):
    """Seeds the next reset and the gym action space's `sample()`."""
    self._seed = int(seed)
    self._gym_env.action_space.seed(self._seed)

  # pylint: disable=protected-access
  def _get_state(self):
    """The pending reset seed, the action space's RNG and `gym_state`'s
    state of the gymnasium environment."""
    return {'seed': self._seed,
            'action_space_rng': gym_state.rng_state(
                self._gym_env.action_space._np_random,
                gym_state.name_of(self._gym_env)),
            'gym_env': gym_state.get_state(self._gym_env)}

  def _set_state(self, state):
    py_environment.check_keys(state, ('seed', 'action_space_rng', 'gym_env'),
                              type(self).__name__)
    gym_state.set_state(self._gym_env, state['gym_env'])
    self._seed = state['seed']
    self._gym_env.action_space._np_random = gym_state.rng_from_state(
        state['action_space_rng'])
  # pylint: enable=protected-access

  def _observation(self, observation):
    return np.asarray(observation, dtype=self._observation_spec.dtype)

  def _reset(self):
    observation, _ = self._gym_env.reset(seed=self._seed)
    self._seed = None
    return ts.restart(self._observation(observation))

  def _step(self, action):
    if self._discrete:
      action = int(action)
    else:
      action = np.asarray(action, dtype=self._gym_env.action_space.dtype)
    observation, reward, terminated, truncated, _ = self._gym_env.step(action)
    observation = self._observation(observation)
    if terminated:
      return ts.termination(observation, reward)
    if truncated:
      return ts.truncation(observation, reward)
    return ts.transition(observation, reward)

  def render(self):
    """The frame gymnasium renders; needs `load(..., render_mode=...)`."""
    if self._gym_env.render_mode is None:
      raise ValueError("Rendering needs a render mode: load(env_id, "
                       "render_mode='rgb_array').")
    return self._gym_env.render()

  def close(self):
    self._gym_env.close()


def load(env_id, seed=None, max_episode_steps=None, gym_env_wrappers=(),
         **gym_kwargs):
  """Makes the gymnasium environment `env_id` as a `PyEnvironment`.

  Args:
    env_id: a gymnasium id or one of the lectures' retired ids.
    seed: seeds the first reset and the action space: equal seeds give equal
      episodes for equal actions.
    max_episode_steps: overrides the registered time limit; reaching it
      truncates the episode (LAST with discount 1).
    gym_env_wrappers: `gymnasium.Wrapper` classes applied in order.
    **gym_kwargs: passed to `gymnasium.make` (e.g. `render_mode`).

  Returns:
    A `GymWrapper`.

  Raises:
    UnknownEnvironmentError: if `env_id` is not known.
  """
  gym_env = gym.make(resolve_id(env_id), max_episode_steps=max_episode_steps,
                     **gym_kwargs)
  for wrapper in gym_env_wrappers:
    gym_env = wrapper(gym_env)
  return GymWrapper(gym_env, seed=seed)
