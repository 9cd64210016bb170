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

play and draw it, and `graphrl.load_policy('results/dqn_pong')` acts with
it. It also writes `--out/saved_model`, a TensorFlow SavedModel of the
greedy policy that TensorFlow 2 runs without graphrl (signature 'action':
observations [B, *obs_shape] in, actions [B] or [B, U] out; see
`graphrl.policy.Policy.export_saved_model`). A recurrent policy (A2C with
`--torso=gru`) has no SavedModel: it needs `--nosaved_model`. An `--out`
that exists and is not empty is refused, so an export never overwrites
another run.
"""

import os
import shutil

from absl import flags

from graphrl import policy as policy_lib
from graphrl.training import cli
from graphrl.training import episode_log
from graphrl.training import saved_runs

FLAGS = flags.FLAGS
flags.DEFINE_string('logdir', None, 'Logdir of the training run to export.')
flags.DEFINE_string('out', None, 'Directory to write; must be new or empty.')
flags.DEFINE_boolean('saved_model', True, 'Also write a TensorFlow '
                     'SavedModel of the greedy policy to OUT/saved_model.')
saved_runs.define_checkpoint_flags()
SAVED_MODEL = 'saved_model'

RECORDS = (episode_log.FILENAME, episode_log.EVALUATIONS_FILENAME,
           episode_log.GAMES_FILENAME)


def main(argv):
  cli.require_no_arguments(argv)
  cli.require(FLAGS.logdir, '--logdir is required')
  cli.require(FLAGS.out, '--out is required')
  cli.require(not os.path.exists(FLAGS.out) or not os.listdir(FLAGS.out),
              '--out=%s is not empty' % FLAGS.out)
  checkpoint = saved_runs.checkpoint_flag()
  with policy_lib.load_policy(FLAGS.logdir, checkpoint) as policy:
    cli.require(not (FLAGS.saved_model and policy.recurrent),
                'a recurrent policy (--torso=gru) has no SavedModel; export '
                'it with --nosaved_model')
    step = policy.step
    path = policy.export_checkpoint(FLAGS.out)
    if FLAGS.saved_model:
      policy.export_saved_model(os.path.join(FLAGS.out, SAVED_MODEL))
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
