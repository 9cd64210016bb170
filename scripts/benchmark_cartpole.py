r"""Time-to-solve benchmark on CartPole-v1: graphrl's loops and the peers.

  python scripts/benchmark_cartpole.py \
      --flagfiles=flags/dqn_cartpole_fast.flags,flags/reinforce_cartpole.flags \
      --loops=python,graph --peers=sb3_dqn,sb3_a2c,sb3_ppo,cleanrl_dqn

Runs, one after the other on this machine, every flagfile under every loop
(`--loop` of `graphrl.train`) for every seed, then the peers' harness
(`../shared/peers`: SB3 and CleanRL in the virtualenvs its `setup.sh` makes
in `--peers_dir`) for the same seeds. Each graphrl run trains `--num_steps`
env steps without stopping early, with a greedy evaluation of 20 episodes
every `--eval_every` steps (both the flagfile's unless set), and reports:
  training solve: the first step where the mean of the last 20 training
                  episodes is >= 475, and the loop seconds to get there
                  (evaluations, imports and graph building excluded);
  greedy solve:   the first greedy evaluation with mean >= 475, likewise;
  steps/s:        env steps per second of the training loop.
The peers report the training solve (their harness's definition: seconds
inside `learn()` less evaluations for SB3; the whole process for CleanRL).
Prints a table per configuration and a summary of medians and ranges, ready
for docs/RESULTS.md. Run it on an otherwise idle machine.
"""

import json
import os
import statistics
import subprocess
import tempfile

from absl import flags

from graphrl.training import cli
from graphrl.training import reference_runs

FLAGS = flags.FLAGS
flags.DEFINE_list('flagfiles', ['flags/dqn_cartpole.flags'],
                  'Flagfiles to benchmark.')
flags.DEFINE_list('loops', ['python', 'graph'], 'Loops to run each under.')
flags.DEFINE_list('seeds', ['0', '1', '2', '3', '4'], 'Seeds.')
flags.DEFINE_integer('num_steps', 0, "Env steps per run; 0: the flagfile's.")
flags.DEFINE_integer('eval_every', 0,
                     "Env steps between evaluations; 0: the flagfile's.")
flags.DEFINE_float('threshold', 475.0, 'Mean return that solves.')
flags.DEFINE_list('peers', [], 'Peer runs: any of %s.' % ', '.join(
    ['sb3_dqn', 'sb3_a2c', 'sb3_ppo', 'cleanrl_dqn']))
flags.DEFINE_string('peers_harness', '../shared/peers',
                    "Directory of the peers' benchmark scripts.")
flags.DEFINE_string('peers_dir', os.path.expanduser('~/.cache/graphrl-peers'),
                    "Directory of the peers' virtualenvs (their setup.sh).")
flags.DEFINE_integer('peer_timeout_s', 600, 'Time limit of one peer run.')

# Peer name -> (virtualenv, script, arguments before --seed).
_PEERS = {
    'sb3_dqn': ('venv', 'sb3_bench.py', ['--algo', 'dqn']),
    'sb3_a2c': ('venv', 'sb3_bench.py', ['--algo', 'a2c']),
    'sb3_ppo': ('venv', 'sb3_bench.py', ['--algo', 'ppo']),
    'cleanrl_dqn': ('venv-cleanrl', 'cleanrl_dqn_bench.py', []),
}


def _cell(solve):
  if solve is None:
    return 'not reached'
  return '%d @ %.1f s' % (solve['step'], solve['train_s'])


def _median(values):
  values = [value for value in values if value is not None]
  return statistics.median(values) if values else None


def run_graphrl(flagfile, loop, seeds):
  """Trains every seed; returns the rows of the table."""
  rows = []
  extra = ['--loop=%s' % loop, '--stop_eval_return=inf']
  for name in ('num_steps', 'eval_every'):
    if FLAGS[name].value:
      extra.append('--%s=%d' % (name, FLAGS[name].value))
  for seed in seeds:
    with tempfile.TemporaryDirectory() as logdir:
      summary = reference_runs.train(flagfile, seed, logdir, *extra)
      train_solve = reference_runs.first_training_solve(
          logdir, FLAGS.threshold)
      greedy_solve = reference_runs.first_greedy_solve(logdir, FLAGS.threshold)
    loop_s = summary['wall_s'] - summary['eval_s']
    rows.append({'seed': seed, 'train': train_solve, 'greedy': greedy_solve,
                 'steps_per_s': summary['steps'] / loop_s,
                 'process_s': summary['process_s'],
                 'final_eval': summary['eval']['mean_return']})
    print('%s --loop=%s seed %d: training %s, greedy %s, %.0f steps/s' % (
        flagfile, loop, seed, _cell(train_solve), _cell(greedy_solve),
        rows[-1]['steps_per_s']), flush=True)
  return rows


def run_peer(name, seeds):
  """Runs the peer's harness for every seed; returns the rows."""
  venv, script, arguments = _PEERS[name]
  python = os.path.join(FLAGS.peers_dir, venv, 'bin', 'python')
  cli.require(os.path.exists(python),
              '%s: no %s; run %s/setup.sh first' % (
                  name, python, FLAGS.peers_harness))
  rows = []
  for seed in seeds:
    with tempfile.TemporaryDirectory() as out:
      command = [python, os.path.join(os.path.abspath(FLAGS.peers_harness),
                                      script)] + arguments + [
                                          '--seed', str(seed), '--out', out]
      output = subprocess.run(command, capture_output=True, text=True,
                              timeout=FLAGS.peer_timeout_s, check=True,
                              cwd=out).stdout
    result = json.loads([line for line in output.splitlines()
                         if line.startswith('RESULT ')][-1][len('RESULT '):])
    rows.append(_peer_row(seed, result))
    print('%s seed %d: training %s, %.0f steps/s' % (
        name, seed, _cell(rows[-1]['train']), rows[-1]['steps_per_s']),
          flush=True)
  return rows


def _peer_row(seed, result):
  """A table row from a peer harness's RESULT line."""
  if 'first_mean20_ge475' in result:  # CleanRL: (step, process seconds).
    solve = result['first_mean20_ge475']
    return {'seed': seed, 'greedy': None, 'peer': True,
            'train': solve and {'step': solve[0], 'train_s': solve[1]},
            'steps_per_s': result['sps_process']}
  solve = result.get('solve_step')
  return {'seed': seed, 'greedy': None, 'peer': True,
          'train': solve and {'step': solve, 'train_s': result['solve_wall_s']},
          'steps_per_s': result['sps']}


def table(title, rows):
  """A markdown table of `rows` with a median row."""
  lines = [title + ':', '',
           '| seed | training mean(20) >= %g: step @ loop s | greedy mean(20 '
           'eps) >= %g: step @ loop s | env steps/s |' % (
               FLAGS.threshold, FLAGS.threshold), '|---|---|---|---|']
  for row in rows:
    lines.append('| %d | %s | %s | %.0f |' % (
        row['seed'], _cell(row['train']), _cell(row['greedy']),
        row['steps_per_s']))
  cells = [_solved(rows, kind) for kind in ('train', 'greedy')]
  lines.append('| median | %s | %s | %.0f |' % (
      cells[0], cells[1], _median([row['steps_per_s'] for row in rows])))
  return '\n'.join(lines)


def _solved(rows, kind):
  """'k of n solved, median s (range)' of the `kind` solves of `rows`."""
  if kind == 'greedy' and rows[0].get('peer'):
    return 'n/a'
  seconds = [row[kind]['train_s'] for row in rows if row[kind] is not None]
  if not seconds:
    return '0 of %d solved' % len(rows)
  return '%d of %d solved, median %.1f s (%.1f-%.1f)' % (
      len(seconds), len(rows), statistics.median(seconds), min(seconds),
      max(seconds))


def summary(results):
  """One row per configuration: solves and steps/s."""
  lines = ['| run | training mean(20) >= %g | greedy >= %g | env steps/s |'
           % (FLAGS.threshold, FLAGS.threshold), '|---|---|---|---|']
  for title, rows in results:
    lines.append('| %s | %s | %s | %.0f |' % (
        title, _solved(rows, 'train'), _solved(rows, 'greedy'),
        _median([row['steps_per_s'] for row in rows])))
  return '\n'.join(lines)


def main(argv):
  cli.require_no_arguments(argv)
  seeds = reference_runs.parse_seeds(FLAGS.seeds)
  unknown = sorted(set(FLAGS.peers) - set(_PEERS))
  cli.require(not unknown, '--peers: unknown %s; known: %s' % (
      ', '.join(unknown), ', '.join(sorted(_PEERS))))
  results = []
  for flagfile in FLAGS.flagfiles:
    for loop in FLAGS.loops:
      results.append(('`%s` --loop=%s' % (flagfile, loop),
                      run_graphrl(flagfile, loop, seeds)))
  for name in FLAGS.peers:
    results.append((name, run_peer(name, seeds)))
  print('\n\n'.join([table(title, rows) for title, rows in results] +
                    [summary(results)]))


if __name__ == '__main__':
  cli.run(main)
