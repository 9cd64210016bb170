"""Reference runs: train a flagfile's agent in a subprocess, read its records.

Shared by the learning-regression tests (`tests/test_reference_numbers.py`),
the script that records their reference numbers, the time-to-solve
benchmark and `scripts/reproduce.py`, so that all measure the same thing
the same way.

Time to solve is read from a run's records (see `graphrl.training.off_policy`):
  training: the first episode after which the mean return of the last
            `window` training episodes reaches the threshold;
  greedy:   the first greedy evaluation whose mean return reaches it;
both as (env step, `train_s`: seconds of the training loop, evaluations
excluded).
"""

import json
import os
import platform
import subprocess
import sys
import tempfile
import time

from graphrl.training import cli
from graphrl.training import episode_log

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))


def train_command(flagfile, seed, logdir, *extra_flags):
  """The command line that trains `flagfile`'s agent with `seed`."""
  return [sys.executable, '-m', 'graphrl.train', '--flagfile=' + flagfile,
          '--seed=%d' % seed, '--logdir=' + logdir,
          '--progress_every_s=1000000'] + list(extra_flags)


def machine():
  """A one-line description of this machine."""
  model = platform.processor() or platform.machine()
  try:
    with open('/proc/cpuinfo', encoding='utf-8') as f:
      names = [line.split(':', 1)[1].strip() for line in f
               if line.startswith('model name')]
    model = names[0] if names else model
  except OSError:
    pass
  return '%s, %d cores, %s, Python %s' % (
      model, os.cpu_count(), platform.system(), platform.python_version())


def cpu_model(machine_line):
  """The CPU model of a `machine()` line: seeded runs repeat bit for bit on
  one model, not across models (their kernels round differently)."""
  return machine_line.split(',')[0].strip()


def parse_seeds(values):
  """The integers of a `--seeds` list flag.

  Raises:
    cli.UserError: a value is not an integer.
  """
  try:
    return [int(value) for value in values]
  except ValueError:
    raise cli.UserError('--seeds must be integers, got %s' % ','.join(values))


def run_json(command, timeout=None, root=ROOT):
  """Runs a graphrl command line from the repository root.

  Args:
    command: argv whose program prints a JSON summary as its last stdout
      line (`graphrl.train`, `graphrl.evaluate`).
    timeout: optional seconds.
    root: the checkout it runs in, with that checkout's graphrl.

  Returns:
    That summary, with `process_s`: the wall time of the whole process
    (imports and graph building included).

  Raises:
    RuntimeError: with the end of the process's stderr, if it failed.
  """
  started = time.time()
  process = subprocess.run(
      command, cwd=root, env=dict(os.environ, PYTHONPATH=root),
      capture_output=True, text=True, timeout=timeout)
  if process.returncode:
    raise RuntimeError('%s failed: %s' % (
        ' '.join(command[1:]), process.stderr.strip()[-2000:]))
  summary = json.loads(process.stdout.strip().splitlines()[-1])
  summary['process_s'] = round(time.time() - started, 3)
  return summary


def episode_returns(args, root=ROOT, timeout=900, stop_at=None):
  """Trains `graphrl.train *args` in a fresh logdir with `root`'s graphrl.

  Args:
    args: the flags.
    root: the checkout whose graphrl trains.
    timeout: seconds per process.
    stop_at: if given, the run first trains to this env step alone
      (`--num_steps`), then resumes from its checkpoint to the end.

  Returns:
    {'returns': the training episodes' returns in the order they ended,
     'eval_mean_return': the final greedy evaluation's mean}.
  """
  with tempfile.TemporaryDirectory() as logdir:
    command = [sys.executable, '-m', 'graphrl.train',
               '--logdir=' + logdir] + list(args)
    if stop_at is not None:
      run_json(command + ['--num_steps=%d' % stop_at], timeout=timeout,
               root=root)
    summary = run_json(command, timeout=timeout, root=root)
    return {'returns': [row['return']
                        for row in episode_log.read_episodes(logdir)],
            'eval_mean_return': summary['eval']['mean_return']}


def train(flagfile, seed, logdir, *extra_flags, timeout=None):
  """Runs `train_command`; returns its summary (see `run_json`)."""
  return run_json(train_command(flagfile, seed, logdir, *extra_flags),
                  timeout=timeout)


def evaluate(logdir, episodes=20, timeout=None):
  """Runs `graphrl.evaluate` on a logdir; returns its summary."""
  return run_json([sys.executable, '-m', 'graphrl.evaluate',
                   '--logdir=' + logdir, '--episodes=%d' % episodes],
                  timeout=timeout)


def first_training_solve(logdir, threshold, window=20):
  """{'step', 'train_s'} of the first window mean >= threshold, or None."""
  returns = []
  for row in episode_log.read_episodes(logdir):
    returns = (returns + [row['return']])[-window:]
    if len(returns) == window and sum(returns) / window >= threshold:
      return {'step': row['step'], 'train_s': row['train_s']}
  return None


def first_greedy_solve(logdir, threshold,
                       filename=episode_log.EVALUATIONS_FILENAME):
  """{'step', 'train_s', 'mean_return'} of the first evaluation >= threshold.

  None when no evaluation reached `threshold`.
  """
  for row in episode_log.read_rows(os.path.join(logdir, filename)):
    if row['mean_return'] >= threshold:
      return {key: row[key] for key in ('step', 'train_s', 'mean_return')}
  return None
