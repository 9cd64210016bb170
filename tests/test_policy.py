"""`graphrl.load_policy` and its SavedModel, on tiny runs of every agent.

Each run trains a few hundred steps in a subprocess and evaluates greedily
once, at its end, on environments seeded `seed + 10000 + i`: the restored
policy must replay that evaluation's returns exactly.
"""

import csv
import os
import shutil
import sys

import numpy as np
import pytest

import graphrl
from graphrl import envs
from graphrl.training import cli
from graphrl.training import evaluation
from graphrl.training import saved_runs

from cli_assertions import assert_one_line_error
from cli_assertions import run_python
from saved_model_testing import saved_model_actions

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
COMMON = ['--eval_every=0', '--eval_episodes=2', '--checkpoint_every=200',
          '--num_steps=400', '--progress_every_s=1000', '--seed=0']
RUNS = {
    'dqn': ['--env=CartPole-v1', '--hidden_sizes=16', '--batch_size=16',
            '--replay_capacity=1000', '--learning_starts=100'],
    'reinforce': ['--agent=reinforce', '--env=CartPole-v1', '--num_envs=2',
                  '--hidden_sizes=16'],
    'a2c': ['--agent=a2c', '--env=CartPole-v1', '--num_envs=2',
            '--hidden_sizes=16'],
    'a2c_gru': ['--agent=a2c', '--torso=gru', '--gru_units=8',
                '--env=MaskedCartPole-v1', '--num_envs=2',
                '--hidden_sizes=16'],
    'ddpg': ['--agent=ddpg', '--env=Pendulum-v1', '--actor_hidden_sizes=16',
             '--critic_hidden_sizes=16,16', '--batch_size=16',
             '--replay_capacity=1000', '--learning_starts=100'],
    'td3': ['--agent=td3', '--env=Pendulum-v1', '--actor_hidden_sizes=16',
            '--critic_hidden_sizes=16,16', '--batch_size=16',
            '--replay_capacity=1000', '--learning_starts=100'],
}
FEEDFORWARD = ['dqn', 'reinforce', 'a2c', 'ddpg', 'td3']


@pytest.fixture(scope='module')
def runs(tmp_path_factory):
  """name -> logdir of its tiny run, trained on first use."""
  logdirs = {}

  def logdir(name):
    if name not in logdirs:
      path = str(tmp_path_factory.mktemp(name))
      process = run_python('-m', 'graphrl.train', *RUNS[name], *COMMON,
                        '--logdir=' + path)
      assert process.returncode == 0, process.stderr
      logdirs[name] = path
    return logdirs[name]

  return logdir


def _final_evaluation(logdir):
  with open(os.path.join(logdir, 'evaluations.csv'), encoding='utf-8') as f:
    return list(csv.DictReader(f))[-1]


def _observations(policy, count):
  """`count` observations [count, ...] of the run's environment."""
  env = saved_runs.load_env(policy.metadata, seed=7)
  observations, time_step = [], env.reset()
  for _ in range(count):
    observations.append(time_step.observation)
    spec = policy.action_spec
    action = np.full(spec.shape, spec.minimum, spec.dtype)
    time_step = env.step(action)
    if time_step.is_last():
      time_step = env.reset()
  env.close()
  return np.stack(observations)


@pytest.mark.parametrize('name', sorted(RUNS))
def test_policy_replays_the_final_evaluation_of_its_run(runs, name):
  logdir = runs(name)
  row = _final_evaluation(logdir)
  with graphrl.load_policy(logdir) as policy:
    assert policy.step == int(row['step'])
    assert policy.recurrent == (name == 'a2c_gru')
    eval_env = envs.BatchedPyEnvironment([
        saved_runs.load_env(policy.metadata, 10000 + i) for i in range(2)])
    returns, _ = evaluation.run_episodes(eval_env, policy.actions)
    eval_env.close()
    observations = _observations(policy, 5)
    policy.reset()
    batch = policy.actions(observations)
    policy.reset()
    one = policy.action(observations[0])
  assert np.mean(returns) == pytest.approx(float(row['mean_return']))
  assert np.min(returns) == pytest.approx(float(row['min_return']))
  assert len(batch) == 5
  np.testing.assert_array_equal(one, batch[0])
  if name in ('ddpg', 'td3'):
    assert batch.dtype == np.float32 and batch.shape == (5, 1)
  else:
    assert batch.dtype == np.int64 and set(batch) <= {0, 1}


def test_recurrent_policy_carries_each_episodes_state_until_reset(runs):
  with graphrl.load_policy(runs('a2c_gru')) as policy:
    observations = np.random.RandomState(0).uniform(
        -1, 1, (2, 100) + tuple(policy.observation_spec.shape)).astype(
            policy.observation_spec.dtype)
    together = np.stack([policy.actions(step)
                         for step in observations.transpose(1, 0, 2)], 1)
    alone = []
    for episode in observations:
      policy.reset()
      alone.append([policy.action(observation) for observation in episode])
    fresh = []
    for observation in observations[0]:
      policy.reset()
      fresh.append(policy.action(observation))
  np.testing.assert_array_equal(together, alone)
  # Without the carried state the policy acts otherwise.
  assert fresh != alone[0]


def test_recurrent_policy_refuses_another_batch_until_reset(runs):
  with graphrl.load_policy(runs('a2c_gru')) as policy:
    observation = np.zeros(policy.observation_spec.shape,
                           policy.observation_spec.dtype)
    policy.action(observation)
    with pytest.raises(ValueError, match='carries the state of 1 episodes, '
                       r'not 3; call reset\(\)'):
      policy.actions(np.stack([observation] * 3))
    policy.reset()
    assert len(policy.actions(np.stack([observation] * 3))) == 3
    with pytest.raises(ValueError, match='no SavedModel signature'):
      policy.export_saved_model('unused')


def test_observations_of_another_shape_are_a_clear_error(runs):
  with graphrl.load_policy(runs('dqn')) as policy:
    with pytest.raises(ValueError, match=r'one observation of shape \[4\], '
                       r'got \[3\]'):
      policy.action(np.zeros(3))
    with pytest.raises(ValueError, match=r'observations \[B, 4\], got shape '
                       r'\[4\]'):
      policy.actions(np.zeros(4))


@pytest.mark.parametrize('name', FEEDFORWARD)
def test_saved_model_acts_like_the_policy_in_tensorflow_2_alone(
    runs, name, tmp_path):
  with graphrl.load_policy(runs(name)) as policy:
    policy.export_saved_model(str(tmp_path / 'saved_model'))
    observations = _observations(policy, 50)
    expected = policy.actions(observations)
  actions = saved_model_actions(tmp_path / 'saved_model', observations,
                                tmp_path)
  assert actions.dtype == expected.dtype
  np.testing.assert_allclose(actions, expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize('checkpoint, step', [
    (200, 200), ('latest', 400), ('best', 400)])  # Evaluated at 400 only.
def test_a_checkpoint_of_a_step_the_latest_or_the_best(runs, checkpoint,
                                                       step):
  with graphrl.load_policy(runs('dqn'), checkpoint) as policy:
    assert policy.step == step


def test_bad_input_raises_a_one_line_user_error(runs, tmp_path):
  logdir = runs('dqn')
  shutil.copyfile(os.path.join(logdir, 'graphrl.json'),
                  tmp_path / 'graphrl.json')
  cases = [
      ((str(tmp_path / 'nope'),), 'no such logdir: '),
      ((str(tmp_path),), '%s holds no checkpoint' % tmp_path),
      ((logdir, 300), 'holds no checkpoint of step 300 (it holds: 200, 400)'),
      ((str(tmp_path), 'best'),
       '%s holds no evaluated checkpoint' % tmp_path),
      ((logdir, 'first'),
       "checkpoint must be 'latest', 'best' or a step, got 'first'"),
  ]
  for args, message in cases:
    with pytest.raises(cli.UserError) as error:
      graphrl.load_policy(*args)
    assert message in str(error.value) and '\n' not in str(error.value)


@pytest.mark.parametrize('result, step, shape', [
    ('ddpg_lunarlander', 220000, (2,)),
    ('dqn_pong', None, ()),
])
def test_shipped_results_load_and_act(result, step, shape):
  logdir = os.path.join(ROOT, 'results', result)
  with graphrl.load_policy(logdir) as policy:
    assert step is None or policy.step == step
    observations = _observations(policy, 3)
    actions = policy.actions(observations)
    assert actions.shape == (3,) + shape
    np.testing.assert_array_equal(policy.action(observations[2]), actions[2])
  with pytest.raises(cli.UserError, match='holds no evaluated checkpoint'):
    graphrl.load_policy(logdir, 'best')


def test_export_script_refuses_a_saved_model_of_a_recurrent_policy(
    runs, tmp_path):
  script = os.path.join(ROOT, 'scripts', 'export_policy.py')
  out = tmp_path / 'export'
  process = run_python(script, '--logdir=' + runs('a2c_gru'), '--out=%s' % out)
  assert_one_line_error(process, 'a recurrent policy (--torso=gru) has no '
                        'SavedModel; export it with --nosaved_model')
  assert not out.exists()
  process = run_python(script, '--logdir=' + runs('a2c_gru'), '--out=%s' % out,
                    '--nosaved_model')
  assert process.returncode == 0, process.stderr
  assert 'saved_model' not in os.listdir(out)
  with graphrl.load_policy(str(out)) as policy:
    assert policy.recurrent


if __name__ == '__main__':
  sys.exit(pytest.main([__file__]))
