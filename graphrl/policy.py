"""The greedy policy of a trained run, to act with: `load_policy(logdir)`.

  policy = graphrl.load_policy('runs/dqn_CartPole-v1/seed_0')
  action = policy.action(observation)       # one observation [*obs_shape]
  actions = policy.actions(observations)    # a batch [B, *obs_shape]

`load_policy` rebuilds the run's agent from its `graphrl.json` in a graph
and session of its own and restores the policy weights of a checkpoint
(`graphrl.training.saved_runs`); a weights-only logdir written by
`scripts/export_policy.py` is enough. Importing graphrl switches TensorFlow
to its TF1 graph behaviour (`graphrl.compat`) for the whole process.

A recurrent policy (A2C with `--torso=gru`) carries its GRU state from one
call to the next: each call is the next step of the same episodes, of one
observation (`action`) or of B (`actions`). Call `reset()` at the start of
every episode (or batch of episodes) to zero it; for the other agents
`reset()` does nothing, so it can always be called.
"""

import numpy as np

from graphrl.compat import session_config
from graphrl.compat import tf
from graphrl.training import checkpoints
from graphrl.training import saved_runs

SIGNATURE = 'action'


class Policy:
  """A greedy policy restored from a checkpoint of a training run.

  Attributes:
    metadata: the run's `graphrl.json`, as a dict.
    step: the training step of the restored checkpoint.
    observation_spec, action_spec: the specs of one observation and action.
    recurrent: whether the policy carries state between calls.
  """

  def __init__(self, logdir, checkpoint='latest'):
    """Rebuilds the run's agent in a new graph and restores `checkpoint`.

    Args:
      logdir: a training run's logdir, or one written by
        `scripts/export_policy.py`.
      checkpoint: 'latest', 'best' (that of the best greedy evaluation) or
        the step (an int) of a kept checkpoint.

    Raises:
      graphrl.training.UserError: no such logdir or run, a bad `checkpoint`
        or no such checkpoint, or one that does not fit the run's agent;
        its message is one line.
    """
    self.metadata = saved_runs.read_metadata(logdir)
    env = saved_runs.load_env(self.metadata, seed=0)
    self.observation_spec, self.action_spec = (env.observation_spec(),
                                               env.action_spec())
    self._graph = tf.Graph()
    try:
      with self._graph.as_default():
        self._agent = saved_runs.build_agent(self.metadata, env)
        self._saver = tf.train.Saver(self._agent.policy_variables)
    finally:
      env.close()
    self.recurrent = self._agent.acts_with_state
    self._session = tf.Session(graph=self._graph, config=session_config())
    try:
      self.step = saved_runs.restore_policy(self._session, logdir,
                                            self.metadata, self._saver,
                                            checkpoint)
    except BaseException:
      self._session.close()
      raise
    self._batch_size = None  # Of the carried state of a recurrent policy.
    self.reset()

  def reset(self):
    """Zeroes a recurrent policy's state: the next call starts episodes."""
    if self.recurrent:
      self._session.run(self._agent.eval_reset)
      self._batch_size = None

  def actions(self, observations):
    """Greedy actions of a batch of B observations.

    Args:
      observations: array [B, *observation_spec.shape].

    Returns:
      int64 [B] discrete actions, or float32 [B, U] continuous ones (DDPG).

    Raises:
      ValueError: observations of another shape, or a recurrent policy
        that carries the state of another batch size (call `reset()`).
    """
    observations = np.asarray(observations)
    shape = tuple(self.observation_spec.shape)
    if observations.shape[1:] != shape or observations.ndim != len(shape) + 1:
      raise ValueError('actions takes a batch of observations [B, %s], got '
                       'shape %s' % (', '.join(map(str, shape)),
                                     list(observations.shape)))
    if self.recurrent:
      if self._batch_size not in (None, len(observations)):
        raise ValueError(
            'the policy carries the state of %d episodes, not %d; call '
            'reset() to start new ones' % (self._batch_size,
                                           len(observations)))
      self._batch_size = len(observations)
    return self._session.run(self._agent.greedy_action,
                             {self._agent.observ: observations})

  def action(self, observation):
    """The greedy action of one observation [*observation_spec.shape].

    Returns an int64 scalar, or float32 [U] for a continuous action (DDPG).
    """
    observation = np.asarray(observation)
    if observation.shape != tuple(self.observation_spec.shape):
      raise ValueError('action takes one observation of shape %s, got %s' % (
          list(self.observation_spec.shape), list(observation.shape)))
    return self.actions(observation[None])[0]

  def export_checkpoint(self, logdir):
    """Writes the run's `graphrl.json` and the policy weights to `logdir`.

    The weights are the checkpoint of `self.step`, which `load_policy` and
    `graphrl.evaluate` read.

    Returns:
      The Saver prefix of the checkpoint.
    """
    export = checkpoints.CheckpointManager(logdir, self._saver, self.metadata,
                                           keep=1)
    return export.save(self._session, self.step)

  def export_saved_model(self, path):
    """Writes the policy as a TensorFlow SavedModel to the new dir `path`.

    Its signature 'action' maps `observation` [B, *obs_shape] (the
    observation spec's dtype) to `action` (int64 [B], or float32 [B, U]),
    greedily, with the weights as constants: plain TensorFlow 2 runs it,

      tf.saved_model.load(path).signatures['action'](
          observation=tf.constant(observations))['action']

    Raises:
      ValueError: the policy is recurrent; its state is no input of the
        signature.
    """
    if self.recurrent:
      raise ValueError('a recurrent policy (--torso=gru) has no SavedModel '
                       'signature; act with graphrl.load_policy')
    observ, action = self._agent.observ, self._agent.greedy_action
    frozen = tf.graph_util.convert_variables_to_constants(
        self._session, self._graph.as_graph_def(), [action.op.name])
    with tf.Graph().as_default() as graph:
      observ, action = tf.import_graph_def(
          frozen, return_elements=[observ.name, action.name], name='')
      with tf.Session(graph=graph) as sess:
        builder = tf.saved_model.Builder(path)
        builder.add_meta_graph_and_variables(
            sess, [tf.saved_model.SERVING], signature_def_map={
                SIGNATURE: tf.saved_model.predict_signature_def(
                    {'observation': observ}, {'action': action})})
        builder.save()

  def close(self):
    """Releases the session."""
    self._session.close()

  def __enter__(self):
    return self

  def __exit__(self, *unused_exc_info):
    self.close()


def load_policy(logdir, checkpoint='latest'):
  """The greedy `Policy` of a checkpoint of the run in `logdir`.

  Args:
    logdir: a training run's logdir, or one `scripts/export_policy.py` wrote.
    checkpoint: 'latest', 'best' (the best greedy evaluation) or a step.

  Raises:
    graphrl.training.UserError: see `Policy`.
  """
  return Policy(logdir, checkpoint)
