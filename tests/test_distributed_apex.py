"""End-to-end test of Ape-X on a loopback cluster (`python -m graphrl.cluster`):
the learner learns from two actors, a killed actor rejoins, and a killed
learner resumes from its checkpoint, replay included, while the actors wait
for it and go on; the tools read the cluster's logdir as any other."""

import json

import numpy as np

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
