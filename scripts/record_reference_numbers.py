r"""Records the reference numbers of the learning-regression tests.

  python scripts/record_reference_numbers.py --runs=dqn_cartpole,ddqn_cartpole \
      --loop=python
  python scripts/record_reference_numbers.py --runs=td3_pendulum \
      --judge=final --threshold=-200 --seeds=0,1,2,3,4 --loop=graph

Trains each run's flagfile, as it is, in the `--loop` given, for the seeds
exactly as `tests/test_reference_numbers.py` does and writes the per-seed
numbers into `tests/reference_numbers.json` as the run `<name>@<loop>` with
the command, machine and date. What is judged (`--judge`):
  first_solve: the step and loop time at which the greedy evaluation first
               reached the threshold; a test accepts the band
               [max(`--min_step`, fastest seed - `--slack`), `--max_step`];
  final:       the policy at the end of the flagfile's budget, its mean
               return over `--eval_episodes` greedy episodes of seeds the
               run never saw (`graphrl.evaluate`); every seed must reach
               the threshold, and a test asserts it still does.
"""

import datetime
import json
import os
import tempfile

from absl import flags

from graphrl.training import cli
from graphrl.training import reference_runs

FLAGS = flags.FLAGS
flags.DEFINE_list('runs', ['dqn_cartpole', 'ddqn_cartpole'],
                  'Flagfile names (flags/<name>.flags) to record.')
flags.DEFINE_list('seeds', ['0', '1', '2'], 'Seeds to record.')
flags.DEFINE_enum('loop', 'python', ['python', 'graph'],
                  'The training loop the runs are recorded (and tested) in.')
flags.DEFINE_enum('judge', 'first_solve', ['first_solve', 'final'],
                  'What a test asserts: the step of the first greedy '
                  'evaluation reaching the threshold, or the final '
                  "policy's mean over --eval_episodes held-out episodes.")
flags.DEFINE_integer('eval_episodes', 100, 'Greedy episodes that judge the '
                     'final policy (--judge=final).')
flags.DEFINE_float('threshold', 475.0, 'Greedy mean return that solves.')
flags.DEFINE_integer('max_step', 50000, 'Upper end of the accepted band.')
flags.DEFINE_integer('slack', 10000,
                     'Steps below the fastest seed the band accepts.')
flags.DEFINE_integer('min_step', 2500,
                     'Lower end of the band at least (a first evaluation).')
flags.DEFINE_string('out', os.path.join(reference_runs.ROOT, 'tests',
                                        'reference_numbers.json'),
                    'The reference file to update.')


def record(name, seeds):
  """The reference entry of one run: per-seed numbers and the band."""
  flagfile = 'flags/%s.flags' % name
  cli.require(os.path.exists(os.path.join(reference_runs.ROOT, flagfile)),
              'no flagfile %s' % flagfile)
  results = {}
  for seed in seeds:
    with tempfile.TemporaryDirectory() as logdir:
      summary = reference_runs.train(flagfile, seed, logdir,
                                     '--loop=' + FLAGS.loop)
      if FLAGS.judge == 'final':
        result = _final(name, seed, logdir, summary)
      else:
        result = _first_solve(name, seed, logdir)
    results[str(seed)] = dict(result, process_s=summary['process_s'])
    print(name, seed, results[str(seed)], flush=True)
  entry = {
      'flagfile': flagfile,
      'command': 'python ' + ' '.join(reference_runs.train_command(
          flagfile, 0, '<logdir>', '--loop=' + FLAGS.loop)[1:]),
      'loop': FLAGS.loop,
      'judge': FLAGS.judge,
      'threshold': FLAGS.threshold,
      'seeds': results,
  }
  if FLAGS.judge == 'final':
    entry['eval_episodes'] = FLAGS.eval_episodes
  else:
    fastest = min(result['step'] for result in results.values())
    entry['band'] = [max(FLAGS.min_step, fastest - FLAGS.slack),
                     FLAGS.max_step]
  return entry


def _first_solve(name, seed, logdir):
  solved = reference_runs.first_greedy_solve(logdir, FLAGS.threshold)
  cli.require(solved is not None and solved['step'] <= FLAGS.max_step,
              '%s seed %d did not reach %s within %d steps' % (
                  name, seed, FLAGS.threshold, FLAGS.max_step))
  return solved


def _final(name, seed, logdir, summary):
  evaluation = reference_runs.evaluate(logdir, FLAGS.eval_episodes)
  cli.require(evaluation['mean_return'] >= FLAGS.threshold,
              '%s seed %d: the final policy averages %.1f over %d episodes, '
              'short of %s' % (name, seed, evaluation['mean_return'],
                               FLAGS.eval_episodes, FLAGS.threshold))
  return {'step': summary['steps'],
          'mean_return': round(evaluation['mean_return'], 2),
          'std_return': round(evaluation['std_return'], 2)}


def main(argv):
  cli.require_no_arguments(argv)
  seeds = reference_runs.parse_seeds(FLAGS.seeds)
  reference = {}
  if os.path.exists(FLAGS.out):
    with open(FLAGS.out, encoding='utf-8') as f:
      reference = json.load(f)
  reference.setdefault('runs', {})
  for name in FLAGS.runs:
    reference['runs']['%s@%s' % (name, FLAGS.loop)] = dict(
        record(name, seeds), machine=reference_runs.machine(),
        recorded=datetime.date.today().isoformat())
  reference['generated_by'] = 'python scripts/record_reference_numbers.py'
  with open(FLAGS.out, 'w', encoding='utf-8') as f:
    json.dump(reference, f, indent=2, sort_keys=True)
    f.write('\n')
  print('Wrote %s.' % FLAGS.out)


if __name__ == '__main__':
  cli.run(main)
