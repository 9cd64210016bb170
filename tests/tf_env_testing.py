"""Helpers of the tests of in-graph environments (`StateEnvironment`s).

`record` steps N gymnasium environments with a policy and keeps what
happened; `replay` builds the ops that step an in-graph environment with the
same actions from the same start states, in one `tf.while_loop`, so the two
can be compared step by step. `assert_deterministic` checks that resets
draw from the graph-level seed; `reset_draw` and `assert_fills_box` check
what they draw.
"""

import gymnasium
import numpy as np

from graphrl.compat import session_config
from graphrl.compat import tf


def record(env_id, policy, num_steps, num_members, seed,
           max_episode_steps=None):
  """Steps one gymnasium `env_id` per member, resetting when episodes end.

  Args:
    env_id: a gymnasium id.
    policy: f(rng, observation) -> the member's action.
    num_steps: T, the steps of each member.
    num_members: N.
    seed: seeds the policy's numpy generator and member i's first reset
      with seed + i.
    max_episode_steps: overrides the registered time limit.

  Returns:
    A dict of numpy arrays with leading dimensions [T, N]: `action`;
    `start` (bool: the member was reset before step t) and `start_state`
    (its unwrapped state after that reset); the step's `observ`, `reward`,
    `terminated`, `truncated` and the unwrapped `state` after it.
  """
  rng = np.random.default_rng(seed)
  envs = [gymnasium.make(env_id, max_episode_steps=max_episode_steps)
          for _ in range(num_members)]
  observs = [env.reset(seed=seed + i)[0] for i, env in enumerate(envs)]
  steps = [[None] * num_members for _ in range(num_steps)]
  starts = np.zeros((num_steps, num_members), bool)
  starts[0] = True
  for t in range(num_steps):
    for i, env in enumerate(envs):
      if t and (steps[t - 1][i]['terminated'] or steps[t - 1][i]['truncated']):
        observs[i], _ = env.reset()
        starts[t, i] = True
      start_state = np.array(env.unwrapped.state, np.float64)
      action = policy(rng, observs[i])
      observs[i], reward, terminated, truncated, _ = env.step(action)
      steps[t][i] = dict(action=action, start_state=start_state,
                         observ=observs[i], reward=reward,
                         terminated=terminated, truncated=truncated,
                         state=np.array(env.unwrapped.state, np.float64))
  run = {name: np.array([[step[name] for step in row] for row in steps])
         for name in steps[0][0]}
  run['start'] = starts
  run['observ'] = run['observ'].astype(np.float32)
  return run


def replay(env, run):
  """Replays `run`'s actions on `env` in one `tf.while_loop`.

  Where `run` starts an episode, the member is reset through `env.reset`
  (zeroing its step count) and then given gymnasium's start state.

  Returns:
    Tensors [T, N, ...]: the observ, reward, terminated and truncated of
    each step and the float64 state after it.
  """
  num_steps = len(run['action'])
  actions = tf.constant(run['action'].astype(env.action_spec().dtype))
  starts = tf.constant(run['start'])
  start_states = tf.constant(run['start_state'])

  def body(t, *arrays):
    mask = starts[t]
    with tf.control_dependencies([env.reset(mask)]):
      rows = tf.where(mask)[:, 0]
      start = tf.scatter_update(env.state, rows,
                                tf.gather(start_states[t], rows))
    with tf.control_dependencies([start]):
      result = env.step(actions[t])
    with tf.control_dependencies(list(result)):
      state = env.state.read_value()
    return (t + 1,) + tuple(
        array.write(t, value)
        for array, value in zip(arrays, tuple(result) + (state,)))

  arrays = tuple(tf.TensorArray(dtype, num_steps) for dtype in (
      tf.float32, tf.float32, tf.bool, tf.bool, tf.float64))
  outputs = tf.while_loop(lambda t, *_: t < num_steps, body, (0,) + arrays,
                          parallel_iterations=1)
  return [array.stack() for array in outputs[1:]]


def reset_draw(make_env, seed=0):
  """Observations [N, ...] and states [N, S] of a reset of `make_env()`."""
  with tf.Graph().as_default():
    tf.set_random_seed(seed)
    env = make_env()
    observ = env.reset()
    with tf.Session(config=session_config()) as sess:
      sess.run(tf.global_variables_initializer())
      return sess.run(observ), sess.run(env.state)


def assert_fills_box(states, low, high):
  """States [N, S] lie in [low, high] and come within 1% of its width of
  both ends in every coordinate: N uniform draws miss an end by that much
  with probability 0.99^N (4e-5 for N = 1000)."""
  low, high = np.asarray(low, np.float64), np.asarray(high, np.float64)
  gap = 0.01 * (high - low)
  assert np.all((states >= low) & (states <= high))
  assert np.all(states.min(0) <= low + gap), states.min(0)
  assert np.all(states.max(0) >= high - gap), states.max(0)


def _seeded_states(make_env, seed):
  """The initial (zero) state and two resets' states in a graph with
  `seed`."""
  with tf.Graph().as_default():
    tf.set_random_seed(seed)
    env = make_env()
    reset = env.reset()
    with tf.Session(config=session_config()) as sess:
      sess.run(tf.global_variables_initializer())
      states = [sess.run(env.state)]
      for _ in range(2):
        sess.run(reset)
        states.append(sess.run(env.state))
      return states


def assert_deterministic(make_env):
  """The states of `make_env()` depend on the graph seed alone.

  Returns:
    The initial and two reset states [N, S] drawn under seed 3.
  """
  first, second = _seeded_states(make_env, 3), _seeded_states(make_env, 3)
  for a, b in zip(first, second):
    np.testing.assert_array_equal(a, b)
  assert not np.array_equal(first[1], first[2])
  assert not np.array_equal(first[1], _seeded_states(make_env, 4)[1])
  return first
