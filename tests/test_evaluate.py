"""`python -m graphrl.evaluate` on a tiny DQN run: checkpoints and progress.

The run evaluates greedily at steps 200 and 400 on environments seeded
`seed + 10000 + i`; its first evaluation starts with their first resets, so
evaluating the checkpoint of step 200 on those seeds replays it exactly.
"""

import csv
import json
import os
import re
import subprocess
import sys

import pytest

from cli_assertions import assert_one_line_error

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TINY = ['--env=CartPole-v1', '--hidden_sizes=16', '--batch_size=16',
        '--replay_capacity=1000', '--learning_starts=100', '--eval_every=200',
        '--eval_episodes=3', '--checkpoint_every=200', '--num_steps=400',
        '--progress_every_s=1000', '--seed=0']
EPISODE = re.compile(r'^episode (\d+)/(\d+): return (\S+), length (\d+)$')


def _evaluate(*args):
  return subprocess.run(
      [sys.executable, '-m', 'graphrl.evaluate'] + list(args), cwd=ROOT,
      env=dict(os.environ, PYTHONPATH=ROOT), capture_output=True, text=True,
      timeout=300)


def _summary(process):
  assert process.returncode == 0, process.stderr
  return json.loads(process.stdout.strip().splitlines()[-1])


@pytest.fixture(scope='module')
def run(tmp_path_factory):
  logdir = str(tmp_path_factory.mktemp('run'))
  process = subprocess.run(
      [sys.executable, '-m', 'graphrl.train', *TINY, '--logdir=' + logdir],
      cwd=ROOT, env=dict(os.environ, PYTHONPATH=ROOT), capture_output=True,
      text=True, timeout=300)
  assert process.returncode == 0, process.stderr
  return logdir


def _evaluations(logdir):
  with open(os.path.join(logdir, 'evaluations.csv'), encoding='utf-8') as f:
    return {int(row['step']): row for row in csv.DictReader(f)}


def test_step_replays_the_runs_evaluation_of_that_checkpoint(run):
  row = _evaluations(run)[200]
  summary = _summary(_evaluate('--logdir=' + run, '--step=200',
                               '--seed=10000', '--episodes=3'))
  assert summary['checkpoint_step'] == 200
  for key in ('mean_return', 'min_return', 'max_return'):
    assert summary[key] == pytest.approx(float(row[key]))


def test_best_evaluates_the_best_evaluated_checkpoint(run):
  evals = _evaluations(run)
  assert sorted(evals) == [200, 400]
  best = max(sorted(evals), key=lambda step: float(
      evals[step]['mean_return']))  # The first of the best.
  summary = _summary(_evaluate('--logdir=' + run, '--best', '--episodes=1'))
  assert summary['checkpoint_step'] == best
  assert _summary(_evaluate('--logdir=' + run, '--episodes=1'))[
      'checkpoint_step'] == 400


def test_a_line_per_finished_episode_then_the_summary(run):
  process = _evaluate('--logdir=' + run, '--episodes=4')
  summary = _summary(process)
  lines = process.stdout.strip().splitlines()
  matches = [EPISODE.match(line) for line in lines[:-1]]
  assert all(matches) and len(matches) == 4, lines
  assert [int(m.group(1)) for m in matches] == [1, 2, 3, 4]
  assert {int(m.group(2)) for m in matches} == {4}
  # Printed in the order the episodes end: by length.
  lengths = [int(m.group(4)) for m in matches]
  assert lengths == sorted(lengths)
  assert sorted(float(m.group(3)) for m in matches) == pytest.approx(
      sorted(summary['returns']), abs=0.05)
  assert sum(lengths) == 4 * summary['mean_length']


@pytest.mark.parametrize('flags, fragments', [
    (['--step=300'], ['holds no checkpoint of step 300',
                      'it holds: 200, 400']),
    (['--step=200', '--best'], ['--step and --best exclude each other']),
])
def test_bad_checkpoint_flags_are_a_one_line_error(run, flags, fragments):
  process = _evaluate('--logdir=' + run, '--episodes=1', *flags)
  assert_one_line_error(process, *fragments)
  assert not process.stdout


def test_best_without_an_evaluated_checkpoint_is_a_one_line_error(
    run, tmp_path):
  with open(os.path.join(run, 'graphrl.json'), encoding='utf-8') as f:
    (tmp_path / 'graphrl.json').write_text(f.read())
  assert_one_line_error(_evaluate('--logdir=%s' % tmp_path, '--best'),
                        '%s holds no evaluated checkpoint' % tmp_path)


if __name__ == '__main__':
  sys.exit(pytest.main([__file__]))
