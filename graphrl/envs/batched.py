"""`BatchedPyEnvironment`: N in-process environments stepped as one batch."""

import numpy as np

from graphrl.envs import py_environment
from graphrl.envs import time_step as ts


def check_members(envs, owner):
  """The list of `envs`, checked to be members of one batch of `owner`.

  Raises:
    ValueError: if `envs` is empty, holds a batched environment, or the
      `(observation_spec, action_spec)` pairs differ.
  """
  envs = list(envs)
  if not envs:
    raise ValueError(f'{owner} needs at least one environment.')
  if any(env.batched for env in envs):
    raise ValueError(f'{owner} takes unbatched environments.')
  check_same_specs([(env.observation_spec(), env.action_spec())
                    for env in envs])
  return envs


def check_same_specs(env_specs):
  """Raises ValueError unless all `(observation_spec, action_spec)` agree."""
  for index, pair in enumerate(env_specs):
    if pair != env_specs[0]:
      raise ValueError(f'Environment {index} has specs {pair}, environment 0 '
                       f'has {env_specs[0]}: a batch needs equal specs.')


def check_member_states(state, batch_size, owner):
  """Raises ValueError unless `state` is a list of `batch_size` states."""
  if not isinstance(state, list) or len(state) != batch_size:
    found = len(state) if isinstance(state, list) else type(state).__name__
    raise ValueError(f'{owner}.set_state expects a list of {batch_size} '
                     f'member states, got {found}.')


class BatchedPyEnvironment(py_environment.PyEnvironment):
  """Steps `N` environments together, one after another, in this process.

  `step(actions)` takes actions `[N, ...]` and returns a `TimeStep` whose
  fields have a leading dim `N`; member `i` gets `actions[i]` and
  auto-resets on its own after its LAST step.
  """

  def __init__(self, envs):
    """Batches `envs`, unbatched `PyEnvironment`s with equal specs.

    Raises:
      ValueError: if `envs` is empty, holds a batched environment, or the
        specs differ.
    """
    self._envs = check_members(envs, 'BatchedPyEnvironment')

  @property
  def envs(self):
    return list(self._envs)

  def observation_spec(self):
    return self._envs[0].observation_spec()

  def action_spec(self):
    return self._envs[0].action_spec()

  @property
  def batched(self):
    return True

  @property
  def batch_size(self):
    return len(self._envs)

  def seed(self, seed):
    """Seeds member `i` with `seed + i`."""
    for index, env in enumerate(self._envs):
      env.seed(seed + index)

  def _get_state(self):
    """The list of the members' `get_state()`s."""
    return [env.get_state() for env in self._envs]

  def _set_state(self, state):
    check_member_states(state, self.batch_size, type(self).__name__)
    for env, member_state in zip(self._envs, state):
      env.set_state(member_state)

  def _reset(self):
    return ts.stack([env.reset() for env in self._envs])

  def _step(self, action):
    return ts.stack([env.step(a) for env, a in zip(self._envs, action)])

  def render(self):
    """The frames of all members, `[N, H, W, 3]`."""
    return np.stack([env.render() for env in self._envs])

  def close(self):
    for env in self._envs:
      env.close()
