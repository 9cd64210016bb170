"""End-to-end tests of the `graphrl.train` and `graphrl.evaluate` binaries.

Each test runs the binaries as a user would, in a subprocess, on short
CartPole runs: bad input, resume, SIGTERM, SIGKILL, NaN and reproducibility.
"""

import csv
import hashlib
import json
import os
import signal
import subprocess
import sys
import time

import pytest
import tensorflow as tf

from cli_assertions import assert_one_line_error

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# A small, fast configuration: training starts after 200 steps.
SMALL = ['--env=CartPole-v1', '--hidden_sizes=16', '--batch_size=16',
         '--replay_capacity=1000', '--learning_starts=200',
         '--epsilon_steps=500', '--eval_every=0', '--eval_episodes=2',
         '--checkpoint_every=200', '--progress_every_s=1000']


def _run(module, *args, timeout=300):
  env = dict(os.environ, PYTHONPATH=ROOT)
  return subprocess.run(
      [sys.executable, '-m', module] + list(args), cwd=ROOT, env=env,
      capture_output=True, text=True, timeout=timeout)


def train(*args, **kwargs):
  return _run('graphrl.train', *args, **kwargs)


def _summary(process):
  assert process.returncode == 0, process.stderr
  return json.loads(process.stdout.strip().splitlines()[-1])


def _snapshot(directory):
  """{relative path: sha256} of every file below `directory`."""
  digests = {}
  for root, _, files in os.walk(directory):
    for name in files:
      path = os.path.join(root, name)
      with open(path, 'rb') as f:
        digests[os.path.relpath(path, directory)] = hashlib.sha256(
            f.read()).hexdigest()
  return digests


def _returns(logdir):
  with open(os.path.join(logdir, 'episodes.csv'), encoding='utf-8') as f:
    return [(int(row['step']), float(row['return']))
            for row in csv.DictReader(f)]


@pytest.mark.parametrize('flag, fragment', [
    ('--env=CartPole-v9', 'Unknown environment id'),
    ('--agent=sarsa', 'agent'),
    ('--env=Pendulum-v1', 'discrete action space'),
    ('--replay_capacity=8', 'replay_capacity (8) must be at least batch_size'),
    ('--learning_rate=0', 'learning_rate must be positive'),
    ('--gamma=1.5', 'gamma must lie in [0, 1]'),
    ('--num_steps=abc', 'num_steps'),
    ('--threads=-1', '--threads must be >= 0, got -1'),
    ('--flagfile=flags/no_such.flags', 'no_such.flags'),
    ('--max_episode_steps=-1', '--max_episode_steps=-1'),
    ('--max_episode_steps=0', '--max_episode_steps=0'),
])
def test_bad_input_is_one_line_error(tmp_path, flag, fragment):
  process = train(*SMALL, '--num_steps=100', '--logdir=%s' % tmp_path, flag)
  assert_one_line_error(process, fragment)
  assert not os.listdir(tmp_path)


@pytest.mark.parametrize('flags', [
    SMALL + ['--loop=graph'],                        # CartPole in TF ops
    ['--agent=ddpg', '--env=Pendulum-v1', '--loop=python'],
    ['--agent=td3', '--env=Pendulum-v1', '--loop=python'],
])
def test_learner_thread_outside_the_python_dqn_loop_is_refused(tmp_path,
                                                               flags):
  process = train(*flags, '--num_steps=100', '--logdir=%s' % tmp_path,
                  '--learner_thread')
  assert_one_line_error(process, '--learner_thread needs --loop=python and '
                        '--agent=dqn')
  assert not os.listdir(tmp_path)


def test_learner_thread_keeps_the_serial_train_cadence(tmp_path):
  # Train steps at s = 200, 201, ..., 599 after storing transition s: 400,
  # all taken before the final checkpoint.
  logdir = str(tmp_path / 'run')
  summary = _summary(train(*SMALL, '--loop=python', '--learner_thread',
                           '--num_steps=600', '--logdir=' + logdir))
  assert summary['steps'] == 600 and summary['episodes'] > 0
  reader = tf.train.load_checkpoint(
      os.path.join(logdir, 'checkpoints', 'ckpt-600', 'ckpt'))
  assert reader.get_tensor('dqn/train_steps') == 400
  assert reader.get_tensor('dqn/env_steps') == 600


def test_setting_of_another_agent_is_refused(tmp_path):
  process = train('--agent=reinforce', '--tau=0.1', '--replay=prioritized',
                  '--logdir=%s' % tmp_path)
  assert_one_line_error(process, '--replay, --tau: not a setting of agent '
                         'reinforce')


@pytest.mark.parametrize('agent', ['reinforce', 'a2c'])
def test_on_policy_agent_trains_resumes_and_evaluates(tmp_path, agent):
  logdir = str(tmp_path / 'run')
  flags = ['--agent=' + agent, '--env=CartPole-v1', '--num_envs=4',
           '--hidden_sizes=16', '--eval_every=0', '--eval_episodes=2',
           '--checkpoint_every=1000', '--progress_every_s=1000',
           '--logdir=' + logdir]
  first = _summary(train(*flags, '--num_steps=1500'))
  assert first['steps'] >= 1500 and first['episodes'] > 0
  resumed = train(*flags, '--num_steps=3000')
  assert 'Resuming from the checkpoint of step %d' % first['steps'] in (
      resumed.stdout)
  assert _summary(resumed)['steps'] >= 3000
  evaluation = _summary(_run('graphrl.evaluate', '--logdir=' + logdir,
                             '--episodes=2'))
  assert evaluation['episodes'] == 2 and evaluation['min_return'] >= 1


@pytest.mark.parametrize('loop', ['python', 'graph'])
def test_n_step_dueling_double_prioritized_dqn_trains_and_resumes(tmp_path,
                                                                  loop):
  logdir = str(tmp_path / 'run')
  flags = SMALL + ['--loop=' + loop, '--replay=prioritized', '--n_step=3',
                   '--dueling', '--double_q', '--logdir=' + logdir]
  assert _summary(train(*flags, '--num_steps=400'))['steps'] == 400
  second = train(*flags, '--num_steps=800')
  assert 'Resuming from the checkpoint of step 400' in second.stdout
  assert _summary(second)['steps'] == 800
  reader = tf.train.load_checkpoint(
      os.path.join(logdir, 'checkpoints', 'ckpt-800', 'ckpt'))
  shapes = reader.get_variable_to_shape_map()
  assert shapes['dqn/q/value/weights'] == [16, 1]  # The dueling head.
  assert reader.get_tensor('dqn/train_steps') > 0


def test_resume_continues_from_the_last_checkpoint(tmp_path):
  logdir = str(tmp_path / 'run')
  process = train(*SMALL, '--num_steps=400', '--logdir=' + logdir,
                  '--stop_eval_return=1000')
  first = _summary(process)
  assert (first['steps'], first['stop_reason'], first['stopped_early'],
          first['reached_stop_eval_return']) == (400, 'num_steps', False,
                                                 False)
  ending = process.stdout.strip().splitlines()[-2]
  assert ending.startswith('ran out of steps: --num_steps=400 reached at '
                           'step 400 (0:')
  assert 'last greedy mean ' in ending and ' at step 400, short of ' \
      '--stop_eval_return=1000; best checkpoint: ' in ending
  assert 'rerun with a larger --num_steps' in ending
  second = train(*SMALL, '--num_steps=800', '--logdir=' + logdir)
  assert 'Resuming from the checkpoint of step 400' in second.stdout
  assert _summary(second)['steps'] == 800
  steps = [step for step, _ in _returns(logdir)]
  assert steps == sorted(steps) and len(set(steps)) == len(steps)
  evaluation = _summary(_run('graphrl.evaluate', '--logdir=' + logdir,
                             '--episodes=3'))
  assert evaluation['episodes'] == 3 and evaluation['checkpoint_step'] == 800
  assert 1 <= evaluation['min_return'] <= evaluation['max_return'] <= 500


def test_same_seed_same_returns(tmp_path):
  runs = []
  for name in ('a', 'b'):
    logdir = str(tmp_path / name)
    _summary(train(*SMALL, '--num_steps=4000', '--seed=3',
                   '--logdir=' + logdir))
    runs.append(_returns(logdir))
  assert runs[0] == runs[1] and len(runs[0]) > 10
  other = str(tmp_path / 'other_seed')
  _summary(train(*SMALL, '--num_steps=4000', '--seed=4', '--logdir=' + other))
  assert _returns(other) != runs[0]


def test_other_agents_logdir_is_refused_and_untouched(tmp_path):
  logdir = str(tmp_path / 'run')
  _summary(train(*SMALL, '--num_steps=200', '--logdir=' + logdir))
  before = _snapshot(logdir)
  process = train(*SMALL, '--num_steps=400', '--env=Acrobot-v1',
                  '--logdir=' + logdir)
  assert_one_line_error(process, 'env')
  assert _snapshot(logdir) == before


def test_unreadable_checkpoint_is_refused_and_untouched(tmp_path):
  logdir = str(tmp_path / 'run')
  _summary(train(*SMALL, '--num_steps=200', '--logdir=' + logdir))
  checkpoint = os.path.join(logdir, 'checkpoints', 'ckpt-200')
  data = [name for name in os.listdir(checkpoint) if '.data-' in name][0]
  with open(os.path.join(checkpoint, data), 'r+b') as f:
    f.truncate(10)
  before = _snapshot(logdir)
  process = train(*SMALL, '--num_steps=400', '--logdir=' + logdir)
  assert_one_line_error(process, 'ckpt-200')
  assert _snapshot(logdir) == before


def test_nan_loss_stops_and_keeps_the_last_good_checkpoint(tmp_path):
  logdir = str(tmp_path / 'run')
  process = train(*SMALL, '--num_steps=5000', '--logdir=' + logdir,
                  '--learning_rate=1e30', '--grad_clip=0', '--loss=mse')
  assert_one_line_error(process, 'the loss became', 'last good checkpoint '
                         'is step 200')
  assert sorted(os.listdir(os.path.join(logdir, 'checkpoints'))) == [
      'checkpoint', 'ckpt-200']


def test_nan_loss_on_an_existing_run_leaves_it_untouched(tmp_path):
  logdir = str(tmp_path / 'run')
  _summary(train(*SMALL, '--num_steps=200', '--logdir=' + logdir))
  before = _snapshot(logdir)
  process = train(*SMALL, '--num_steps=5000', '--logdir=' + logdir,
                  '--learning_rate=1e30', '--grad_clip=0', '--loss=mse',
                  '--allow_changed_settings')
  assert_one_line_error(process, 'the loss became', 'last good checkpoint '
                         'is step 200')
  assert _snapshot(logdir) == before  # No new event file, no new rows.


def test_changed_settings_are_refused_or_recorded(tmp_path):
  logdir = str(tmp_path / 'run')
  _summary(train(*SMALL, '--num_steps=200', '--logdir=' + logdir))
  before = _snapshot(logdir)
  process = train(*SMALL, '--num_steps=400', '--logdir=' + logdir,
                  '--learning_rate=0.002', '--seed=1')
  assert_one_line_error(
      process, '--learning_rate: 0.001 in the run, 0.002 now',
      '--seed: 0 in the run, 1 now', 'use a new --logdir',
      '--allow_changed_settings')
  assert _snapshot(logdir) == before
  allowed = train(*SMALL, '--num_steps=400', '--logdir=' + logdir,
                  '--learning_rate=0.002', '--allow_changed_settings')
  assert _summary(allowed)['steps'] == 400
  with open(os.path.join(logdir, 'graphrl.json'), encoding='utf-8') as f:
    metadata = json.load(f)
  assert metadata['config']['learning_rate'] == 0.002
  assert metadata['changes'] == [{'step': 200, 'settings': {
      'learning_rate': {'old': 0.001, 'new': 0.002}}}]
  # The recorded settings are the run's own now; schedule flags may change.
  again = train(*SMALL, '--num_steps=600', '--logdir=' + logdir,
                '--learning_rate=0.002', '--eval_episodes=3')
  assert _summary(again)['steps'] == 600


def test_a_logdir_at_or_below_a_file_is_refused_before_training(tmp_path):
  path = tmp_path / 'file'
  path.write_text('x')
  for logdir in (path, path / 'run'):
    process = train(*SMALL, '--num_steps=100', '--logdir=%s' % logdir)
    assert_one_line_error(process, '--logdir=%s: %s is a file, not a '
                          'directory' % (logdir, path))
    assert 'Training' not in process.stdout
  assert os.listdir(tmp_path) == ['file'] and path.read_text() == 'x'


def test_an_unwritable_logdir_is_refused_before_training():
  # sysfs lets nobody, root included, create a file in /sys.
  process = train(*SMALL, '--num_steps=100', '--logdir=/sys/graphrl_run')
  assert_one_line_error(process, '--logdir=/sys/graphrl_run: cannot write '
                        'in /sys')
  assert 'Training' not in process.stdout


def test_a_flagfile_without_flagfile_gets_a_hint():
  process = train('flags/dqn_cartpole.flags')
  assert_one_line_error(
      process, 'unexpected argument flags/dqn_cartpole.flags; did you mean '
      '--flagfile=flags/dqn_cartpole.flags?')


def test_a_solved_run_says_so_and_what_next(tmp_path):
  logdir = str(tmp_path / 'run')
  process = train(*SMALL, '--num_steps=5000', '--logdir=' + logdir,
                  '--eval_every=200', '--stop_eval_return=1')
  summary = _summary(process)
  assert (summary['stop_reason'], summary['stopped_early'],
          summary['reached_stop_eval_return'], summary['steps']) == (
              'solved', True, True, 200)
  ending = process.stdout.strip().splitlines()[-2]
  assert ending.startswith('solved: greedy mean ')
  assert '>= 1 at step 200 (0:' in ending
  assert 'best checkpoint: %s' % os.path.join(
      logdir, 'checkpoints', 'ckpt-200', 'ckpt') in ending
  assert ending.endswith('next: python -m graphrl.evaluate --logdir=' +
                         logdir)


@pytest.mark.parametrize('command', [
    ['-m', 'graphrl.train'],
    ['-c', 'from graphrl import train; train.run()'],  # A console script.
])
def test_help_lists_graphrls_flags_only(command):
  process = subprocess.run(
      [sys.executable] + command + ['--help'], cwd=ROOT,
      env=dict(os.environ, PYTHONPATH=ROOT), capture_output=True, text=True,
      timeout=300)
  for flag in ('--agent:', '--learning_rate: Default: ',
               '--[no]allow_changed_settings:'):
    assert flag in process.stdout
  for flag in ('--test_srcdir', '--xml_output_file', '--logtostderr'):
    assert flag not in process.stdout


def _start(logdir, num_steps):
  env = dict(os.environ, PYTHONPATH=ROOT)
  return subprocess.Popen(
      [sys.executable, '-m', 'graphrl.train', *SMALL,
       '--num_steps=%d' % num_steps, '--logdir=' + logdir],
      cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
      text=True)


def _wait_for_checkpoint(logdir, process, timeout=120):
  directory = os.path.join(logdir, 'checkpoints')
  deadline = time.time() + timeout
  while time.time() < deadline and process.poll() is None:
    if os.path.isdir(directory) and any(
        name.startswith('ckpt-') for name in os.listdir(directory)):
      return
    time.sleep(0.05)
  raise AssertionError('no checkpoint appeared')


def test_sigterm_saves_and_resumes(tmp_path):
  logdir = str(tmp_path / 'run')
  process = _start(logdir, 10**6)
  _wait_for_checkpoint(logdir, process)
  process.send_signal(signal.SIGTERM)
  stdout, stderr = process.communicate(timeout=60)
  assert process.returncode == 0, stderr
  summary = json.loads(stdout.strip().splitlines()[-1])
  assert summary['stopped_early'] and summary['steps'] >= 200
  assert summary['stop_reason'] == 'signal'
  assert stdout.strip().splitlines()[-2].startswith(
      'stopped on request (SIGTERM) at step %s (' % format(summary['steps'],
                                                           ','))
  resumed = train(*SMALL, '--num_steps=%d' % (summary['steps'] + 10),
                  '--logdir=' + logdir)
  assert ('Resuming from the checkpoint of step %d' % summary['steps']
          in resumed.stdout)


def test_sigkill_at_any_moment_resumes(tmp_path):
  logdir = str(tmp_path / 'run')
  for delay in (0.0, 0.7, 1.9):
    process = _start(logdir, 10**6)
    _wait_for_checkpoint(logdir, process)
    time.sleep(delay)
    process.kill()
    process.communicate()
  resumed = train(*SMALL, '--num_steps=50', '--logdir=' + logdir)
  summary = _summary(resumed)
  assert 'Resuming from the checkpoint' in resumed.stdout
  steps = [step for step, _ in _returns(logdir)]
  assert all(step <= summary['steps'] for step in steps)
  assert len(set(steps)) == len(steps)


if __name__ == '__main__':
  sys.exit(pytest.main([__file__]))
