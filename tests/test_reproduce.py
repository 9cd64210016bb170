"""scripts/reproduce.py end to end on a tiny DQN run."""

import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCRIPT = os.path.join(ROOT, 'scripts', 'reproduce.py')


def _reproduce(*args):
  return subprocess.run(
      [sys.executable, SCRIPT] + list(args), cwd=ROOT,
      env=dict(os.environ, PYTHONPATH=ROOT), capture_output=True, text=True,
      timeout=300)


def test_trains_evaluates_plots_and_tabulates(tmp_path):
  out = str(tmp_path / 'dqn')
  process = _reproduce(
      '--result=flags/dqn_cartpole.flags', '--seeds=0,1', '--out=' + out,
      '--eval_episodes=3', '--', '--num_steps=600', '--learning_starts=100',
      '--eval_every=0', '--eval_episodes=2')
  assert process.returncode == 0, process.stderr
  assert os.path.getsize(os.path.join(out, 'curve.png')) > 5000
  with open(os.path.join(out, 'results.md'), encoding='utf-8') as f:
    rows = [line for line in f if line.startswith('| `python -m')]
  assert len(rows) == 2
  # Each row: the command with its seed, 600 steps, 3 greedy episodes.
  for seed, row in enumerate(rows):
    cells = [cell.strip() for cell in row.split('|')[1:-1]]
    assert '--seed=%d' % seed in cells[0] and '--num_steps=600' in cells[0]
    assert cells[1] == str(seed) and cells[2] == '600'
    assert cells[5].endswith('(3 episodes)')


def test_missing_result_is_a_one_line_error(tmp_path):
  process = _reproduce('--result=flags/nope.flags', '--out=%s' % tmp_path)
  assert process.returncode == 2
  assert process.stderr.strip() == 'error: no flagfile flags/nope.flags'


if __name__ == '__main__':
  sys.exit(pytest.main([__file__]))
