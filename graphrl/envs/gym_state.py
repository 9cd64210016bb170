"""The state of a gymnasium environment and its wrappers, as data.

`get_state(gym_env)` saves, outermost layer first:
  each wrapper: the attributes of `_ATTRIBUTES` (gymnasium's wrappers that
    `gymnasium.make` adds) or of its class's own `STATE_ATTRIBUTES` (graphrl's
    wrappers, e.g. `atari.GameScore`);
  the unwrapped environment: its `np_random` bit-generator state and seed,
    and the attributes of `_ATTRIBUTES` (classic control) or, for an ALE
    game, its game and the emulator state with its RNG as bytes.
An environment or wrapper of another class raises `StateNotSavableError`:
its state is unknown, so it is not guessed. `set_state` restores it into a
`gym_env` built alike.
"""

import gymnasium as gym
from gymnasium.envs.classic_control import acrobot
from gymnasium.envs.classic_control import cartpole
from gymnasium.envs.classic_control import continuous_mountain_car
from gymnasium.envs.classic_control import mountain_car
from gymnasium.envs.classic_control import pendulum
from gymnasium.wrappers import common
import numpy as np

from graphrl.envs import py_environment

# Class -> the attributes that hold its state, read with getattr(.., None);
# a dotted path reaches into an attribute (StackFrames' '_stacker._stack').
# PassiveEnvChecker's step checks compare with the objects of the call
# before, which a state cannot hold: a restored checker skips them (they
# only warn).
_ATTRIBUTES = {
    cartpole.CartPoleEnv: ('state', 'steps_beyond_terminated'),
    pendulum.PendulumEnv: ('state', 'last_u'),
    mountain_car.MountainCarEnv: ('state',),
    continuous_mountain_car.Continuous_MountainCarEnv: ('state',),
    acrobot.AcrobotEnv: ('state',),
    common.TimeLimit: ('_elapsed_steps',),
    common.OrderEnforcing: ('_has_reset',),
    common.PassiveEnvChecker: ('checked_reset', 'checked_render'),
}
_ENV_KEYS = ('class', 'np_random', 'np_random_seed', 'attributes')
_LAYER_KEYS = ('class', 'attributes')
_ALE_KEYS = ('game', 'ale')


def _layers(gym_env):
  """The wrappers of `gym_env`, outermost first, and the unwrapped env."""
  wrappers = []
  while isinstance(gym_env, gym.Wrapper):
    wrappers.append(gym_env)
    gym_env = gym_env.env
  return wrappers, gym_env


def name_of(gym_env):
  """The gymnasium id of `gym_env`, or its unwrapped class's name."""
  spec = gym_env.unwrapped.spec
  return spec.id if spec is not None else type(gym_env.unwrapped).__name__


def _is_ale(env):
  """Whether the unwrapped `env` is an ALE game (ale_py is imported only for
  one)."""
  return type(env).__module__.startswith('ale_py')


def _attribute_names(layer):
  """The attributes that hold the state of `layer`, or None if unknown."""
  if type(layer) in _ATTRIBUTES:
    return _ATTRIBUTES[type(layer)]
  return vars(type(layer)).get('STATE_ATTRIBUTES')


def _get_path(layer, path):
  for name in path.split('.'):
    layer = getattr(layer, name, None)
  return layer


def _set_path(layer, path, value):
  *parents, name = path.split('.')
  for parent in parents:
    layer = getattr(layer, parent)
  setattr(layer, name, value)


def rng_state(rng, owner):
  """The state of the `np.random.Generator` `rng` (None if None).

  Raises:
    StateNotSavableError: for another bit generator than gymnasium's PCG64.
  """
  if rng is None:
    return None
  state = rng.bit_generator.state
  if state['bit_generator'] != 'PCG64':
    raise py_environment.StateNotSavableError(
        f'{owner} draws from a {state["bit_generator"]} generator; only '
        f'PCG64, gymnasium\'s, can be saved.')
  return py_environment.plain(state, owner)


def rng_from_state(state):
  """The `np.random.Generator` of `rng_state`'s `state` (None if None)."""
  if state is None:
    return None
  rng = np.random.Generator(np.random.PCG64())
  rng.bit_generator.state = state
  return rng


def get_state(gym_env):
  """The state of `gym_env`: {'wrappers': [...], 'env': {...}}.

  Raises:
    StateNotSavableError: for an environment or wrapper of unknown state.
  """
  name = name_of(gym_env)
  wrappers, env = _layers(gym_env)
  wrapper_states = []
  for wrapper in wrappers:
    names = _attribute_names(wrapper)
    if names is None:
      raise py_environment.StateNotSavableError(
          f'{name} is wrapped in a {type(wrapper).__name__}, whose state '
          f'graphrl does not know how to save.')
    wrapper_states.append({'class': type(wrapper).__name__, 'attributes': {
        path: py_environment.plain(_get_path(wrapper, path), name)
        for path in names}})
  if _is_ale(env):
    attributes = {'game': env._game,  # pylint: disable=protected-access
                  'ale': env.ale.cloneState(include_rng=True).serialize()}
  elif type(env) in _ATTRIBUTES:
    attributes = {path: py_environment.plain(_get_path(env, path), name)
                  for path in _ATTRIBUTES[type(env)]}
  elif type(env).__module__.startswith('gymnasium.envs.box2d'):
    raise py_environment.StateNotSavableError(
        f'{name} keeps its state in a Box2D world, which cannot be saved.')
  else:
    raise py_environment.StateNotSavableError(
        f'{name} ({type(env).__name__}) keeps a state graphrl does not know '
        f'how to save.')
  # pylint: disable=protected-access
  return {'wrappers': wrapper_states, 'env': {
      'class': type(env).__name__,
      'np_random': rng_state(env._np_random, name),
      'np_random_seed': py_environment.plain(env._np_random_seed, name),
      'attributes': attributes}}


def set_state(gym_env, state):
  """Restores `get_state`'s `state` into `gym_env`, built alike.

  Raises:
    ValueError: if `state` is not a state of such an environment.
  """
  name = name_of(gym_env)
  wrappers, env = _layers(gym_env)
  py_environment.check_keys(state, ('wrappers', 'env'), name)
  layer_states = list(state['wrappers']) + [state['env']]
  layers = wrappers + [env]
  found = [layer.get('class') if isinstance(layer, dict) else None
           for layer in layer_states]
  expected = [type(layer).__name__ for layer in layers]
  if found != expected:
    raise ValueError(f'{name}.set_state got the state of layers {found}, '
                     f'but this environment is {expected}.')
  for layer, layer_state in zip(wrappers, state['wrappers']):
    py_environment.check_keys(layer_state, _LAYER_KEYS, name)
    py_environment.check_keys(layer_state['attributes'],
                              _attribute_names(layer), name)
  env_state = state['env']
  py_environment.check_keys(env_state, _ENV_KEYS, name)
  attributes = env_state['attributes']
  is_atari = _is_ale(env)
  py_environment.check_keys(
      attributes, _ALE_KEYS if is_atari else _ATTRIBUTES[type(env)], name)
  # pylint: disable=protected-access
  if is_atari and attributes['game'] != env._game:
    raise ValueError(f'{name}.set_state got a state of the game '
                     f'{attributes["game"]!r}, not {env._game!r}.')

  for layer, layer_state in zip(wrappers, state['wrappers']):
    for path, value in layer_state['attributes'].items():
      _set_path(layer, path, py_environment.plain(value, name))
    if isinstance(layer, common.PassiveEnvChecker):
      layer.checked_step = layer.checked_data_reuse = True
      layer._previous_data = None
  env._np_random = rng_from_state(env_state['np_random'])
  env._np_random_seed = env_state['np_random_seed']
  if is_atari:
    import ale_py  # pylint: disable=g-import-not-at-top
    env.ale.restoreState(ale_py.ALEState(attributes['ale']))
  else:
    for path, value in attributes.items():
      _set_path(env, path, py_environment.plain(value, name))
