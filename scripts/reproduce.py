r"""Reproduces a long learning result that CI cannot afford.

  python scripts/reproduce.py --result=flags/ddpg_lunarlander.flags \
      --seeds=0,1,2 --out=runs/ddpg_lunarlander

Trains the flagfile's agent for each seed in `<out>/seed_<seed>` (an
interrupted reproduction resumes from its checkpoints when rerun), then
evaluates each run's final checkpoint with `graphrl.evaluate` (20 greedy
episodes), draws the learning curves of all seeds into `<out>/curve.png`
and writes `<out>/results.md`: one row per seed with the command, seed,
env steps, wall time, machine and final greedy mean, ready for
docs/RESULTS.md. Extra flags after `--` go to every training run.
"""

import datetime
import os
import subprocess
import sys

from absl import flags

from graphrl.training import cli
from graphrl.training import reference_runs

FLAGS = flags.FLAGS
flags.DEFINE_string('result', None, 'The flagfile of the result to reproduce '
                    '(not --flagfile, which absl reads itself).')
flags.DEFINE_list('seeds', ['0'], 'Seeds to train.')
flags.DEFINE_string('out', None, 'Directory of the runs, curve and table.')
flags.DEFINE_integer('eval_episodes', 20, 'Greedy episodes of the final '
                     'evaluation.')


def main(argv):
  flagfile = FLAGS.result
  cli.require(flagfile, '--result is required')
  cli.require(os.path.exists(os.path.join(reference_runs.ROOT, flagfile)),
              'no flagfile %s' % flagfile)
  cli.require(FLAGS.out, '--out is required')
  seeds = reference_runs.parse_seeds(FLAGS.seeds)
  extra = argv[1:]
  out = os.path.abspath(FLAGS.out)
  rows = []
  for seed in seeds:
    logdir = os.path.join(out, 'seed_%d' % seed)
    summary = reference_runs.train(flagfile, seed, logdir, *extra)
    evaluation = reference_runs.evaluate(logdir, FLAGS.eval_episodes)
    command = ' '.join(['python'] + reference_runs.train_command(
        flagfile, seed, os.path.relpath(logdir, reference_runs.ROOT),
        *extra)[1:])
    rows.append('| `%s` | %d | %d | %.0f | %s | %.1f +- %.1f (%d episodes) |'
                % (command, seed, summary['steps'], summary['process_s'],
                   reference_runs.machine(), evaluation['mean_return'],
                   evaluation['std_return'], evaluation['episodes']))
    print(rows[-1], flush=True)
  subprocess.run(
      [sys.executable, os.path.join(reference_runs.ROOT, 'scripts',
                                    'plot_curves.py'),
       '--logdirs=' + os.path.join(out, 'seed_*'),
       '--out=' + os.path.join(out, 'curve.png'),
       '--title=' + os.path.basename(flagfile)],
      check=True, cwd=reference_runs.ROOT,
      env=dict(os.environ, PYTHONPATH=reference_runs.ROOT))
  table = '\n'.join([
      'Reproduced %s (%s UTC):' % (flagfile, datetime.datetime.now(
          datetime.timezone.utc).strftime('%Y-%m-%d %H:%M')), '',
      '| command | seed | env steps | wall s | machine | final greedy mean |',
      '|---|---|---|---|---|---|'] + rows) + '\n'
  with open(os.path.join(out, 'results.md'), 'w', encoding='utf-8') as f:
    f.write(table)
  print(table)


if __name__ == '__main__':
  cli.run(main)
