"""End-to-end tests of `graphrl.train --loop=graph` (`GraphLoop`).

The training runs start the binary as a user would, in subprocesses, on
short CartPole runs; independent runs go side by side. To keep the file
fast, runs that fail on their flags or only need the chosen loop call the
binary's `main` through `cli.run` in this process (a fresh graph each), and
one test runs a `GraphLoop` here, to count its `Session.run`s.
"""

import csv
import json
import os
import subprocess
import sys

import numpy as np
import pytest

from graphrl import envs
from graphrl import tf_envs
from graphrl import train
from graphrl.agents import dqn
from graphrl.compat import tf
from graphrl.training import cli
from graphrl.training import graph_loop
from graphrl.training import off_policy
from graphrl.training import run as run_lib
from graphrl.training import step_callable
from cli_assertions import assert_one_line_error

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# A small DQN configuration: training starts after 200 steps.
SMALL = ['--env=CartPole-v1', '--hidden_sizes=16', '--batch_size=16',
         '--replay_capacity=1000', '--learning_starts=200',
         '--epsilon_steps=500', '--eval_every=0', '--eval_episodes=2',
         '--checkpoint_every=10000', '--progress_every_s=1000']


def _start(*runs):
  """Starts `python -m graphrl.train` once per list of flags, side by side."""
  env = dict(os.environ, PYTHONPATH=ROOT)
  return [subprocess.Popen(
      [sys.executable, '-m', 'graphrl.train'] + list(flags), cwd=ROOT,
      env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
          for flags in runs]


def _wait(processes, timeout=300):
  """A `subprocess.CompletedProcess` per process of `_start`."""
  results = []
  for process in processes:
    stdout, stderr = process.communicate(timeout=timeout)
    results.append(subprocess.CompletedProcess(
        process.args, process.returncode, stdout, stderr))
  return results


def _train(*runs):
  """Runs `python -m graphrl.train` once per list of flags, side by side."""
  return _wait(_start(*runs))


@pytest.fixture
def main(capfd):
  """Runs `graphrl.train`'s main with flags, in this process.

  Returns a `subprocess.CompletedProcess` as of the binary: exit status,
  stdout and stderr. Any exception but the exit propagates.
  """

  def run(*flags):
    train.FLAGS.unparse_flags()
    capfd.readouterr()
    with tf.Graph().as_default(), pytest.raises(SystemExit) as exit_info:
      cli.run(train.main, ['graphrl.train'] + list(flags))
    stdout, stderr = capfd.readouterr()
    return subprocess.CompletedProcess(flags, exit_info.value.code or 0,
                                       stdout, stderr)

  yield run
  train.FLAGS.unparse_flags()


def _summary(process):
  assert process.returncode == 0, process.stderr
  return json.loads(process.stdout.strip().splitlines()[-1])


def _rows(logdir, name='episodes.csv'):
  with open(os.path.join(logdir, name), encoding='utf-8') as f:
    return list(csv.DictReader(f))


def _episodes(logdir):
  """episodes.csv as int arrays: step, return, length, env (or zeros)."""
  rows = _rows(logdir)
  return {name: np.array([int(float(row.get(name) or 0)) for row in rows])
          for name in ('step', 'return', 'length', 'env')}


def _assert_steps_follow_lengths(episodes, members):
  """Each member's episodes follow one another: after its j-th episode the
  N members have taken N times the sum of its first j lengths."""
  steps, lengths = episodes['step'], episodes['length']
  assert (np.diff(steps) >= 0).all() and len(steps) > 10
  for member in range(members):
    mine = episodes['env'] == member
    assert mine.any()
    np.testing.assert_array_equal(steps[mine],
                                  members * np.cumsum(lengths[mine]))


def test_dqn_graph_loop_writes_the_records_and_reproduces(tmp_path, main):
  # CartPole has graph dynamics: the default loop is the graph's, and the
  # same seed gives the same episodes, here and in another process.
  default, graph, four = (str(tmp_path / name)
                          for name in ('default', 'graph', 'four'))
  flags = SMALL + ['--num_steps=1000', '--eval_every=500', '--seed=3',
                   '--checkpoint_every=500', '--steps_per_run=150']
  processes = _start(
      flags + ['--logdir=' + default],
      flags + ['--loop=graph', '--num_envs=4', '--logdir=' + four])
  here = main(*flags, '--loop=graph', '--logdir=' + graph)
  first_run, four_run = _wait(processes)
  runs = [first_run, here, four_run]
  for logdir, run, members in zip((default, graph, four), runs, (1, 1, 4)):
    summary = _summary(run)
    assert (summary['loop'], summary['steps']) == ('graph', 1000)
    assert 'in the graph loop' in run.stdout
    assert sorted(os.listdir(os.path.join(logdir, 'checkpoints'))) == [
        'best.json', 'checkpoint', 'ckpt-1000', 'ckpt-500']
    assert [row['step'] for row in _rows(logdir, 'evaluations.csv')] == [
        '500', '1000']
    assert ('env' in _rows(logdir)[0]) == (members > 1)
    episodes = _episodes(logdir)
    assert len(episodes['step']) == summary['episodes']
    np.testing.assert_array_equal(episodes['return'], episodes['length'])
    _assert_steps_follow_lengths(episodes, members)
    if members == 1:
      assert (np.diff(episodes['step']) > 0).all()
  first, again = _episodes(default), _episodes(graph)
  for name in ('step', 'return', 'length'):
    np.testing.assert_array_equal(again[name], first[name])


def test_default_loop_is_python_without_an_in_graph_loop(tmp_path, main):
  # MaskedCartPole has Python dynamics; the in-graph loop runs no GRU.
  runs = [
      main(*SMALL, '--env=MaskedCartPole-v1', '--num_steps=50',
           '--logdir=' + str(tmp_path / 'masked')),
      main('--agent=a2c', '--torso=gru', '--gru_units=8', '--hidden_sizes=8',
           '--num_envs=2', '--num_steps=50', '--eval_every=0',
           '--eval_episodes=1', '--progress_every_s=1000',
           '--logdir=' + str(tmp_path / 'gru'))]
  for run in runs:
    assert _summary(run)['loop'] == 'python'
    assert 'in the python loop' in run.stdout


def _first_after(episodes, step):
  """(step, length) of the first episode that ended after `step`."""
  index = np.flatnonzero(episodes['step'] > step)[0]
  return episodes['step'][index], episodes['length'][index]


def test_the_loops_resume_each_others_checkpoints(tmp_path, main):
  logdir = str(tmp_path / 'run')
  flags = SMALL + ['--logdir=' + logdir]
  first, = _train(flags + ['--loop=python', '--num_steps=300'])
  assert _summary(first)['steps'] == 300
  second = main(*flags, '--loop=graph', '--num_steps=600',
                '--steps_per_run=100')
  assert 'Resuming from the checkpoint of step 300' in second.stdout
  assert (_summary(second)['loop'], _summary(second)['steps']) == (
      'graph', 600)
  third, = _train(flags + ['--loop=python', '--num_steps=900'])
  assert 'Resuming from the checkpoint of step 600' in third.stdout
  assert (_summary(third)['loop'], _summary(third)['steps']) == (
      'python', 900)
  episodes = _episodes(logdir)
  steps = episodes['step']
  assert (np.diff(steps) > 0).all() and steps[-1] <= 900
  # Each run starts a fresh episode at the step it resumed from.
  for start in (300, 600):
    step, length = _first_after(episodes, start)
    assert step == start + length


@pytest.mark.parametrize('flags, fragment', [
    (['--loop=python', '--steps_per_run=100'],
     '--steps_per_run needs --loop=graph'),
    (['--steps_per_run=0'], '--steps_per_run must be positive, got 0'),
    (['--agent=dqn', '--num_envs=4', '--loop=python'],
     '--num_envs=4: the Python loop of dqn steps one environment'),
    (['--agent=ddpg', '--env=Pendulum-v1', '--num_envs=2', '--loop=python'],
     '--num_envs=2: the Python loop of ddpg steps one environment; use '
     '--loop=graph'),
    (['--agent=a2c', '--torso=gru', '--loop=graph'],
     "the in-graph loop runs the mlp torso; use the Python loop for torso "
     "'gru'"),
])
def test_user_errors_are_one_line(tmp_path, main, flags, fragment):
  logdir = str(tmp_path / 'run')
  assert_one_line_error(main(*flags, '--num_steps=100', '--logdir=' + logdir),
                         fragment)
  assert not os.path.exists(logdir)


# A small DDPG (and TD3) configuration on Pendulum: training starts after
# 200 steps; episodes last 200 steps and pay negative rewards.
SMALL_DDPG = ['--env=Pendulum-v1', '--actor_hidden_sizes=16,16',
              '--critic_hidden_sizes=16,16', '--batch_size=16',
              '--learning_starts=200', '--eval_every=600',
              '--eval_episodes=2', '--checkpoint_every=10000',
              '--progress_every_s=1000']


def test_ddpg_and_td3_train_and_resume_in_the_graph(tmp_path, main):
  # DDPG on 2 members in the default loop, the graph's on Pendulum, resumed
  # in the graph loop, goes on with its episodes: they end every 200 steps
  # per member, at 400 and 800. TD3 on 1 member resumed in the Python loop
  # starts its environment afresh at 600.
  ddpg_dir, td3_dir = str(tmp_path / 'ddpg'), str(tmp_path / 'td3')
  ddpg_flags = SMALL_DDPG + ['--agent=ddpg', '--num_envs=2',
                             '--logdir=' + ddpg_dir]
  td3_flags = SMALL_DDPG + ['--agent=td3', '--logdir=' + td3_dir]
  process, = _start(ddpg_flags + ['--num_steps=600'])
  td3_first = main(*td3_flags, '--loop=graph', '--num_steps=600')
  ddpg_first, = _wait([process])
  process, = _start(ddpg_flags + ['--num_steps=1000'])
  td3_second = main(*td3_flags, '--loop=python', '--num_steps=1000')
  ddpg_second, = _wait([process])
  assert 'start afresh' not in ddpg_second.stdout
  assert ('The environments start afresh: the checkpoint is one of the '
          'GraphLoop.') in td3_second.stdout
  runs = {'ddpg': (ddpg_dir, ddpg_first, ddpg_second, 'graph', [400] * 2 +
                   [800] * 2),
          'td3': (td3_dir, td3_first, td3_second, 'python',
                  [200, 400, 600, 800, 1000])}
  for logdir, first, second, resumed_in, steps in runs.values():
    assert (_summary(first)['loop'], _summary(first)['steps']) == (
        'graph', 600)
    assert 'Resuming from the checkpoint of step 600' in second.stdout
    assert (_summary(second)['loop'], _summary(second)['steps']) == (
        resumed_in, 1000)
    assert os.path.isdir(os.path.join(logdir, 'checkpoints', 'ckpt-1000'))
    assert [row['step'] for row in _rows(logdir, 'evaluations.csv')][0] == (
        '600')
    episodes = _episodes(logdir)
    np.testing.assert_array_equal(episodes['step'], steps)
    np.testing.assert_array_equal(episodes['length'], 200)
    assert (episodes['return'] < 0).all()
    reader = tf.train.load_checkpoint(
        os.path.join(logdir, 'checkpoints', 'ckpt-1000', 'ckpt'))
    assert reader.get_tensor('ddpg/env_steps') == 1000
  np.testing.assert_array_equal(_episodes(ddpg_dir)['env'], [0, 1, 0, 1])


def test_on_policy_agents_train_in_the_graph(tmp_path, main):
  # REINFORCE in a subprocess and the default loop, which is the graph's on
  # CartPole; A2C here.
  agents = ('reinforce', 'a2c')
  logdirs = [str(tmp_path / agent) for agent in agents]
  flags = ['--env=CartPole-v1', '--num_envs=4', '--hidden_sizes=16',
           '--num_steps=2000', '--eval_every=0', '--eval_episodes=2',
           '--checkpoint_every=1000', '--progress_every_s=1000']
  process, = _start(flags + ['--agent=reinforce', '--logdir=' + logdirs[0]])
  here = main(*flags, '--agent=a2c', '--loop=graph', '--logdir=' + logdirs[1])
  runs = _wait([process]) + [here]
  for agent, run, logdir in zip(agents, runs, logdirs):
    summary = _summary(run)
    assert (summary['loop'], summary['steps']) == ('graph', 2000)
    assert os.path.isdir(os.path.join(logdir, 'checkpoints', 'ckpt-2000'))
    episodes = _episodes(logdir)
    assert len(episodes['step']) == summary['episodes']
    assert set(episodes['env']) == {0, 1, 2, 3}
    np.testing.assert_array_equal(episodes['return'], episodes['length'])
    if agent == 'a2c':  # Rollouts continue the running episodes.
      _assert_steps_follow_lengths(episodes, 4)
    else:  # An update drops the unfinished episodes: steps go uncounted.
      for member in range(4):
        mine = episodes['env'] == member
        assert (episodes['step'][mine] >=
                4 * np.cumsum(episodes['length'][mine])).all()


def test_a_summary_waiting_for_training_does_not_shorten_runs(
    tmp_path, monkeypatch):
  # Summaries are due every 100 steps, the first train step is at step 300:
  # the summary due at step 100 waits for it, while runs go on taking 100
  # steps, 50 iterations of the 2 members.
  iterations = []

  class Counting(step_callable.StepCallable):

    def __call__(self, *args):
      iterations.append(args[0])
      return super().__call__(*args)

  monkeypatch.setattr(graph_loop, 'StepCallable', Counting)
  with tf.Graph().as_default():
    tf.set_random_seed(0)
    env = tf_envs.CartPole(2)
    agent = dqn.DQNAgent(
        env.observation_spec(), env.action_spec(),
        dqn.DQNConfig(hidden_sizes=(8,), batch_size=8, replay_capacity=400,
                      num_envs=2))
    eval_env = envs.BatchedPyEnvironment(
        [envs.load('CartPole-v1', seed=0, max_episode_steps=10)])
    config = off_policy.LoopConfig(
        num_steps=400, learning_starts=300, eval_every=0, eval_episodes=1,
        summary_every=100, checkpoint_every=10**6, progress_every_s=1e6)
    stepping = graph_loop.GraphLoop(agent, env, config, steps_per_run=100)
    result = run_lib.Run(agent, eval_env, str(tmp_path), config,
                         {'agent': 'dqn', 'env': 'CartPole-v1'}).train(stepping)
  assert result['steps'] == 400
  assert iterations == [50] * 4


if __name__ == '__main__':
  sys.exit(pytest.main([__file__]))
