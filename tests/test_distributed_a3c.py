"""End-to-end tests of A3C on a loopback cluster (`python -m graphrl.cluster`):
it learns, a killed worker rejoins, a killed chief resumes from its last
checkpoint, a killed ps ends the run with one line and a rerun resumes."""

import numpy as np

from graphrl.training import checkpoints
from graphrl.training import episode_log
import cluster_testing

FLAGS = ['--flagfile=flags/a3c_cartpole.flags', '--workers=2',
         '--eval_episodes=5', '--progress_every_s=1']


def test_workers_learn_a_killed_worker_rejoins_a_killed_chief_resumes(
    tmp_path):
  logdir = str(tmp_path / 'run')
  with cluster_testing.Cluster(
      FLAGS + ['--num_steps=50000', '--checkpoint_every=10000',
               '--eval_every=50000', '--stop_eval_return=1000'],
      logdir) as cluster:
    saved, resumed = cluster.kill_and_restart('worker', 'worker')
    assert cluster.finish() == 0, '\n'.join(cluster.lines[-20:])
  assert resumed >= saved
  rows = episode_log.read_episodes(logdir)
  later = [row for row in rows if row['step'] > saved]
  assert {row['task'] for row in later} == {0, 1}
  returns = [row['return'] for row in rows]
  # A random policy averages ~22; both workers' updates improve the one
  # shared policy.
  assert np.mean(returns[-50:]) > 1.5 * np.mean(returns[:50])
  assert checkpoints.committed_steps(logdir)[-1] >= 50000
  assert any('worker:1: ' in line and 'steps/s' in line
             for line in cluster.lines)


def test_a_killed_ps_ends_the_run_in_one_line_and_a_rerun_resumes(tmp_path):
  logdir = str(tmp_path / 'run')
  flags = FLAGS + ['--num_steps=12000', '--checkpoint_every=3000',
                   '--eval_every=12000', '--stop_eval_return=1000']
  with cluster_testing.Cluster(flags, logdir) as cluster:
    cluster.wait_for(lambda: checkpoints.committed_steps(logdir))
    cluster.kill_task('ps', 0)
    assert cluster.finish() == 2
  errors = [line for line in cluster.lines if line.startswith('error: ')]
  assert len(errors) == 1
  assert 'ps:0' in errors[0] and 'last checkpoint: ' in errors[0]
  assert 'ckpt-' in errors[0]
  with cluster_testing.Cluster(flags, logdir) as rerun:
    rerun.wait_for_line('Resuming from the checkpoint of step')
    assert rerun.finish() == 0, '\n'.join(rerun.lines[-20:])
