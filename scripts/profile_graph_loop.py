r"""Where the time of the in-graph loop goes: speed and a cost breakdown.

  python scripts/profile_graph_loop.py --flagfile=flags/dqn_cartpole_fast.flags

Builds the agent, environment and `tf.while_loop` of a flagfile's run the
way `python -m graphrl.train --loop=graph` does, fills the replay past
`--learning_starts`, and times, in `--repeats` interleaved rounds of one
`Session.run` of `--iterations` iterations each, loops that do more and more
of an iteration:
  loop:        an empty `tf.while_loop` (control flow);
  environment: + stepping the environment with random actions and
               resetting the members that ended (graph ops, or the
               `tf.numpy_function` calls of a Python environment);
  act+store:   the agent's acting and storing, a loop that never trains
               (off-policy agents; env steps/s acting and storing only);
  training:    the run's own loop, its train cadence and episode records.
The differences of their medians split an iteration of the run into parts;
`Python per run` is the cost of one `Session.run` of zero iterations (the
Python client, fetching the results), spread over a run's env steps.
The session runs on the run's `--threads`. Prints markdown tables of the
speeds and of the breakdown.
"""

import collections
import math
import statistics
import time

from absl import flags

from graphrl.agents import agent as agent_lib
from graphrl.agents import registry
from graphrl.compat import session_config
from graphrl.compat import tf
from graphrl import train
from graphrl.training import cli
from graphrl.training import graph_iterations

FLAGS = flags.FLAGS
flags.DEFINE_integer('iterations', 1000, 'Loop iterations per Session.run.')
flags.DEFINE_integer('repeats', 7, 'Interleaved timing rounds.')


def _build(agent_name):
  """(env, act+store loop or None, training loop, env steps to fill,
  the session's threads)."""
  spec = registry.AGENTS[agent_name]
  env_id, registered_limit = train.registered_env(FLAGS.env)
  limit = FLAGS.max_episode_steps or registered_limit
  config, loop = train.build_configs(agent_name, limit)
  tf.set_random_seed(FLAGS.seed)
  env = train.load_graph_env(env_id, getattr(config, 'num_envs', 1),
                             FLAGS.atari_preprocessing)
  agent = spec.agent(env.observation_spec(), env.action_spec(), config)
  if isinstance(agent, agent_lib.OffPolicyAgent):
    acting = graph_iterations.off_policy(agent, env, 2**62, 1)
    training = graph_iterations.off_policy(
        agent, env, loop.learning_starts, loop.train_every)
    return env, acting, training, loop.learning_starts, loop.threads
  # On-policy agents store only what they train on.
  return (env, None, graph_iterations.on_policy(agent, env), 0,
          loop.threads)


def _random_actions(env):
  """Uniform actions [N, ...] of the env's bounded action spec."""
  spec = env.action_spec()
  shape = [env.batch_size] + list(spec.shape)
  if spec.dtype.kind in 'iu':
    return tf.random.uniform(shape, int(spec.minimum), int(spec.maximum) + 1,
                             tf.as_dtype(spec.dtype))
  return tf.random.uniform(shape, float(spec.minimum), float(spec.maximum),
                           tf.as_dtype(spec.dtype))


def _plain_loop(iterations, body=None):
  """A while loop of `iterations` calls of `body()` (an op), or of nothing."""

  def step(index):
    if body is None:
      return index + 1
    with tf.control_dependencies([body()]):
      return index + 1

  return tf.while_loop(lambda index: index < iterations, step,
                       [tf.constant(0)], parallel_iterations=1)


def _environment_body(env):
  def body():
    result = env.step(_random_actions(env))
    return env.reset(tf.logical_or(result.terminated, result.truncated))
  return body


def main(argv):
  cli.require_no_arguments(argv)
  cli.require(FLAGS.iterations > 0 and FLAGS.repeats > 0,
              '--iterations and --repeats must be positive')
  env, acting, training, fill, threads = _build(FLAGS.agent)
  iterations = tf.placeholder(tf.int32, [])
  runs = [('loop', _plain_loop(iterations)),
          ('environment', _plain_loop(iterations, _environment_body(env)))]
  if acting is not None:
    runs.append(('act+store', (acting.outputs, acting.iterations)))
  runs.append(('training', (training.outputs, training.iterations)))
  steps_per_run = env.batch_size * FLAGS.iterations
  with tf.Session(config=session_config(threads)) as sess:
    sess.run([tf.global_variables_initializer(),
              tf.local_variables_initializer()])
    sess.run(training.start)
    fill_iterations = math.ceil(fill / env.batch_size) + 1
    sess.run(training.outputs, {training.iterations: fill_iterations})

    def run(fetch, count):
      fetches, feed = fetch if isinstance(fetch, tuple) else (fetch,
                                                              iterations)
      if isinstance(fetch, tuple):
        # The other loops step the same members: restart their episodes
        # (an on-policy loop's buffer holds episodes it saw from the start).
        sess.run(training.start)
      started = time.perf_counter()
      sess.run(fetches, {feed: count})
      return time.perf_counter() - started

    seconds = collections.defaultdict(list)
    for _ in range(FLAGS.repeats):
      for name, fetch in runs:
        seconds[name].append(run(fetch, FLAGS.iterations))
      seconds['python'].append(run(runs[-1][1], 0))
  medians = {name: statistics.median(values)
             for name, values in seconds.items()}
  lines = ['%s on %s, N = %d members, %d iterations per run, median of %d '
           'runs, %d session threads:' % (
               FLAGS.agent, FLAGS.env, env.batch_size, FLAGS.iterations,
               FLAGS.repeats, threads), '',
           '| loop | env steps/s (range) | us per iteration |', '|---|---|---|']
  for name, _ in runs[1:]:
    lines.append('| %s | %.0f (%.0f-%.0f) | %.1f |' % (
        name, steps_per_run / medians[name],
        steps_per_run / max(seconds[name]), steps_per_run / min(seconds[name]),
        medians[name] / FLAGS.iterations * 1e6))
  lines += ['', 'Breakdown of a training iteration:', '',
            '| part | us per iteration | share |', '|---|---|---|']
  total = medians['training'] + medians['python']
  previous = 0.0
  for name, _ in runs:
    part = medians[name] - previous
    previous = medians[name]
    label = {'loop': 'while-loop control flow',
             'environment': 'environment step and reset',
             'act+store': 'acting and storing',
             'training': ('training and episode records' if acting else
                          'acting, storing, training, episode records'),
             }[name]
    lines.append('| %s | %.1f | %.0f%% |' % (
        label, part / FLAGS.iterations * 1e6, 100 * part / total))
  lines.append('| Python per run | %.1f | %.0f%% |' % (
      medians['python'] / FLAGS.iterations * 1e6,
      100 * medians['python'] / total))
  print('\n'.join(lines))


if __name__ == '__main__':
  cli.run(main)
