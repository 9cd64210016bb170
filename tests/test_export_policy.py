"""scripts/export_policy.py on a tiny DQN run: weights only, evaluable,
and a SavedModel that TensorFlow 2 runs without graphrl."""

import csv
import os
import sys

import numpy as np
import pytest
import tensorflow as tf

import graphrl
from cli_assertions import assert_one_line_error
from cli_assertions import run_python
from saved_model_testing import saved_model_actions

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCRIPT = os.path.join(ROOT, 'scripts', 'export_policy.py')
TINY = ['--env=CartPole-v1', '--hidden_sizes=16', '--batch_size=16',
        '--replay_capacity=1000', '--learning_starts=100', '--eval_every=200',
        '--eval_episodes=2', '--checkpoint_every=200', '--num_steps=400',
        '--progress_every_s=1000']


@pytest.fixture(scope='module')
def run(tmp_path_factory):
  logdir = str(tmp_path_factory.mktemp('run'))
  process = run_python('-m', 'graphrl.train', *TINY, '--logdir=' + logdir)
  assert process.returncode == 0, process.stderr
  return logdir


def _variables(logdir, step):
  reader = tf.train.load_checkpoint(
      os.path.join(logdir, 'checkpoints', 'ckpt-%d' % step, 'ckpt'))
  return reader.get_variable_to_shape_map()


def test_exports_the_policy_weights_alone_and_the_records(run, tmp_path):
  out = str(tmp_path / 'export')
  process = run_python(SCRIPT, '--logdir=' + run, '--out=' + out)
  assert process.returncode == 0, process.stderr
  assert 'Exported the policy of step 400' in process.stdout
  assert sorted(os.listdir(out)) == [
      'checkpoints', 'episodes.csv', 'evaluations.csv', 'graphrl.json',
      'saved_model']
  full, exported = _variables(run, 400), _variables(out, 400)
  # 4 -> 16 -> 2: the online MLP's two layers; no Adam slots, target network,
  # counters or replay buffer.
  assert sorted(exported) == ['dqn/q/hidden_0/biases', 'dqn/q/hidden_0/weights',
                              'dqn/q/output/biases', 'dqn/q/output/weights']
  assert set(exported) < set(full)
  for name in ('episodes.csv', 'evaluations.csv'):
    with open(os.path.join(run, name), encoding='utf-8') as f:
      with open(os.path.join(out, name), encoding='utf-8') as g:
        assert f.read() == g.read()
  evaluation = run_python('-m', 'graphrl.evaluate', '--logdir=' + out,
                       '--episodes=2')
  assert evaluation.returncode == 0, evaluation.stderr
  assert '"checkpoint_step": 400' in evaluation.stdout


def test_the_saved_model_acts_like_the_exported_policy(run, tmp_path):
  out = str(tmp_path / 'export')
  process = run_python(SCRIPT, '--logdir=' + run, '--out=' + out, '--step=200')
  assert process.returncode == 0, process.stderr
  observations = np.random.RandomState(0).uniform(
      -2, 2, (100, 4)).astype(np.float32)
  with graphrl.load_policy(out) as policy:
    assert policy.step == 200
    expected = policy.actions(observations)
  assert len(set(expected)) == 2  # Both actions occur.
  actions = saved_model_actions(os.path.join(out, 'saved_model'),
                                observations, str(tmp_path))
  np.testing.assert_array_equal(actions, expected)


def test_exports_the_checkpoint_of_a_step_and_the_records_up_to_it(
    run, tmp_path):
  out = str(tmp_path / 'export')
  process = run_python(SCRIPT, '--logdir=' + run, '--out=' + out, '--step=200')
  assert process.returncode == 0, process.stderr
  assert sorted(os.listdir(os.path.join(out, 'checkpoints'))) == [
      'checkpoint', 'ckpt-200']
  with open(os.path.join(out, 'episodes.csv'), encoding='utf-8') as f:
    steps = [int(line.split(',')[0]) for line in f.readlines()[1:]]
  with open(os.path.join(run, 'episodes.csv'), encoding='utf-8') as f:
    all_steps = [int(line.split(',')[0]) for line in f.readlines()[1:]]
  assert steps == [step for step in all_steps if step <= 200]
  assert len(steps) < len(all_steps)


def test_best_exports_the_checkpoint_of_the_best_evaluation(run, tmp_path):
  with open(os.path.join(run, 'evaluations.csv'), encoding='utf-8') as f:
    evals = [(float(row['mean_return']), -int(row['step']))
             for row in csv.DictReader(f)]
  assert [-step for _, step in evals] == [200, 400]
  best = -max(evals)[1]  # The first of the best.
  out = str(tmp_path / 'export')
  process = run_python(SCRIPT, '--logdir=' + run, '--out=' + out, '--best')
  assert process.returncode == 0, process.stderr
  assert 'Exported the policy of step %d' % best in process.stdout
  assert sorted(os.listdir(os.path.join(out, 'checkpoints'))) == [
      'checkpoint', 'ckpt-%d' % best]


def test_step_and_best_together_are_a_one_line_error(run, tmp_path):
  out = tmp_path / 'export'
  process = run_python(SCRIPT, '--logdir=' + run, '--out=%s' % out,
                    '--step=200', '--best')
  assert_one_line_error(process, '--step and --best exclude each other')
  assert not out.exists()


def test_a_step_without_a_checkpoint_is_a_one_line_error(run, tmp_path):
  out = tmp_path / 'export'
  process = run_python(SCRIPT, '--logdir=' + run, '--out=%s' % out, '--step=300')
  assert_one_line_error(process, 'holds no checkpoint of step 300',
                        'it holds: 200, 400')
  assert not out.exists()


def test_a_non_empty_out_is_refused_and_left_alone(run, tmp_path):
  (tmp_path / 'notes.txt').write_text('mine')
  process = run_python(SCRIPT, '--logdir=' + run, '--out=%s' % tmp_path)
  assert_one_line_error(process, 'is not empty')
  assert os.listdir(tmp_path) == ['notes.txt']


def test_a_logdir_without_a_run_is_a_one_line_error(tmp_path):
  process = run_python(SCRIPT, '--logdir=%s' % tmp_path,
                    '--out=%s' % (tmp_path / 'out'))
  assert_one_line_error(process, 'holds no training run')
  assert not (tmp_path / 'out').exists()


@pytest.mark.parametrize('metadata, message', [
    ('{"agent": "ppo", "env": "CartPole-v1"}',
     "the run names agent 'ppo'; known: a2c, ddpg, dqn, reinforce, td3"),
    ('{"agent": "dqn", "env": "Pong"}',
     "the run names an unknown environment: Unknown environment id 'Pong'"),
    ('{"agent": "dqn"}', 'the run names no environment'),
])
def test_a_run_of_an_unknown_agent_or_env_is_a_one_line_error(
    tmp_path, metadata, message):
  (tmp_path / 'graphrl.json').write_text(metadata)
  process = run_python(SCRIPT, '--logdir=%s' % tmp_path,
                    '--out=%s' % (tmp_path / 'out'))
  assert_one_line_error(process, message)
  assert not (tmp_path / 'out').exists()


if __name__ == '__main__':
  sys.exit(pytest.main([__file__]))
