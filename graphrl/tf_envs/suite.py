"""`load`: the in-graph batch environment for a gymnasium id.

Environments with dynamics in graph ops (`NATIVE`: CartPole v0 and v1,
Pendulum) run without Python; every other id is stepped through
`tf.numpy_function` (`PyFuncEnvironment`). The lectures' retired ids map as
in `graphrl.envs.load`.
"""

from graphrl.envs import gym_suite
from graphrl.tf_envs import cartpole
from graphrl.tf_envs import pendulum
from graphrl.tf_envs import py_func

# Today's gymnasium id -> (class, registered time limit).
NATIVE = {
    'CartPole-v0': (cartpole.CartPole, 200),
    'CartPole-v1': (cartpole.CartPole, 500),
    'Pendulum-v1': (pendulum.Pendulum, 200),
}


def is_native(env_id):
  """Whether `env_id` (any id `load` takes) has graph-op dynamics."""
  return gym_suite.resolve_id(env_id) in NATIVE


def load(env_id, num_envs, seed, max_episode_steps=None,
         load_py_env=gym_suite.load):
  """Makes N = `num_envs` members of `env_id` as a `TFEnvironment`.

  Args:
    env_id: a gymnasium id or one of the lectures' retired ids.
    num_envs: N, the batch size.
    seed: seeds member i of a `PyFuncEnvironment` with seed + i; native
      environments draw from the graph-level seed (`tf.set_random_seed`).
    max_episode_steps: overrides the registered time limit.
    load_py_env: f(env_id, seed=, max_episode_steps=) -> a `PyEnvironment`,
      the members of a `PyFuncEnvironment` (e.g. `graphrl.envs.make`).

  Returns:
    A `graphrl.tf_envs.TFEnvironment`; call it in the graph it is used in.

  Raises:
    graphrl.envs.UnknownEnvironmentError: if `env_id` is not known.
  """
  env_id = gym_suite.resolve_id(env_id)
  if env_id in NATIVE:
    env_class, limit = NATIVE[env_id]
    return env_class(num_envs, max_episode_steps or limit)
  return py_func.PyFuncEnvironment([
      load_py_env(env_id, seed=seed + i, max_episode_steps=max_episode_steps)
      for i in range(num_envs)])
