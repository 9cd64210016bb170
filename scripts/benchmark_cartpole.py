r"""Time-to-solve benchmark on CartPole-v1, one seed after the other.

  python scripts/benchmark_cartpole.py --flagfiles=flags/dqn_cartpole.flags

For each flagfile and seed, trains for `--num_steps` env steps without
stopping early (greedy evaluation of 20 episodes every `--eval_every` steps)
and reports:
  training solve: first step where the mean of the last 20 training
                  episodes is >= 475, and the loop seconds to get there
                  (evaluations excluded, imports and graph building too);
  greedy solve:   first greedy evaluation with mean >= 475, likewise;
  steps/s:        env steps per second of the training loop;
  process s:      wall time of the whole process.
Prints a markdown table per flagfile with the medians over seeds, ready for
docs/RESULTS.md. Run it on an otherwise idle machine.
"""

import statistics
import tempfile

from absl import flags

from graphrl.training import cli
from graphrl.training import reference_runs

FLAGS = flags.FLAGS
flags.DEFINE_list('flagfiles', ['flags/dqn_cartpole.flags',
                                'flags/ddqn_cartpole.flags'],
                  'Flagfiles to benchmark.')
flags.DEFINE_list('seeds', ['0', '1', '2', '3', '4'], 'Seeds.')
flags.DEFINE_integer('num_steps', 50000, 'Env steps per run.')
flags.DEFINE_integer('eval_every', 2500, 'Env steps between evaluations.')
flags.DEFINE_float('threshold', 475.0, 'Mean return that solves.')


def _cell(solve):
  if solve is None:
    return 'not reached'
  return '%d @ %.1f s' % (solve['step'], solve['train_s'])


def _median(values):
  values = [value for value in values if value is not None]
  return statistics.median(values) if values else None


def benchmark(flagfile, seeds):
  """Runs every seed; returns the rows of the table."""
  rows = []
  for seed in seeds:
    with tempfile.TemporaryDirectory() as logdir:
      summary = reference_runs.train(
          flagfile, seed, logdir, '--num_steps=%d' % FLAGS.num_steps,
          '--eval_every=%d' % FLAGS.eval_every, '--stop_eval_return=inf')
      train_solve = reference_runs.first_training_solve(
          logdir, FLAGS.threshold)
      greedy_solve = reference_runs.first_greedy_solve(logdir, FLAGS.threshold)
    loop_s = summary['wall_s'] - summary['eval_s']
    rows.append({'seed': seed, 'train': train_solve, 'greedy': greedy_solve,
                 'steps_per_s': summary['steps'] / loop_s,
                 'process_s': summary['process_s'],
                 'final_eval': summary['eval']['mean_return']})
    print('%s seed %d: training %s, greedy %s, %.0f steps/s' % (
        flagfile, seed, _cell(train_solve), _cell(greedy_solve),
        rows[-1]['steps_per_s']), flush=True)
  return rows


def table(flagfile, rows):
  """A markdown table of `rows` with a median row."""
  lines = [
      '`%s`, %d steps, evaluation every %d steps:' % (
          flagfile, FLAGS.num_steps, FLAGS.eval_every), '',
      '| seed | training mean(20) >= %g: step @ loop s | greedy mean(20 eps) '
      '>= %g: step @ loop s | env steps/s | final greedy mean | process s |'
      % (FLAGS.threshold, FLAGS.threshold),
      '|---|---|---|---|---|---|']
  for row in rows:
    lines.append('| %d | %s | %s | %.0f | %.1f | %.1f |' % (
        row['seed'], _cell(row['train']), _cell(row['greedy']),
        row['steps_per_s'], row['final_eval'], row['process_s']))
  cells = []
  for kind in ('train', 'greedy'):
    solved = [row[kind]['train_s'] for row in rows if row[kind] is not None]
    cells.append('%d of %d solved%s' % (
        len(solved), len(rows),
        ', median %.1f s' % _median(solved) if solved else ''))
  lines.append('| median | %s | %s | %.0f | | %.1f |' % (
      cells[0], cells[1], _median([row['steps_per_s'] for row in rows]),
      _median([row['process_s'] for row in rows])))
  return '\n'.join(lines)


def main(argv):
  cli.require(len(argv) == 1, 'unexpected arguments: %s' % ' '.join(argv[1:]))
  seeds = reference_runs.parse_seeds(FLAGS.seeds)
  tables = [table(flagfile, benchmark(flagfile, seeds))
            for flagfile in FLAGS.flagfiles]
  print('\n\n'.join(tables))


if __name__ == '__main__':
  cli.run(main)
