r"""Agent steps/s of DQN training on an ALE game: graphrl beside SB3.

  python scripts/benchmark_atari_training.py --repeats=3 \
      --variants=serial,serial_onednn,learner_thread_onednn,sb3

Runs, in `--repeats` interleaved rounds, `python -m graphrl.train
--flagfile=<--result>` for `--steps` agent steps learning from
`--learning_starts`, one train step every `--train_every` agent steps, once
per variant (a fresh logdir each, no evaluation until the end, no
checkpoint before it):
  serial:                  the bit-reproducible serial loop without oneDNN
                           (TF_ENABLE_ONEDNN_OPTS=0, TensorFlow's default
                           on CPUs without AVX-512);
  serial_onednn:           the same with oneDNN kernels (graphrl's
                           default);
  learner_thread:          training in a second thread, without oneDNN;
  learner_thread_onednn:   the same with oneDNN;
and Stable-Baselines3's DQN with the same network, batch, replay size,
train cadence and target period (`../shared/peers/sb3_atari_bench.py
--network a3c`, in the peers' virtual environment, `--peers_dir`).
graphrl's agent steps/s while training are measured from its episode
records: the steps between the first and the last episode that ended after
`--learning_starts`, over their loop seconds. Prints a markdown table of
the medians, their ranges and their ratio to SB3's median.
"""

import csv
import json
import os
import statistics
import subprocess
import sys
import tempfile

from absl import flags

from graphrl.training import cli

FLAGS = flags.FLAGS
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VARIANTS = ('serial', 'serial_onednn', 'learner_thread',
            'learner_thread_onednn', 'sb3')
flags.DEFINE_string('result', 'flags/dqn_pong.flags', 'The flagfile run.')
flags.DEFINE_integer('steps', 8000, 'Agent steps per run.')
flags.DEFINE_integer('learning_starts', 1000, 'Agent steps before training.')
flags.DEFINE_integer('train_every', 4, 'Agent steps per train step.')
flags.DEFINE_integer('repeats', 3, 'Interleaved rounds.')
flags.DEFINE_list('variants', list(VARIANTS), 'Of %s.' % ', '.join(VARIANTS))
flags.DEFINE_list('extra', ['--nodueling', '--nodouble_q'],
                  "Flags for every graphrl run; by default SB3's network "
                  'head and targets.')
flags.DEFINE_string('peers_dir', os.path.expanduser('~/.cache/graphrl-peers'),
                    "Where ../shared/peers/setup.sh built SB3's venv.")


def _graphrl(variant, logdir):
  """Agent steps/s while training of one graphrl run."""
  env = dict(os.environ, PYTHONPATH=ROOT,
             TF_ENABLE_ONEDNN_OPTS='1' if variant.endswith('onednn') else '0')
  thread = ('--learner_thread' if variant.startswith('learner_thread')
            else '--nolearner_thread')
  command = [sys.executable, '-m', 'graphrl.train',
             '--flagfile=' + FLAGS.result, '--num_steps=%d' % FLAGS.steps,
             '--learning_starts=%d' % FLAGS.learning_starts,
             '--train_every=%d' % FLAGS.train_every, thread,
             '--eval_every=0', '--eval_episodes=1',
             '--checkpoint_every=%d' % (FLAGS.steps + 1),
             '--stop_eval_return=1000',
             '--logdir=' + logdir] + FLAGS.extra
  _check(subprocess.run(command, cwd=ROOT, env=env, capture_output=True,
                        text=True), variant)
  with open(os.path.join(logdir, 'episodes.csv'), encoding='utf-8') as f:
    rows = [(int(row['step']), float(row['train_s']))
            for row in csv.DictReader(f)
            if int(row['step']) > FLAGS.learning_starts]
  cli.require(len(rows) >= 2, '%s: fewer than 2 episodes ended while '
              'training; raise --steps' % variant)
  return (rows[-1][0] - rows[0][0]) / (rows[-1][1] - rows[0][1])


def _sb3():
  """Agent steps/s while training of one SB3 run."""
  python = os.path.join(FLAGS.peers_dir, 'venv', 'bin', 'python')
  cli.require(os.path.exists(python), 'no SB3 venv at %s: run '
              '../shared/peers/setup.sh' % python)
  script = os.path.join(ROOT, '..', 'shared', 'peers', 'sb3_atari_bench.py')
  process = subprocess.run(
      [python, script, '--network', 'a3c', '--seed', '0',
       '--steps', str(FLAGS.steps),
       '--learning-starts', str(FLAGS.learning_starts), '--threads', '2'],
      capture_output=True, text=True)
  _check(process, 'sb3')
  line = [line for line in process.stdout.splitlines()
          if line.startswith('RESULT ')][-1]
  return json.loads(line[len('RESULT '):])['training_steps_per_s']


def _check(process, variant):
  cli.require(process.returncode == 0, '%s failed: %s' % (
      variant, cli.one_line(process.stderr)[-500:]))


def main(argv):
  cli.require_no_arguments(argv)
  unknown = sorted(set(FLAGS.variants) - set(VARIANTS))
  cli.require(not unknown, 'unknown variants: %s' % ', '.join(unknown))
  cli.require(FLAGS.repeats > 0 and FLAGS.train_every > 0 and
              FLAGS.steps > FLAGS.learning_starts >= 0,
              '--repeats and --train_every must be positive and --steps '
              'larger than --learning_starts')
  rates = {variant: [] for variant in FLAGS.variants}
  with tempfile.TemporaryDirectory() as scratch:
    for round_index in range(FLAGS.repeats):
      for variant in FLAGS.variants:
        if variant == 'sb3':
          rate = _sb3()
        else:
          rate = _graphrl(variant, os.path.join(
              scratch, '%s_%d' % (variant, round_index)))
        rates[variant].append(rate)
        print('round %d, %s: %.1f agent steps/s' % (round_index, variant,
                                                   rate), flush=True)
  medians = {variant: statistics.median(r) for variant, r in rates.items()}
  lines = ['', '%s, %d agent steps learning from %d, a train step every %d, '
           'median of %d interleaved rounds, load average at the end %.2f:'
           % (FLAGS.result, FLAGS.steps, FLAGS.learning_starts,
              FLAGS.train_every, FLAGS.repeats, os.getloadavg()[0]), '',
           '| variant | agent steps/s while training (range) | vs SB3 |',
           '|---|---|---|']
  for variant in FLAGS.variants:
    ratio = ('%.2fx' % (medians[variant] / medians['sb3'])
             if 'sb3' in medians else '-')
    lines.append('| %s | %.1f (%.1f-%.1f) | %s |' % (
        variant, medians[variant], min(rates[variant]), max(rates[variant]),
        ratio))
  print('\n'.join(lines))


if __name__ == '__main__':
  cli.run(main)
