"""The training loop inside the graph: one `Session.run` per K env steps.

`GraphLoop` runs the `tf.while_loop` of `graph_iterations` on an in-graph
batch environment (`graphrl.tf_envs`) in runs of at most `steps_per_run`
env steps, each ending where the next periodic evaluation, checkpoint or
summary is due, so those happen between runs at the steps the Python loops
use. Between runs it keeps the records of `off_policy.OffPolicyLoop`:
`episodes.csv` (an `env` column with N > 1 members), TensorBoard scalars,
the progress line, greedy evaluations on the Python evaluation environment,
crash-safe checkpoints, SIGTERM/SIGINT and the JSON summary.

Timing: an episode's `train_s` is the loop time at the end of the run that
finished it, so it is late by at most one run (`steps_per_run` env steps).
Train scalars are those of the last train step of a run.

Checkpoints hold what the Python loops' do: the environments' state and the
running episode returns are local variables, so a run (fresh or resumed)
starts every environment afresh, and the two loops resume each other's
checkpoints.
"""

import math

import numpy as np

from graphrl.compat import tf
from graphrl.training import graph_iterations
from graphrl.training import off_policy
from graphrl.training.step_callable import StepCallable

# The outputs of a run the loop fetches, in this order.
_FETCHES = graph_iterations.EPISODE_FIELDS + ('train_values', 'train_steps')


class GraphLoop(off_policy.OffPolicyLoop):
  """Trains `agent` on the in-graph `env`; records the run in `logdir`."""

  def __init__(self, agent, env, eval_env, logdir, config, metadata,
               game_scores=None, steps_per_run=1000):
    """Builds the in-graph loop; the agent's graph must be the default graph.

    Args:
      agent: an agent `graph_iterations` builds a loop for: off-policy
        (DQN, DDPG, TD3) with an `off_policy.LoopConfig`, on-policy
        (REINFORCE, A2C with the mlp torso) with an `on_policy.LoopConfig`.
      env: a `graphrl.tf_envs.TFEnvironment` of `agent.config.num_envs`
        members.
      eval_env: a batched `PyEnvironment` of `config.eval_episodes` members.
      logdir: directory of the run's records and checkpoints.
      config: the agent's loop config, as above.
      metadata, game_scores: as for `OffPolicyLoop`.
      steps_per_run: env steps of one `Session.run` at most.

    Raises:
      ValueError: `env` does not have num_envs members, steps_per_run is
        not positive, or the agent has a recurrent torso.
    """
    if env.batch_size != agent.config.num_envs:
      raise ValueError('the agent steps num_envs=%d environments; got a batch '
                       'of %d' % (agent.config.num_envs, env.batch_size))
    if steps_per_run < 1:
      raise ValueError('steps_per_run must be positive, got %r'
                       % (steps_per_run,))
    self._steps_per_run = steps_per_run
    if isinstance(config, off_policy.LoopConfig):
      self._ops = graph_iterations.off_policy(
          agent, env, config.learning_starts, config.train_every)
    else:
      self._ops = graph_iterations.on_policy(agent, env)
    super().__init__(agent, env, eval_env, logdir, config, metadata,
                     game_scores)
    self._scalar_names = self._ops.scalar_names

  def _loop(self, sess, steps, episodes, log, evals, writer, stop):
    ops, members = self._ops, self._env.batch_size
    meter = self._start(steps)
    sess.run(tf.local_variables_initializer())
    sess.run(ops.start)
    run = StepCallable(sess, [ops.outputs[name] for name in _FETCHES],
                       [ops.iterations])
    trained = sess.run(self._agent.train_steps)
    while self._running(steps, stop):
      # A summary already due waits for a train step (written after the run
      # that takes one) without shortening runs to one iteration each.
      end = min([self._config.num_steps, steps + self._steps_per_run] +
                [at for name, at in self._due_at.items()
                 if name != 'summary' or at > steps])
      iterations = max(1, math.ceil((end - steps) / members))
      results = dict(zip(_FETCHES, run(iterations)))
      # Row-major: the episodes in the order they ended.
      for row, member in zip(*np.nonzero(results['ended'])):
        episodes += 1
        extras = {'env': int(member)} if members > 1 else {}
        self._log_episode(log, writer, meter, int(results['steps'][row]),
                          episodes, float(results['returns'][row, member]),
                          int(results['lengths'][row, member]), **extras)
      steps = int(results['steps'][-1])
      if results['train_steps'] != trained:
        trained = results['train_steps']
        values = results['train_values']
        self._check_loss(float(values[0]), steps)
        if self._due('summary', steps):
          self._write_train_scalars(writer, values, steps)
      self._periodic(sess, steps, episodes, writer, evals)
      meter.update(steps)
    return self._finish(sess, steps, episodes, stop, writer, evals, meter)
