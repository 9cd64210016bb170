"""Smoke test of the Atari path: a few hundred Pong steps of the Nature DQN.

`flags/dqn_pong.flags` shrunk to a tiny replay and run: preprocessed frames
(`envs.load_atari`), frame-deduplicated replay, the Nature network, a
checkpoint, a resume that continues from it, and an evaluation of whole
games with raw scores; then `graphrl.evaluate` on the run.
"""

import csv
import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# 300 agent steps per run; one greedy game, cut at 2,000 frames.
TINY = ['--flagfile=flags/dqn_pong.flags', '--replay_capacity=400',
        '--learning_starts=100', '--epsilon_steps=200', '--eval_every=0',
        '--eval_episodes=1', '--checkpoint_every=300',
        '--max_episode_steps=2000', '--progress_every_s=1000']


def _run(module, *args):
  env = dict(os.environ, PYTHONPATH=ROOT)
  process = subprocess.run(
      [sys.executable, '-m', module] + list(args), cwd=ROOT, env=env,
      capture_output=True, text=True, timeout=600)
  assert process.returncode == 0, process.stderr
  return json.loads(process.stdout.strip().splitlines()[-1]), process.stdout


def test_pong_trains_checkpoints_resumes_and_evaluates(tmp_path):
  logdir = str(tmp_path / 'pong')
  first, _ = _run('graphrl.train', *TINY, '--num_steps=300',
                  '--logdir=' + logdir)
  assert first['loop'] == 'python' and first['steps'] == 300
  with open(os.path.join(logdir, 'graphrl.json'), encoding='utf-8') as f:
    assert json.load(f)['atari_preprocessing'] is True
  second, output = _run('graphrl.train', *TINY, '--num_steps=600',
                        '--logdir=' + logdir)
  assert 'Resuming from the checkpoint of step 300.' in output
  assert second['steps'] == 600
  saved = os.listdir(os.path.join(logdir, 'checkpoints'))
  assert {'ckpt-300', 'ckpt-600'} <= set(saved)
  # Greedy games are scored in raw points: Pong's lie in [-21, 21].
  with open(os.path.join(logdir, 'evaluations.csv'), encoding='utf-8') as f:
    rows = list(csv.DictReader(f))
  assert [int(row['step']) for row in rows] == [300, 600]
  assert all(-21 <= float(row['mean_return']) <= 21 for row in rows)
  result, _ = _run('graphrl.evaluate', '--logdir=' + logdir, '--episodes=1')
  assert result['checkpoint_step'] == 600
  assert -21 <= result['mean_return'] <= 21
