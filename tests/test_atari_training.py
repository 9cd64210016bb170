"""Smoke test of the Atari path: a few hundred Pong steps of DQN.

`flags/dqn_pong.flags` shrunk to a tiny replay and run: preprocessed frames
(`envs.load_atari`), frame-deduplicated replay with 3-step returns, a
serial run's checkpoint, a resume with the flagfile's learner thread that
continues from it at the serial loop's train cadence, and an evaluation of
whole games with raw scores; then `graphrl.evaluate` on the run, also
with the QR-DQN quantile head (`--head=quantile`). The serial loop runs
the session on two threads, which must not cost reproducibility.
"""

import csv
import json
import os
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# 300 agent steps per run; one greedy game, cut at 2,000 frames.
TINY = ['--flagfile=flags/dqn_pong.flags', '--replay_capacity=400',
        '--learning_starts=100', '--epsilon_steps=200', '--eval_every=0',
        '--eval_episodes=1', '--checkpoint_every=300',
        '--max_episode_steps=2000', '--progress_every_s=1000']
SERIAL = TINY + ['--nolearner_thread']


def _run(module, *args):
  env = dict(os.environ, PYTHONPATH=ROOT)
  process = subprocess.run(
      [sys.executable, '-m', module] + list(args), cwd=ROOT, env=env,
      capture_output=True, text=True, timeout=600)
  assert process.returncode == 0, process.stderr
  return json.loads(process.stdout.strip().splitlines()[-1]), process.stdout


def _reader(logdir, step):
  return tf.train.load_checkpoint(
      os.path.join(logdir, 'checkpoints', 'ckpt-%d' % step, 'ckpt'))


def _checkpoint(logdir, step):
  reader = _reader(logdir, step)
  return {name: reader.get_tensor(name)
          for name in reader.get_variable_to_shape_map()}


@pytest.fixture(scope='module')
def pong_run(tmp_path_factory):
  """A 300-step serial run: its logdir, summary and checkpoint values."""
  logdir = str(tmp_path_factory.mktemp('pong'))
  summary, _ = _run('graphrl.train', *SERIAL, '--num_steps=300',
                    '--logdir=' + logdir)
  return logdir, summary, _checkpoint(logdir, 300)


def test_pong_trains_checkpoints_resumes_and_evaluates(pong_run):
  logdir, first, _ = pong_run
  assert first['loop'] == 'python' and first['steps'] == 300
  with open(os.path.join(logdir, 'graphrl.json'), encoding='utf-8') as f:
    assert json.load(f)['atari_preprocessing'] is True
  second, output = _run('graphrl.train', *TINY, '--num_steps=600',
                        '--logdir=' + logdir)
  assert 'Resuming from the checkpoint of step 300.' in output
  assert second['steps'] == 600
  saved = os.listdir(os.path.join(logdir, 'checkpoints'))
  assert {'ckpt-300', 'ckpt-600'} <= set(saved)
  # Train steps at s = 100, 102, ..., 298, and after the resume (whose first
  # step stores nothing) at 302, ..., 598: 100 + 149, all taken by the
  # learner thread before the checkpoint.
  assert _reader(logdir, 600).get_tensor('dqn/train_steps') == 249
  # Greedy games are scored in raw points: Pong's lie in [-21, 21].
  with open(os.path.join(logdir, 'evaluations.csv'), encoding='utf-8') as f:
    rows = list(csv.DictReader(f))
  assert [int(row['step']) for row in rows] == [300, 600]
  assert all(-21 <= float(row['mean_return']) <= 21 for row in rows)
  result, _ = _run('graphrl.evaluate', '--logdir=' + logdir, '--episodes=1')
  assert result['checkpoint_step'] == 600
  assert -21 <= result['mean_return'] <= 21


def test_prioritized_frames_train_checkpoint_and_resume(tmp_path):
  logdir = str(tmp_path / 'prioritized')
  flags = TINY + ['--replay=prioritized_frames', '--logdir=' + logdir]
  _run('graphrl.train', *flags, '--num_steps=300')
  second, output = _run('graphrl.train', *flags, '--num_steps=400')
  assert 'Resuming from the checkpoint of step 300.' in output
  assert second['steps'] == 400
  values = _checkpoint(logdir, 400)
  priorities = [values[name] for name in values
                if name.endswith('/priorities')]
  steps, = [values[name] for name in values
            if name.endswith('prioritized_frame_replay/steps')]
  assert len(priorities) == 1 and steps.shape == (1,) and 0 < steps[0] <= 400
  stored = priorities[0][:steps[0]]
  # Sampled steps hold |td| + epsilon, the others the largest priority.
  assert np.all(stored > 0) and len(np.unique(stored)) > 1


def test_quantile_head_trains_checkpoints_resumes_and_evaluates(tmp_path):
  # QR-DQN's head (16 quantiles) on the flagfile's dueling a3c network.
  logdir = str(tmp_path / 'quantile')
  flags = TINY + ['--head=quantile', '--num_quantiles=16',
                  '--logdir=' + logdir]
  first, _ = _run('graphrl.train', *flags, '--nolearner_thread',
                  '--num_steps=200')
  assert first['steps'] == 200
  second, output = _run('graphrl.train', *flags, '--num_steps=300')
  assert 'Resuming from the checkpoint of step 200.' in output
  assert second['steps'] == 300
  reader = _reader(logdir, 300)
  shapes = reader.get_variable_to_shape_map()
  # V [256, 1 * N] and A [256, 6 * N] for Pong's 6 actions.
  assert shapes['dqn/q/value/weights'] == [256, 16]
  assert shapes['dqn/q/advantage/weights'] == [256, 96]
  # Train steps at s = 100, 102, ..., 198 and after the resume (whose first
  # step stores nothing) at 202, ..., 298: 50 + 49.
  assert reader.get_tensor('dqn/train_steps') == 99
  result, _ = _run('graphrl.evaluate', '--logdir=' + logdir, '--episodes=1')
  assert result['checkpoint_step'] == 300
  assert -21 <= result['mean_return'] <= 21


def test_a2c_with_the_a3c_network_trains_resumes_and_evaluates(tmp_path):
  # The conv + GRU network of seed 000 on 2 games in 5-step rollouts.
  logdir = str(tmp_path / 'a2c')
  tiny = ['--flagfile=flags/a2c_pong.flags', '--num_envs=2',
          '--eval_every=0', '--eval_episodes=1', '--checkpoint_every=100',
          '--max_episode_steps=2000', '--progress_every_s=1000',
          '--logdir=' + logdir]
  first, _ = _run('graphrl.train', *tiny, '--num_steps=100')
  assert first['loop'] == 'python' and first['steps'] >= 100
  second, output = _run('graphrl.train', *tiny, '--num_steps=200')
  assert 'Resuming from the checkpoint of step %d.' % first['steps'] in output
  assert second['steps'] >= 200
  shapes = _reader(logdir, second['steps']).get_variable_to_shape_map()
  assert shapes['a2c/torso/conv1/weights'] == [8, 8, 4, 16]
  assert shapes['a2c/recurrent/state'] == [2, 256]
  result, _ = _run('graphrl.evaluate', '--logdir=' + logdir, '--episodes=1')
  assert -21 <= result['mean_return'] <= 21


def test_two_thread_runs_of_a_seed_are_identical(pong_run, tmp_path):
  # The serial loop on the flagfile's two session threads; a second run
  # must repeat the first.
  logdir = str(tmp_path / 'again')
  _run('graphrl.train', *SERIAL, '--num_steps=300', '--logdir=' + logdir)
  first, second = pong_run[2], _checkpoint(logdir, 300)
  assert sorted(first) == sorted(second)
  assert first['dqn/train_steps'] == 100  # (300 - 100) / 2: it trained.
  for name in first:
    np.testing.assert_array_equal(first[name], second[name], err_msg=name)
