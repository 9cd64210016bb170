"""One task of a distributed run: what `python -m graphrl.train` does with
the cluster flags (`--job_name`, `--task_index`, the host lists).

  A3C (--agent=a2c)
    ps:      serves the shared parameters until SIGTERM or SIGINT
    worker:  an `A3CAgent` on its own device, its shared parameters sharded
             over the ps tasks by `tf.train.replica_device_setter`, stepped
             by `OnPolicyLoop` on its own environments; worker 0 is the
             chief and trains in a `Run`, the others in a `WorkerRun`
  Ape-X (--agent=dqn)
    learner: the chief: a `DQNAgent` with prioritized replay, the transition
             queue, `ApexLearnerLoop` in a `Run`
    actor:   an `ApexActor` with its epsilon_i, `ApexActorLoop` in a
             `WorkerRun` that waits for a restarted learner

Every task builds its graph inside `tf.device(<its task>)`, so nothing but
the shared variables and queues lands on another task. The chief writes
--logdir as a single-process run does. The chief's graph and environments
have the run's seed; the k-th acting task that is not the chief (A3C's
worker k, Ape-X's actor k - 1) has seed + SEED_STRIDE k, its environments
seed + SEED_STRIDE k + j, clear of the evaluation seeds (seed + 10000 +
i).

A lost ps ends an A3C task with one line naming it and the last checkpoint
(`lost_task`).
"""

import collections
import time

import numpy as np

from graphrl.agents import a3c
from graphrl.agents import apex_actor
from graphrl.compat import tf
from graphrl.distributed import apex_actor_loop
from graphrl.distributed import apex_learner
from graphrl.distributed import chief as chief_lib
from graphrl.distributed import lost_task
from graphrl.distributed import shared_state
from graphrl.distributed import topology as topology_lib
from graphrl.distributed import transition_queue
from graphrl.distributed import worker_run
from graphrl.training import cli
from graphrl.training import on_policy
from graphrl.training import run as run_lib
from graphrl.training import signals

# What a task needs of the binary's flags (`graphrl.train`): the run's
# seed, logdir and metadata, training_env(seed) -> the loop's environment,
# evaluation_env() -> the greedy evaluations' batch, game_scores(env) -> the
# `Run`'s game_scores (None but for ALE games).
Setup = collections.namedtuple('Setup', [
    'seed', 'logdir', 'metadata', 'training_env', 'evaluation_env',
    'game_scores'])

# How often a ps task looks for a stop request.
SERVE_POLL_S = 0.5
# The seed offset between acting tasks (see the module docstring).
SEED_STRIDE = 100000


def run_task(topology, spec, config, loop_config, setup):
  """Runs this process's task of `topology` to the end of the run.

  Args:
    topology: a `topology.Topology`.
    spec: the agent's `registry.AgentSpec`.
    config, loop_config: the agent's and the loop's configs.
    setup: a `Setup`.

  Returns:
    The JSON-able summary of the run (the chief's) or of the task.

  Raises:
    cli.UserError: as `graphrl.training.run.Run.train`, a port in use, or a
      lost ps.
  """
  server = topology_lib.start_server(topology, loop_config.threads)
  print('%s serving at %s' % (topology.task_name, topology.address),
        flush=True)
  if topology.is_server_only:
    with signals.StopRequest() as stop:
      while not stop.requested:
        time.sleep(SERVE_POLL_S)
    return None
  rank = topology.task_index + (topology.mode == 'apex' and
                                not topology.is_chief)
  seed = setup.seed + SEED_STRIDE * rank
  np.random.seed(seed)
  tf.set_random_seed(seed)
  env = setup.training_env(seed)
  try:
    with tf.device(topology.device()):
      shared = shared_state.SharedState(topology.shared_device)
      if topology.mode == 'a3c':
        return _a3c_task(topology, server, shared, config, loop_config, env,
                         setup)
      return _apex_task(topology, server, shared, spec, config, loop_config,
                        env, setup)
  except worker_run.LOST as error:
    raise lost_task.user_error(error, topology, setup.logdir)
  finally:
    env.close()


def _a3c_task(topology, server, shared, config, loop_config, env, setup):
  """An A3C worker: the chief's run, or another worker's."""
  setter = tf.train.replica_device_setter(
      ps_device='/job:ps', worker_device=topology.device(),
      cluster=topology.cluster_spec())
  agent = _built(a3c.A3CAgent, env.observation_spec(), env.action_spec(),
                 config, shared_device=setter)
  loop = on_policy.OnPolicyLoop(agent, env, loop_config)
  if topology.is_chief:
    return _chief_run(topology, server, shared, agent, loop, loop_config,
                      setup.game_scores(env), setup, start=agent.sync_target)
  return worker_run.WorkerRun(
      agent, loop_config, topology, server, shared, agent.env_steps,
      agent.local_env_steps, start=agent.sync_target).work(loop)


def _apex_task(topology, server, shared, spec, config, loop_config, env,
               setup):
  """The Ape-X learner's run, or an actor's."""
  queue = transition_queue.TransitionQueue(
      env.observation_spec(), loop_config.queue_transitions,
      topology.shared_device)
  if topology.is_chief:
    agent = _built(spec.agent, env.observation_spec(),
                   env.action_spec(),
                   apex_learner.learner_config(config, topology.num_acting))
    loop = apex_learner.ApexLearnerLoop(agent, queue, loop_config)
    # The learner steps no environment (its games are the actors'; the
    # evaluations' scores are raw): no game scores.
    return _chief_run(topology, server, shared, agent, loop, loop_config,
                      None, setup)
  epsilon = apex_actor.actor_epsilon(
      topology.task_index, topology.num_acting, loop_config.epsilon_base,
      loop_config.epsilon_alpha)
  actor = _built(apex_actor.ApexActor, env.observation_spec(),
                 env.action_spec(), config, epsilon, topology.device(),
                 topology.shared_device)
  loop = apex_actor_loop.ApexActorLoop(actor, queue, env, loop_config,
                                       topology.task_index)
  return worker_run.WorkerRun(
      actor, loop_config, topology, server, shared, actor.learner_env_steps,
      actor.env_steps, reconnect=True).work(loop)


def _chief_run(topology, server, shared, agent, loop, loop_config,
               game_scores, setup, start=None):
  """Trains the chief's `loop` in a `Run` that writes --logdir."""
  eval_env = setup.evaluation_env()
  try:
    return run_lib.Run(
        agent, eval_env, setup.logdir, loop_config, setup.metadata,
        game_scores,
        cluster=chief_lib.Chief(topology, server, shared, start)).train(loop)
  finally:
    eval_env.close()


def _built(agent_class, *args, **kwargs):
  """`agent_class(*args, **kwargs)`, a bad setting as a user error."""
  try:
    return agent_class(*args, **kwargs)
  except ValueError as error:
    raise cli.UserError(error)
