r"""Throughput of a cluster on this machine, and a projection past it.

  python scripts/benchmark_cluster.py --flagfile=flags/a3c_cartpole.flags \
      --actors=1,2,4 --steps=30000 --out=/tmp/a3c_bench.json
  python scripts/benchmark_cluster.py --flagfile=flags/apex_dqn_cartpole.flags \
      --baseline_flagfile=flags/prioritized_dqn_cartpole.flags

For each count N of acting tasks (A3C workers, Ape-X actors) it runs
`python -m graphrl.cluster --flagfile=F --workers=N` for `--steps` env
steps (no evaluation but the final one of one episode; every other
training flag given, e.g. --learning_starts=1000, is passed on to every
run) and reports, from
the chief's summary and its last checkpoint:
  env steps/s:  summed over the acting tasks, in the chief's loop time
  updates/s:    train steps (A3C: updates of the shared parameters from
                every worker; Ape-X: the learner's) per second
  per task:     each acting task's own env steps per second of its life
and, beside them, the single-process run of `--baseline_flagfile` (the
flagfile itself by default; Ape-X's needs a DQN flagfile without the Ape-X
settings) in its Python loop, and in the graph loop where the environment
has graph-op dynamics.

The projection past two cores rests on three measured numbers:
  r_1:  one acting task's env steps/s (the N = 1 run)
  C:    what one shared task sustains, in env steps/s: timed here in one
        process: A3C's ps applies the optimizer step to the shared
        parameters (gradients fed as a worker's arrive), C = applies/s x
        n_steps x num_envs; Ape-X's learner takes train steps on a full
        replay, C = train steps/s x train_every
  b:    bytes over gRPC per env step, from the parameter count P and the
        observation size: A3C 8 P / (n_steps num_envs) (gradients up,
        parameters down), Ape-X 2 |s| + 20 + 4 P / refresh_every (the
        transition, priority included, and the weight refreshes)
  throughput(N, K) = min(N r_1, K C, K B / b)
with K shared tasks (ps tasks sharded by `replica_device_setter`; for Ape-X
K learners would need a sharded replay, not built) and B the bandwidth of
one shared host's network (`--bandwidth_gbit`). It prints a Markdown table
of the measurements and one of the projection for `--project` acting
tasks. Run it on an otherwise idle machine.
"""

import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

from absl import flags
import numpy as np

from graphrl import tf_envs
from graphrl import train
from graphrl.agents import a3c
from graphrl.agents import dqn
from graphrl.agents import registry
from graphrl.compat import session_config
from graphrl.compat import tf
from graphrl.distributed import apex_learner
from graphrl.distributed import topology as topology_lib
from graphrl.distributed import transition_queue
from graphrl.training import checkpoints
from graphrl.training import cli

FLAGS = flags.FLAGS
flags.DEFINE_list('actors', ['1', '2', '4'], 'Acting task counts to run.')
flags.DEFINE_integer('steps', 30000, 'Env steps per cluster run.')
flags.DEFINE_integer('repeats', 1, 'Runs per count (medians reported).')
flags.DEFINE_string('baseline_flagfile', None,
                    'The single-process comparison; default --flagfile.')
flags.DEFINE_list('project', ['16', '64', '256'],
                  'Acting task counts to project to.')
flags.DEFINE_list('shared_tasks', ['1', '4'],
                  'Shared task counts (K) of the projection.')
flags.DEFINE_float('bandwidth_gbit', 10.0,
                   "A shared host's network bandwidth, Gbit/s.")
flags.DEFINE_integer('timing_steps', 200,
                     'Optimizer or train steps timed for C.')
flags.DEFINE_string('out', None, 'Write the results as JSON here.')

# Transitions in the replay whose train steps C times.
FILL = 10000
_CHIEF_LINE = re.compile(r'^\[(worker|learner):0\] (\{.*\})$')
_TASK_LINE = re.compile(r'^\[(\w+):(\d+)\] (\{.*"task".*\})$')


_OWN_FLAGS = ('actors', 'steps', 'repeats', 'baseline_flagfile', 'project',
              'shared_tasks', 'bandwidth_gbit', 'timing_steps', 'out')


def _training_flags():
  """The command line's training flags (--flagfile and the others), which
  every run gets."""
  own = re.compile(r'^--?(%s)=' % '|'.join(_OWN_FLAGS))
  args = [arg for arg in sys.argv[1:] if not own.match(arg)]
  cli.require(any(arg.startswith('--flagfile=') for arg in args),
              'give the cluster --flagfile')
  return args


def _run(binary, args, logdir, steps):
  """The stdout of `python -m <binary>` training `steps` env steps in
  `logdir` without stopping early, with one evaluation episode at the end.

  Raises:
    cli.UserError: the run failed.
  """
  command = [sys.executable, '-m', binary] + args + [
      '--logdir=%s' % logdir, '--num_steps=%d' % steps,
      '--eval_every=%d' % steps, '--eval_episodes=1',
      '--stop_eval_return=1e9', '--checkpoint_every=%d' % steps,
      '--progress_every_s=3600']
  output = subprocess.run(command, capture_output=True, text=True,
                          check=False)
  cli.require(output.returncode == 0, 'the %s run failed: %s' % (
      binary, cli.one_line(output.stderr[-500:])))
  return output.stdout


def _cluster_run(training_flags, actors, steps):
  """One `graphrl.cluster` run: its chief's and tasks' summaries."""
  with tempfile.TemporaryDirectory() as logdir:
    stdout = _run('graphrl.cluster',
                  training_flags + ['--workers=%d' % actors], logdir, steps)
    chief, tasks = None, []
    for line in stdout.splitlines():
      found = _CHIEF_LINE.match(line)
      if found and '"stop_reason"' in line:
        chief = json.loads(found.group(2))
      found = _TASK_LINE.match(line)
      if found:
        tasks.append(json.loads(found.group(3)))
    path = os.path.join(checkpoints.last_checkpoint_dir(logdir), 'ckpt')
    shapes = dict(tf.train.list_variables(path))
    name = ('a2c/shared/train_steps' if 'a2c/shared/train_steps' in shapes
            else 'dqn/train_steps')
    updates = int(tf.train.load_variable(path, name))
  loop_s = chief['wall_s'] - chief['eval_s']
  own = [task['steps'] / task['wall_s'] for task in tasks]
  if FLAGS.agent == 'a2c':  # The chief acts too; its own rate is not kept.
    own.append(None)
  return {'actors': actors, 'steps': chief['steps'], 'loop_s': loop_s,
          'steps_per_s': chief['steps'] / loop_s,
          'updates_per_s': updates / loop_s, 'per_task_steps_per_s': own}


def _single_run(training_flags, loop, steps):
  """env steps/s of one single-process run of `training_flags` in `loop`."""
  with tempfile.TemporaryDirectory() as logdir:
    stdout = _run('graphrl.train', training_flags + ['--loop=%s' % loop],
                  logdir, steps)
    summary = json.loads(stdout.strip().splitlines()[-1])
  return summary['steps'] / (summary['wall_s'] - summary['eval_s'])


def _configs():
  """(mode, agent config, loop config, env spec) of the flags."""
  env_id, limit = train.registered_env(FLAGS.env)
  mode = topology_lib.agent_mode(FLAGS.agent)
  config, loop = train.build_configs(FLAGS.agent, FLAGS.max_episode_steps or
                                     limit, mode)
  env = train.make_env(env_id, 0)
  specs = env.observation_spec(), env.action_spec()
  env.close()
  return mode, config, loop, specs


def _timed(sess, op, feeds_of, repeats):
  """Seconds per run of `op`, the median of 3 rounds of `repeats`."""
  rounds = []
  for _ in range(3):
    started = time.perf_counter()
    for _ in range(repeats):
      sess.run(op, feeds_of())
    rounds.append((time.perf_counter() - started) / repeats)
  return statistics.median(rounds)


def _shared_capacity(mode, config, loop, specs):
  """(C env steps/s, P parameters) of one shared task, timed in-process."""
  graph = tf.Graph()
  with graph.as_default(), tf.Session(
      config=session_config(loop.threads)) as sess:
    tf.set_random_seed(0)
    if mode == 'a3c':
      agent = a3c.A3CAgent(*specs, config, shared_device='/cpu:0')
      shared = agent.shared_variables
      grads = [tf.placeholder(tf.float32, v.shape) for v in shared]
      apply = agent._make_optimizer().apply_gradients(  # pylint: disable=protected-access
          zip(grads, shared))
      sess.run(tf.global_variables_initializer())
      values = [np.random.randn(*v.shape).astype(np.float32) for v in shared]
      seconds = _timed(sess, apply, lambda: dict(zip(grads, values)),
                       FLAGS.timing_steps)
      params = sum(int(np.prod(v.shape)) for v in shared)
      return config.n_steps * config.num_envs / seconds, params
    agent = registry.AGENTS['dqn'].agent(
        *specs, apex_learner.learner_config(config, 1))
    step = agent.train_step()
    # The learner's replay, filled through its queue as actors fill it.
    rows = min(config.replay_capacity, FILL)
    queue = transition_queue.TransitionQueue(specs[0], rows, '/cpu:0')
    observ, next_observ = _observations(specs[0], rows, config.replay)
    enqueue = queue.enqueue(
        [observ, tf.zeros([rows], tf.int64), tf.ones([rows]), next_observ,
         tf.ones([rows])], tf.ones([rows]), 0)
    drain = queue.drain(agent.buffer, agent.env_steps)
    sess.run(tf.global_variables_initializer())
    sess.run(enqueue)
    sess.run(drain)
    seconds = _timed(sess, step.op, dict, FLAGS.timing_steps)
    params = sum(int(np.prod(v.shape)) for v in agent.policy_variables)
    return loop.train_every / seconds, params


def _observations(spec, rows, replay):
  """Random (s, s') [rows, *shape] that a learner's replay stores: for a
  frame replay one chain of stacked frames, s'_t = s_{t+1}."""
  shape = tuple(spec.shape)
  if replay not in dqn.FRAME_REPLAYS:
    observ = tf.cast(tf.random.uniform((rows,) + shape, maxval=255),
                     spec.dtype)
    return observ, observ
  stack = shape[-1]
  frames = tf.cast(tf.random.uniform((rows + stack,) + shape[:-1],
                                     maxval=255), spec.dtype)
  observ = tf.stack([frames[k:k + rows] for k in range(stack + 1)], -1)
  return observ[..., :-1], observ[..., 1:]


def _bytes_per_step(mode, config, loop, specs, params):
  if mode == 'a3c':
    return 8.0 * params / (config.n_steps * config.num_envs)
  observ = int(np.prod(specs[0].shape)) * np.dtype(specs[0].dtype).itemsize
  return 2.0 * observ + 20 + 4.0 * params / loop.refresh_every


def main(argv):
  cli.require_no_arguments(argv)
  training_flags = _training_flags()
  mode, config, loop, specs = _configs()
  runs = {}
  for actors in [int(n) for n in FLAGS.actors]:
    results = [_cluster_run(training_flags, actors, FLAGS.steps)
               for _ in range(FLAGS.repeats)]
    runs[actors] = {key: statistics.median(r[key] for r in results)
                    for key in ('steps_per_s', 'updates_per_s')}
    runs[actors]['per_task_steps_per_s'] = results[0]['per_task_steps_per_s']
    print('%d acting: %s' % (actors, json.dumps(runs[actors])), flush=True)
  baseline = training_flags
  if FLAGS.baseline_flagfile:
    baseline = ['--flagfile=%s' % FLAGS.baseline_flagfile] + [
        arg for arg in training_flags if not arg.startswith('--flagfile=')]
  single = {'python': _single_run(baseline, 'python', FLAGS.steps)}
  if tf_envs.is_native(FLAGS.env):
    single['graph'] = _single_run(baseline, 'graph', FLAGS.steps)
  capacity, params = _shared_capacity(mode, config, loop, specs)
  per_step = _bytes_per_step(mode, config, loop, specs, params)
  first = min(runs)
  r1 = runs[first]['steps_per_s'] / first
  bandwidth = FLAGS.bandwidth_gbit * 1e9 / 8
  projection = []
  for k in [int(n) for n in FLAGS.shared_tasks]:
    for n in [int(n) for n in FLAGS.project]:
      bounds = {'actors': n * r1, 'shared tasks': k * capacity,
                'network': k * bandwidth / per_step}
      limit = min(bounds, key=bounds.get)
      projection.append({'shared_tasks': k, 'actors': n,
                         'steps_per_s': bounds[limit], 'bound': limit})
  result = {'training_flags': training_flags, 'mode': mode, 'runs': runs,
            'single_process': single, 'capacity_steps_per_s': capacity,
            'parameters': params, 'bytes_per_step': per_step,
            'r1': r1, 'projection': projection}
  print('\n| acting tasks | env steps/s | updates/s | per acting task |')
  print('|---|---|---|---|')
  for actors, run in sorted(runs.items()):
    per_task = ', '.join('%.0f' % v for v in run['per_task_steps_per_s']
                         if v is not None)
    print('| %d | %.0f | %.1f | %s |' % (actors, run['steps_per_s'],
                                          run['updates_per_s'], per_task))
  for loop_kind, rate in single.items():
    print('| single process, %s loop | %.0f | | |' % (loop_kind, rate))
  print('\nC = %.0f env steps/s per shared task, P = %d parameters, b = %.0f '
        'bytes per env step, r_1 = %.0f' % (capacity, params, per_step, r1))
  print('\n| shared tasks | acting tasks | projected env steps/s | bound |')
  print('|---|---|---|---|')
  for row in projection:
    print('| %d | %d | %.0f | %s |' % (row['shared_tasks'], row['actors'],
                                       row['steps_per_s'], row['bound']))
  if FLAGS.out:
    with open(FLAGS.out, 'w') as f:
      json.dump(result, f, indent=2)


if __name__ == '__main__':
  cli.run(main)
