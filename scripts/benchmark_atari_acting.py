r"""Does stepping Atari games in worker processes pay on this machine?

  python scripts/benchmark_atari_acting.py --env=PongNoFrameskip-v4 \
      --num_envs=1,2,4

For each N, steps N preprocessed games (`graphrl.envs.load_atari`: 4
frames per step, 84x84x4 observations) with uniformly random actions for
`--steps` batched steps, in this process one after the other
(`BatchedPyEnvironment`) and in N worker processes
(`ParallelPyEnvironment`), interleaved over `--repeats` rounds. Prints the
median env steps per second of each, and their ratio, as a markdown table.
"""

import functools
import statistics
import time

from absl import flags
import numpy as np

from graphrl import envs
from graphrl.training import cli

FLAGS = flags.FLAGS
flags.DEFINE_string('env', 'PongNoFrameskip-v4', 'ALE game id.')
flags.DEFINE_list('num_envs', ['1', '2', '4'], 'Batch sizes N.')
flags.DEFINE_integer('steps', 500, 'Batched steps per round.')
flags.DEFINE_integer('repeats', 3, 'Interleaved rounds.')


def _steps_per_second(env, steps, rng):
  """Env steps/s of `steps` random batched steps (members auto-reset)."""
  env.reset()
  high = int(env.action_spec().maximum) + 1
  started = time.perf_counter()
  for _ in range(steps):
    env.step(rng.integers(high, size=env.batch_size))
  return steps * env.batch_size / (time.perf_counter() - started)


def main(argv):
  cli.require_no_arguments(argv)
  sizes = [int(size) for size in FLAGS.num_envs]
  cli.require(all(size > 0 for size in sizes) and FLAGS.steps > 0,
              '--num_envs and --steps must be positive')
  rng = np.random.default_rng(0)
  lines = ['%s, random actions, %d batched steps per round, median of %d:'
           % (FLAGS.env, FLAGS.steps, FLAGS.repeats), '',
           '| N | in-process env steps/s | worker processes env steps/s | '
           'ratio |', '|---|---|---|---|']
  for size in sizes:
    makers = [functools.partial(envs.load_atari, FLAGS.env, seed=seed)
              for seed in range(size)]
    batched = envs.BatchedPyEnvironment([make() for make in makers])
    parallel = envs.ParallelPyEnvironment(makers)
    speeds = {'batched': [], 'parallel': []}
    try:
      for _ in range(FLAGS.repeats):
        for name, env in (('batched', batched), ('parallel', parallel)):
          speeds[name].append(_steps_per_second(env, FLAGS.steps, rng))
    finally:
      batched.close()
      parallel.close()
    batched_speed = statistics.median(speeds['batched'])
    parallel_speed = statistics.median(speeds['parallel'])
    lines.append('| %d | %.0f | %.0f | %.2f |' % (
        size, batched_speed, parallel_speed, parallel_speed / batched_speed))
  print('\n'.join(lines))


if __name__ == '__main__':
  cli.run(main)
