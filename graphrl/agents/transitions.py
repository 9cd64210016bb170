"""The pieces every off-policy agent's graph starts with.

The checks of the replay settings their configs share, step counters
(checkpointed, so a resumed run continues its schedules), the exploring
action that counts the steps it takes, the Python loop's store and train
ops, ops run every k-th train step (DQN's target copies, TD3's actor and
target steps), and the placeholders of one stored transition (s, a, r,
s', discount), with discount = 0 at a termination and 1 otherwise, a
time-limit truncation included.
"""

from graphrl.compat import tf


def counters():
  """Non-trainable int64 variables (env_steps, train_steps), both 0."""
  return tuple(tf.Variable(0, dtype=tf.int64, trainable=False, name=name)
               for name in ('env_steps', 'train_steps'))


def placeholders(observation_spec, action_dtype, action_shape):
  """Placeholders of one transition: s, a, r [], s', discount [].

  Args:
    observation_spec: `ArraySpec` of s and s'.
    action_dtype: `tf.DType` of a.
    action_shape: shape of a ([] for a discrete action).

  Returns:
    The tuple (observ, action, reward, next_observ, discount).
  """
  shape = list(observation_spec.shape)
  dtype = tf.as_dtype(observation_spec.dtype)
  return (tf.placeholder(dtype, shape, 'store_observ'),
          tf.placeholder(action_dtype, list(action_shape), 'store_action'),
          tf.placeholder(tf.float32, [], 'store_reward'),
          tf.placeholder(dtype, shape, 'store_next_observ'),
          tf.placeholder(tf.float32, [], 'store_discount'))


def counting(action, env_steps):
  """`action` [B, ...], after adding its batch size B to `env_steps`.

  The count runs after the action is computed, so a schedule of env_steps
  (epsilon, beta) that the action read saw the count before this step.
  """
  batch = tf.cast(tf.shape(action)[0], tf.int64)
  with tf.control_dependencies([action]):
    count = env_steps.assign_add(batch)
  with tf.control_dependencies([count]):
    return tf.identity(action)


def store_and_train(agent, num_envs):
  """The Python loop's store of one fed transition and train step after it.

  With one environment the store appends the transition fed through
  `agent.transition` (after `agent.explore_action`, so one run acts and
  stores) and the train step samples after the store; with more, the
  in-graph loop stores batches and the store is None.

  Args:
    agent: has `explore_action`, `transition`, `store_batch` and
      `train_step` (DQN, DDPG).
    num_envs: the agent's environments.

  Returns:
    (store, (train_op, loss, scalars)) of `agent.train_step`.
  """
  store, after = None, []
  if num_envs == 1:
    with tf.control_dependencies([agent.explore_action]):
      store = agent.store_batch([item[None] for item in agent.transition])
    after = [store]
  return store, agent.train_step(after=after)


def every(period, step, make_op):
  """The op `make_op()`, run only where `step` % `period` == 0.

  Args:
    period: a positive int; for 1 the op runs every time (no `tf.cond`).
    step: int64 scalar tensor, e.g. the train-step count.
    make_op: () -> the op, built inside the `tf.cond` branch.
  """
  if period == 1:
    return make_op()
  return tf.cond(tf.equal(step % period, 0), make_op, tf.no_op)


def replay_checks(config):
  """(ok, message) checks of a config's gamma, batch_size, replay_capacity.

  gamma in [0, 1], a positive batch, a capacity of at least one batch.
  """
  return [
      (0 <= config.gamma <= 1,
       'gamma must lie in [0, 1], got %r' % config.gamma),
      (config.batch_size >= 1,
       'batch_size must be positive, got %r' % config.batch_size),
      (config.replay_capacity >= config.batch_size,
       'replay_capacity (%d) must be at least batch_size (%d)' % (
           config.replay_capacity, config.batch_size)),
  ]
