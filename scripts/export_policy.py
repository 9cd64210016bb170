r"""Exports the policy of a training run: a small logdir that evaluates.

  python scripts/export_policy.py --logdir=/tmp/runs/dqn_pong/seed_0 \
      --out=results/dqn_pong

Writes to `--out` the run's `graphrl.json`, the policy weights alone of its
latest checkpoint, of the kept checkpoint of `--step` or, with `--best`, of
its best-evaluated checkpoint (`checkpoints/best.json`) (no optimizer
slots, target network, counters or replay buffer; the Nature DQN's are 6.8
MB) as a checkpoint of that step, and the run's records up to that step
(episodes.csv, evaluations.csv, games.csv), so that

  python -m graphrl.evaluate --logdir=results/dqn_pong
  python scripts/plot_curves.py --logdirs=results/dqn_pong --out=curve.png

play and draw it. An `--out` that exists and is not empty is refused, so an
export never overwrites another run.
"""

import os
import shutil

from absl import flags

from graphrl.compat import session_config
from graphrl.compat import tf
from graphrl.training import checkpoints
from graphrl.training import cli
from graphrl.training import episode_log
from graphrl.training import saved_runs

FLAGS = flags.FLAGS
flags.DEFINE_string('logdir', None, 'Logdir of the training run to export.')
flags.DEFINE_string('out', None, 'Directory to write; must be new or empty.')
flags.DEFINE_integer('step', None, 'Step of the checkpoint to export; '
                     'default the latest.')
flags.DEFINE_boolean('best', False, 'Export the checkpoint of the best '
                     'greedy evaluation instead of the latest.')

RECORDS = (episode_log.FILENAME, episode_log.EVALUATIONS_FILENAME,
           episode_log.GAMES_FILENAME)


def main(argv):
  cli.require(len(argv) == 1, 'unexpected arguments: %s' % ' '.join(argv[1:]))
  cli.require(FLAGS.logdir, '--logdir is required')
  cli.require(FLAGS.out, '--out is required')
  cli.require(not os.path.exists(FLAGS.out) or not os.listdir(FLAGS.out),
              '--out=%s is not empty' % FLAGS.out)
  cli.require(FLAGS.step is None or not FLAGS.best,
              '--step and --best exclude each other')
  metadata = saved_runs.read_metadata(FLAGS.logdir)
  env = saved_runs.load_env(metadata, seed=0)
  agent = saved_runs.build_agent(metadata, env)
  env.close()
  saver = tf.train.Saver(agent.policy_variables)
  run = checkpoints.CheckpointManager(FLAGS.logdir, saver, metadata,
                                      must_match=('agent', 'env'))
  export = checkpoints.CheckpointManager(FLAGS.out, saver, metadata, keep=1)
  step = FLAGS.step
  if FLAGS.best:
    best = run.best()
    cli.require(best is not None,
                '%s holds no evaluated checkpoint' % FLAGS.logdir)
    step = best[0]
  with tf.Session(config=session_config()) as sess:
    step = run.restore(sess, step)
    cli.require(step is not None, '%s holds no checkpoint' % FLAGS.logdir)
    path = export.save(sess, step)
  for name in RECORDS:
    source = os.path.join(FLAGS.logdir, name)
    if os.path.exists(source):
      shutil.copyfile(source, os.path.join(FLAGS.out, name))
      episode_log.StepLog(FLAGS.out, name).truncate_after(step)
  size = sum(os.path.getsize(os.path.join(os.path.dirname(path), name))
             for name in os.listdir(os.path.dirname(path)))
  print('Exported the policy of step %d (%.1f MB) to %s.' % (
      step, size / 1e6, FLAGS.out), flush=True)


if __name__ == '__main__':
  cli.run(main)
