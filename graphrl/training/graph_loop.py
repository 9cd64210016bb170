"""The training loop inside the graph: one `Session.run` per K env steps.

`GraphLoop` runs the `tf.while_loop` of `graph_iterations` on an in-graph
batch environment (`graphrl.tf_envs`) in runs of at most `steps_per_run`
env steps, each ending where the run's next periodic evaluation,
checkpoint or summary is due, so those happen between runs at the steps the
Python loops use. The run's records, evaluations (on the Python evaluation
environment) and checkpoints are the `graphrl.training.run.Run`'s, with an
`env` column in `episodes.csv` for N > 1 members.

Timing: an episode's `train_s` is the loop time at the end of the run that
finished it, so it is late by at most one run (`steps_per_run` env steps).
Train scalars are those of the last train step of a run.

The loop's place in a checkpoint is in variables (`graphrl.resumable`):
the state of graph-op environments (`TFEnvironment.state_in_variables`),
the running episodes and the random draw counters, so a resumed run goes
on where it was saved. A run on environments stepped in Python
(`PyFuncEnvironment`) starts them afresh, as does a run resuming a
checkpoint of the Python loops: the loops resume each other's checkpoints,
weights, optimizer and replay.
"""

import math

import numpy as np

from graphrl.agents import agent as agent_lib
from graphrl.compat import tf
from graphrl.training import graph_iterations
from graphrl.training.step_callable import StepCallable

# The outputs of a run the loop fetches, in this order.
_FETCHES = graph_iterations.EPISODE_FIELDS + ('train_values', 'train_steps')


class GraphLoop:
  """Steps an agent in a `tf.while_loop` on an in-graph environment."""

  def __init__(self, agent, env, config, steps_per_run=1000):
    """Builds the in-graph loop; the agent's graph must be the default graph.

    Args:
      agent: an `OffPolicyAgent` (DQN, DDPG, TD3) with an
        `off_policy.LoopConfig`, or an `OnPolicyAgent` (REINFORCE, A2C with
        the mlp torso) with an `on_policy.LoopConfig`.
      env: a `graphrl.tf_envs.TFEnvironment` of `agent.config.num_envs`
        members.
      config: the agent's loop config, as above.
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
    self._agent, self._env = agent, env
    self._steps_per_run = steps_per_run
    if isinstance(agent, agent_lib.OffPolicyAgent):
      self._ops = graph_iterations.off_policy(
          agent, env, config.learning_starts, config.train_every)
    else:
      self._ops = graph_iterations.on_policy(agent, env)

  def place(self):
    """Where the loop is, beyond its variables: nothing ({}), or None when
    its environments keep state outside them."""
    return {} if self._env.state_in_variables else None

  def iterate(self, run):
    """Runs K env steps per `Session.run` while `run.running()`."""
    ops, members, sess = self._ops, self._env.batch_size, run.sess
    steps = run.steps
    sess.run(tf.local_variables_initializer())
    if run.place is None:
      sess.run(ops.start)
    run_iterations = StepCallable(
        sess, [ops.outputs[name] for name in _FETCHES], [ops.iterations])
    trained = sess.run(self._agent.train_steps)
    while run.running():
      end = min(run.config.num_steps, steps + self._steps_per_run,
                run.next_due())
      iterations = max(1, math.ceil((end - steps) / members))
      results = dict(zip(_FETCHES, run_iterations(iterations)))
      # Row-major: the episodes in the order they ended.
      for row, member in zip(*np.nonzero(results['ended'])):
        extras = {'env': int(member)} if members > 1 else {}
        run.end_episode(int(results['steps'][row]),
                        float(results['returns'][row, member]),
                        int(results['lengths'][row, member]), **extras)
      steps = int(results['steps'][-1])
      if results['train_steps'] != trained:
        trained = results['train_steps']
        values = results['train_values']
        run.check_loss(float(values[0]), steps)
        run.summarize(values, steps)
      run.after_step(steps)
