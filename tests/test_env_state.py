"""Tests of `get_state`/`set_state`: a restored environment steps exactly as
the one its state came from, across episode ends and auto-resets."""

import copy
import functools

import gymnasium as gym
import numpy as np
import pytest

from graphrl import envs
from graphrl.envs import time_step as ts

_ALLOWED = (type(None), bool, int, float, str, bytes, np.ndarray)


def _check_plain(tree, path='state'):
  if isinstance(tree, dict):
    for key, value in tree.items():
      assert isinstance(key, str), f'{path} has key {key!r}'
      _check_plain(value, f'{path}[{key!r}]')
  elif isinstance(tree, list):
    for index, value in enumerate(tree):
      _check_plain(value, f'{path}[{index}]')
  else:
    assert type(tree) in _ALLOWED, f'{path} is a {type(tree)}'


def _actions(env, count, seed):
  spec = env.action_spec()
  rng = np.random.default_rng(seed)
  shape = ((env.batch_size,) if env.batched else ()) + spec.shape
  if np.issubdtype(spec.dtype, np.integer):
    return [rng.integers(spec.minimum, spec.maximum + 1, shape).astype(
        spec.dtype) for _ in range(count)]
  return [rng.uniform(spec.minimum, spec.maximum, shape).astype(spec.dtype)
          for _ in range(count)]


def _assert_equal_steps(first, second):
  assert type(first) is type(second)
  for field in ts.TimeStep._fields:
    a, b = getattr(first, field), getattr(second, field)
    assert a.dtype == b.dtype and np.array_equal(a, b), field


def _check_resume(make, before=120, after=250):
  """Steps make(1) `before` actions (at least one episode end), restores its
  state into make(7), then steps both alike."""
  env_a, env_b = make(1), make(7)
  try:
    ends = 0
    for action in _actions(env_a, before, seed=0):
      ends += int(np.sum(env_a.step(action).is_last()))
    assert ends >= 1, 'no episode ended before the state was saved'
    state = copy.deepcopy(env_a.get_state())
    _check_plain(state)
    env_b.set_state(state)
    _assert_equal_steps(env_a.current_time_step(), env_b.current_time_step())
    ends = 0
    for action in _actions(env_a, after, seed=1):
      step_a = env_a.step(action)
      _assert_equal_steps(step_a, env_b.step(action))
      ends += int(np.sum(step_a.is_last()))
    assert ends >= 1, 'no episode ended after the state was restored'
  finally:
    env_a.close()
    env_b.close()


@pytest.mark.parametrize('env_id, limit', [
    ('CartPole-v1', None),
    ('Pendulum-v1', 50),
    ('MountainCar-v0', 50),
    ('MountainCarContinuous-v0', 50),
    ('Acrobot-v1', 50),
    ('MaskedCartPole-v1', None),
])
def test_classic_control_resumes_exactly(env_id, limit):
  _check_resume(functools.partial(envs.load, env_id,
                                  max_episode_steps=limit))


def test_make_resumes_exactly():
  _check_resume(functools.partial(envs.make, 'CartPole-v1'))


@pytest.mark.parametrize('env_id, training', [
    ('PongNoFrameskip-v4', True),
    ('PongNoFrameskip-v4', False),
    ('BreakoutNoFrameskip-v4', True),
])
def test_atari_resumes_exactly(env_id, training):
  # A limit of 240 emulator frames ends episodes within 60 agent steps.
  make = functools.partial(envs.make, env_id, training=training,
                           max_episode_steps=240)
  _check_resume(make, before=100, after=200)


@pytest.mark.parametrize('make', [
    functools.partial(envs.load, 'CartPole-v1'),
    functools.partial(envs.load_atari, 'PongNoFrameskip-v4'),
], ids=['CartPole-v1', 'PongNoFrameskip-v4'])
def test_state_before_the_first_reset_keeps_the_pending_seed(make):
  env_a, env_b = make(seed=1), make(seed=7)
  state = env_a.get_state()
  assert state['current_time_step'] is None
  assert state['environment']['seed'] == 1
  assert env_b.get_state()['environment']['seed'] == 7
  env_b.set_state(copy.deepcopy(state))
  assert env_b.get_state()['environment']['seed'] == 1
  for action in _actions(env_a, 60, seed=0):
    _assert_equal_steps(env_a.step(action), env_b.step(action))


def test_atari_game_scores_are_restored():
  env_a = envs.load_atari('PongNoFrameskip-v4', seed=1, max_episode_steps=40)
  env_b = envs.load_atari('PongNoFrameskip-v4', seed=7, max_episode_steps=40)
  for action in _actions(env_a, 30, seed=0):
    env_a.step(action)
  env_b.set_state(copy.deepcopy(env_a.get_state()))
  assert envs.pop_game_scores(env_b) == envs.pop_game_scores(env_a) != []


def test_batched_resumes_exactly():
  _check_resume(lambda seed: envs.BatchedPyEnvironment(
      [envs.load('CartPole-v1', seed=seed + i) for i in range(3)]))


def test_parallel_resumes_exactly_and_survives_a_foreign_state():
  _check_resume(lambda seed: envs.ParallelPyEnvironment([
      functools.partial(envs.load, 'CartPole-v1', seed=seed + i,
                        max_episode_steps=40) for i in range(2)]),
                before=60, after=100)
  env = envs.ParallelPyEnvironment([
      functools.partial(envs.load, 'CartPole-v1', seed=i) for i in range(2)])
  with env:
    env.reset()
    state = env.get_state()
    state['environment'][1] = envs.load('Pendulum-v1', seed=0).get_state()
    with pytest.raises(ValueError, match='PendulumEnv'):
      env.set_state(state)
    env.step(np.zeros([2], np.int64))  # The workers serve on.
    with pytest.raises(ValueError, match='list of 2 member states'):
      env.set_state({'current_time_step': None, 'environment': []})


def test_box2d_is_not_savable():
  env = envs.load('LunarLanderContinuous-v3', seed=0)
  env.reset()
  with pytest.raises(envs.StateNotSavableError,
                     match='LunarLanderContinuous-v3 keeps its state in a '
                     'Box2D world'):
    env.get_state()


def test_unknown_wrapper_is_not_savable():
  env = envs.load('CartPole-v1', seed=0,
                  gym_env_wrappers=[gym.wrappers.RecordEpisodeStatistics])
  with pytest.raises(envs.StateNotSavableError,
                     match='RecordEpisodeStatistics'):
    env.get_state()


class _NoState(envs.PyEnvironment):

  def observation_spec(self):
    return envs.ArraySpec((), np.float32)

  def action_spec(self):
    return envs.ArraySpec((), np.int32)

  def _reset(self):
    return ts.restart(np.float32(0))

  def _step(self, action):
    return ts.transition(np.float32(0), 0.)


def test_base_class_is_not_savable():
  with pytest.raises(envs.StateNotSavableError,
                     match='_NoState does not implement get_state'):
    _NoState().get_state()


def test_foreign_states_raise_value_error():
  cartpole = envs.load('CartPole-v1', seed=0)
  cartpole.reset()
  pendulum = envs.load('Pendulum-v1', seed=0)
  with pytest.raises(ValueError, match='PendulumEnv.*CartPoleEnv'):
    cartpole.set_state(pendulum.get_state())
  pendulum.reset()
  with pytest.raises(ValueError, match=r'observations of shape \(4,\)'):
    cartpole.set_state(pendulum.get_state())
  with pytest.raises(ValueError, match='expects a dict with keys'):
    cartpole.set_state([1, 2])
  state = cartpole.get_state()
  state['current_time_step']['observation'] = np.zeros([3], np.float32)
  with pytest.raises(ValueError, match=r'observations of shape \(4,\)'):
    cartpole.set_state(state)
  pong = envs.load_atari('PongNoFrameskip-v4', seed=0)
  breakout = envs.load_atari('BreakoutNoFrameskip-v4', seed=0)
  breakout.reset()
  breakout_state = breakout.get_state()
  # Pong's FireReset and Breakout's agree in layers; the game tells them apart.
  with pytest.raises(ValueError, match="game 'breakout'"):
    pong.set_state(breakout_state)
