"""K iterations of act, step, store and train as one `tf.while_loop`.

The body of the Python loops (`off_policy`, `on_policy`) moved into the
graph: one `Session.run` of `IterationOps.outputs` runs `iterations`
iterations on an in-graph batch environment (`graphrl.tf_envs`) of N
members. Each iteration, for s the members' observations:

  off-policy:        a = explore(s); (s', r, term, trunc) = env.step(a);
  (DQN, DDPG, TD3)   store (s, a, r, s', 1 - term); train once for every
                     multiple of `train_every` env steps passed, from
                     `learning_starts` on; restart the exploration state
                     of the members that ended (DDPG's OU noise), if the
                     agent has one.
  on-policy:         a, V(s) = explore(s, step types); env.step(a); store
                     (s, a, r, 1 - term, step types of s and s', V(s')),
                     with s' LAST where the episode ended; train when the
                     buffer is due: A2C after `rollout_length` stores,
                     REINFORCE once every member has finished an episode
                     since the last update, which then restarts every
                     member (unfinished episodes are dropped, as in the
                     Python loop).
  both:              reset the members that ended (or all, as above).

Ops that share state run in the order of the Python loops: act -> env step
-> store -> train -> reset (environments and exploration), and iteration
k + 1 starts after iteration k (its loop variable waits for all of them),
so a seeded run is reproducible.

Finished episodes leave the loop as rows (`EPISODE_FIELDS`): the env steps
counted after each iteration [K], and [K, N] the return and length an
episode reached in the iteration it ended and whether it ended there. The
running returns, lengths and step types are place variables
(`graphrl.resumable`), which checkpoints hold with the state of an in-graph
environment: a resumed run goes on with its episodes. `start` restarts every
member, for a run that starts its environments afresh.
"""

import collections

from graphrl import resumable
from graphrl.compat import tf
from graphrl.envs import time_step as ts

EPISODE_FIELDS = ('steps', 'returns', 'lengths', 'ended')

# outputs: dict of the EPISODE_FIELDS rows and 'train_values' float32
#   [1 + S], the loss and the S scalars (in the order of their sorted
#   names) of the last train step (NaN before the first), and
#   'train_steps' int64 [].
# iterations: int32 placeholder [], the K of one run.
# start: op restarting every member (its exploration too) and the running
#   returns and lengths.
IterationOps = collections.namedtuple(
    'IterationOps', ['outputs', 'iterations', 'start'])

# What one iteration returns to `_build`: the train values after it, the
# env's `StepResult`, the members whose episode ended (bool [N]) and those
# to reset ([N], a superset).
_Iteration = collections.namedtuple(
    'Iteration', ['train_values', 'result', 'ended', 'restart'])


def off_policy(agent, env, learning_starts, train_every):
  """Builds the in-graph loop of an off-policy agent on `env`.

  Args:
    agent: a `graphrl.agents.agent.OffPolicyAgent` (DQN, DDPG, TD3).
    env: a `graphrl.tf_envs.TFEnvironment` of N members.
    learning_starts: env steps before the first train step.
    train_every: env steps per train step.

  Returns:
    An `IterationOps`.
  """
  stateless = not agent.explores_with_state

  def iteration(train, last_values):
    with tf.name_scope('act'):
      observ = env.observ()
      action = agent.explore(observ)
    with tf.name_scope('env_step'):
      result = env.step(action)
    with tf.name_scope('store'):
      discount = 1.0 - tf.cast(result.terminated, tf.float32)
      store = agent.store_batch(
          (observ, action, result.reward, result.observ, discount))
    with tf.control_dependencies([store]):
      after = agent.env_steps.read_value()
    before = after - env.batch_size  # explore counted the N steps.
    # The multiples m of train_every in (before, after] with m >=
    # learning_starts.
    trains = tf.maximum(after // train_every - tf.maximum(
        before, learning_starts - 1) // train_every, 0)
    if env.batch_size <= train_every:  # At most one train step is due.
      values = tf.cond(trains > 0, train, lambda: last_values)
    else:
      values = tf.while_loop(
          lambda count, _: count < trains,
          lambda count, _: (count + 1, train()),
          [tf.constant(0, tf.int64), last_values],
          parallel_iterations=1)[1]
    ended = tf.logical_or(result.terminated, result.truncated)
    if stateless:
      return _Iteration(values, result, ended, ended)
    with tf.control_dependencies([values]):
      restarted = agent.start_episodes(ended)
    with tf.control_dependencies([restarted]):
      return _Iteration(tf.identity(values), result, ended, ended)

  return _build(agent, env, iteration,
                start=[] if stateless else [agent.start_episodes()])


def runs(config):
  """Whether the in-graph loop runs an agent of `config` (no recurrent torso,
  whose state the Python loop carries)."""
  return getattr(config, 'torso', 'mlp') == 'mlp'


def on_policy(agent, env):
  """Builds the in-graph loop of REINFORCE or A2C (MLP torso) on `env`.

  Args:
    agent: a `graphrl.agents.agent.OnPolicyAgent` (REINFORCE, A2C) of
      torso 'mlp'.
    env: a `graphrl.tf_envs.TFEnvironment` of agent.config.num_envs members.

  Returns:
    An `IterationOps`.

  Raises:
    ValueError: for a recurrent torso.
  """
  if not runs(agent.config):
    raise ValueError('the in-graph loop runs the mlp torso; use the Python '
                     'loop for torso %r' % agent.config.torso)
  n = env.batch_size
  first, mid, last = (tf.fill([n], int(kind)) for kind in (
      ts.StepType.FIRST, ts.StepType.MID, ts.StepType.LAST))
  with tf.variable_scope('graph_loop'):
    step_type = resumable.variable(first, 'step_type')
    finished = resumable.variable(tf.zeros([n], tf.bool), 'finished')

  def iteration(train, last_values):
    with tf.name_scope('act'):
      observ, types = env.observ(), step_type.read_value()
      action = agent.explore(observ, types)
    with tf.name_scope('env_step'):
      result = env.step(action)
    with tf.name_scope('store'):
      ended = tf.logical_or(result.terminated, result.truncated)
      next_types = tf.where(ended, last, mid)
      store = agent.store_batch([
          observ, action, result.reward,
          1.0 - tf.cast(result.terminated, tf.float32), types, next_types,
          agent.value(result.observ)])
    with tf.control_dependencies([store]):
      if agent.episodic:
        done = tf.logical_or(finished.read_value(), ended)
        due = tf.reduce_all(done)
      else:
        due = agent.rollout_full()
    values = tf.cond(due, train, lambda: last_values)
    restart = tf.logical_or(ended, due) if agent.episodic else ended
    with tf.control_dependencies([values]):
      updates = [step_type.assign(tf.where(restart, first, mid))]
      if agent.episodic:
        updates.append(finished.assign(tf.logical_and(done,
                                                      tf.logical_not(due))))
    with tf.control_dependencies(updates):
      return _Iteration(tf.identity(values), result, ended, restart)

  start = [step_type.assign(first), finished.assign(tf.zeros([n], tf.bool)),
           agent.clear]
  return _build(agent, env, iteration, start)


def _build(agent, env, iteration, start):
  """The while loop of `iteration(train, last_values)` steps.

  Args:
    agent: a `graphrl.agents.agent.Agent`.
    env: the `TFEnvironment`.
    iteration: builds one iteration's ops; `train()` builds a train step
      and returns its values [1 + S], `last_values` the values before.
    start: ops that restart the iterations' own state.

  Returns:
    An `IterationOps`.
  """
  names = sorted(agent.scalars)
  with tf.variable_scope('graph_loop'):
    episodes = _EpisodeAccounting(env.batch_size)
    last_train = resumable.variable(
        tf.fill([1 + len(names)], float('nan')), 'train_values')
    iterations = tf.placeholder(tf.int32, [], 'iterations')

    def train():
      with tf.name_scope('train'):
        step = agent.train_step()
        with tf.control_dependencies([step.op]):
          return tf.stack([step.loss] + [step.scalars[name]
                                         for name in names])

    def body(index, *arrays):
      step = iteration(train, last_train.read_value())
      record = last_train.assign(step.train_values)
      with tf.control_dependencies([record]):
        with tf.name_scope('episodes'):
          rows = episodes.step(step.result.reward, step.ended, step.restart)
        with tf.name_scope('env_reset'):
          reset = env.reset(step.restart)
      with tf.control_dependencies([reset]):
        # A copy: a read of a ref variable (the agents' counters) shares its
        # buffer, which the next iterations' steps add to.
        steps = tf.raw_ops.Snapshot(input=agent.env_steps.read_value())
        arrays = [array.write(index, row) for array, row in
                  zip(arrays, (steps,) + rows)]
        return [index + 1] + arrays

    arrays = [tf.TensorArray(dtype, size=iterations)
              for dtype in (tf.int64, tf.float32, tf.int64, tf.bool)]
    results = tf.while_loop(
        lambda index, *_: index < iterations, body,
        [tf.constant(0)] + arrays, parallel_iterations=1, back_prop=False)
    outputs = {field: array.stack()
               for field, array in zip(EPISODE_FIELDS, results[1:])}
    with tf.control_dependencies(list(outputs.values())):
      outputs['train_values'] = last_train.read_value()
      outputs['train_steps'] = agent.train_steps.read_value()
    restart = tf.group(env.reset(), episodes.clear(), *start)
  return IterationOps(outputs, iterations, restart)


class _EpisodeAccounting:
  """Running returns and lengths [N] of the members' current episodes."""

  def __init__(self, batch_size):
    self._returns = resumable.variable(tf.zeros([batch_size]), 'returns')
    self._lengths = resumable.variable(tf.zeros([batch_size], tf.int64),
                                        'lengths')

  def step(self, reward, ended, restart):
    """Adds one step; returns the rows (returns, lengths, ended) [N].

    The rows hold the totals after this step; the members of `restart`
    (bool [N], those that ended and any others restarted) start from zero.
    """
    returns = self._returns.read_value() + reward
    lengths = self._lengths.read_value() + 1
    update = tf.group(
        self._returns.assign(tf.where(restart, tf.zeros_like(returns),
                                      returns)),
        self._lengths.assign(tf.where(restart, tf.zeros_like(lengths),
                                      lengths)))
    with tf.control_dependencies([update]):
      return tf.identity(returns), tf.identity(lengths), tf.identity(ended)

  def clear(self):
    return tf.group(self._returns.assign(tf.zeros_like(self._returns)),
                    self._lengths.assign(tf.zeros_like(self._lengths)))

