"""End-to-end test of Ape-X on a loopback cluster (`python -m graphrl.cluster`):
the learner learns from two actors, a killed actor rejoins, and a killed
learner resumes from its checkpoint, replay included, while the actors wait
for it and go on; the tools read the cluster's logdir as any other."""

import json
import os

import numpy as np
import tensorflow as tf

from graphrl.training import checkpoints
from graphrl.training import episode_log
import cli_assertions
import cluster_testing


def test_the_learner_learns_an_actor_rejoins_the_learner_resumes(tmp_path):
  logdir = str(tmp_path / 'run')
  with cluster_testing.Cluster([
      '--flagfile=flags/apex_dqn_cartpole.flags', '--workers=2',
      '--num_steps=20000', '--checkpoint_every=4000', '--eval_every=20000',
      '--eval_episodes=5', '--stop_eval_return=1000',
      '--progress_every_s=1'], logdir) as cluster:
    saved, resumed = cluster.kill_and_restart('actor', 'learner')
    assert cluster.finish() == 0, '\n'.join(cluster.lines[-20:])
  assert resumed >= saved
  assert any('Lost the learner task' in line for line in cluster.lines)
  rows = episode_log.read_episodes(logdir)
  later = [row for row in rows if row['step'] > saved]
  assert {row['task'] for row in later} == {0, 1}
  returns = [row['return'] for row in rows]
  assert np.mean(returns[-30:]) > 2 * np.mean(returns[:30])
  assert checkpoints.committed_steps(logdir)[-1] >= 20000
  # The chief's logdir is an ordinary run's: export and evaluate read it.
  export = str(tmp_path / 'export')
  exported = cli_assertions.run_python(
      'scripts/export_policy.py', '--logdir=%s' % logdir, '--out=%s' % export,
      '--best', '--nosaved_model')
  assert exported.returncode == 0, exported.stderr
  evaluated = cli_assertions.run_python(
      '-m', 'graphrl.evaluate', '--logdir=%s' % export, '--episodes=2')
  assert evaluated.returncode == 0, evaluated.stderr
  summary = json.loads(evaluated.stdout.strip().splitlines()[-1])
  assert summary['episodes'] == 2 and summary['env'] == 'CartPole-v1'


def test_ape_x_on_pong_fills_a_frame_replay_per_actor_and_resumes_it(
    tmp_path):
  """`flags/apex_dqn_pong.flags` shrunk: two actors fill their streams of
  the learner's frame replay; a rerun resumes from its checkpoint, the
  replay's per-stream steps included, and goes on filling them."""
  logdir = str(tmp_path / 'run')
  tiny = ['--flagfile=flags/apex_dqn_pong.flags', '--workers=2',
          '--replay_capacity=2000', '--learning_starts=200',
          '--checkpoint_every=400', '--eval_every=0', '--eval_episodes=1',
          '--max_episode_steps=2000', '--progress_every_s=1000']
  stream_steps = []
  for num_steps in (400, 800):
    with cluster_testing.Cluster(tiny + ['--num_steps=%d' % num_steps],
                                 logdir) as cluster:
      assert cluster.finish() == 0, '\n'.join(cluster.lines[-20:])
    assert any('Resuming from the checkpoint of step' in line
               for line in cluster.lines) == (num_steps == 800)
    path = tf.train.latest_checkpoint(
        os.path.join(logdir, checkpoints.CHECKPOINT_DIR))
    names = [name for name, shape in tf.train.list_variables(path)
             if name.endswith('frame_replay/steps')]
    assert len(names) == 1, names
    stream_steps.append(tf.train.load_variable(path, names[0]))
    # Every transition the learner received is in its actor's stream.
    assert stream_steps[-1].sum() == tf.train.load_variable(
        path, 'dqn/env_steps') >= num_steps
  first, second = stream_steps
  assert first.shape == (2,) and np.all(first > 0)
  assert np.all(second > first)
