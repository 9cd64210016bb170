r"""Memory of a `FrameReplayBuffer` holding Atari transitions (84x84x4).

  python scripts/benchmark_replay_memory.py --capacities=100000,1000000

For each capacity, in a fresh subprocess: builds the buffer, initializes it,
fills `--fill` of it with an in-graph `tf.while_loop` that appends a random
uint8 frame per stream and step (`--num_streams` frame-stacked streams), and
samples `--samples` batches of `--batch_size`. It records the process's
resident memory (VmRSS of /proc/self/status) and peak (ru_maxrss) after
importing TensorFlow, after initializing and after filling and sampling.
Prints a markdown table in GB (10^9 bytes); the frames alone take
capacity * 84 * 84 bytes.
"""

import json
import math
import resource
import subprocess
import sys
import time

from absl import flags

from graphrl import frame_replay
from graphrl.compat import session_config
from graphrl.compat import tf
from graphrl.training import cli

FLAGS = flags.FLAGS
flags.DEFINE_list('capacities', ['100000', '1000000'],
                  'Buffer capacities (steps), each measured in a subprocess.')
flags.DEFINE_float('fill', 1.0, 'Fraction of the capacity to append.')
flags.DEFINE_integer('num_streams', 8, 'Streams appended per loop step.')
flags.DEFINE_integer('batch_size', 32, 'Transitions per sampled batch.')
flags.DEFINE_integer('samples', 20, 'Sampled batches.')
flags.DEFINE_integer('child_capacity', 0,
                     'Internal: measure this capacity in this process.')

_SHAPE = (84, 84, 4)
_GB = 1e9


def _memory():
  """(current, peak) resident memory of this process in bytes."""
  peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
  with open('/proc/self/status') as status:
    for line in status:
      if line.startswith('VmRSS:'):
        current = int(line.split()[1]) * 1024
        # The kernel updates the high-water mark lazily.
        return current, max(current, peak)
  raise RuntimeError('no VmRSS in /proc/self/status')


def _fill_op(buffer, steps):
  """A while loop appending `steps` random steps to every stream."""
  streams = buffer.num_streams

  def body(step, observ, index):
    with tf.control_dependencies([index]):  # After the previous append.
      frame = tf.cast(tf.random.uniform(
          [streams] + list(_SHAPE[:2]), 0, 256, tf.int32), tf.uint8)
      next_observ = tf.concat([observ[..., 1:], frame[..., None]], -1)
      index = buffer.append_batch((
          observ, tf.zeros([streams], tf.int64), tf.ones([streams]),
          next_observ, tf.ones([streams])))
    return step + 1, next_observ, index

  return tf.while_loop(
      lambda step, *_: step < steps, body,
      [tf.constant(0), tf.zeros([streams] + list(_SHAPE), tf.uint8),
       tf.constant(0, tf.int64)], parallel_iterations=1)[-1]


def _measure(capacity):
  """Builds, fills and samples one buffer; returns the measurements."""
  result = {'capacity': capacity, 'tf': _memory()}
  streams = FLAGS.num_streams
  steps = int(math.ceil(FLAGS.fill * capacity / streams))
  buffer = frame_replay.FrameReplayBuffer(_SHAPE, capacity, streams)
  fill = _fill_op(buffer, steps)
  sample = buffer.sample(FLAGS.batch_size)
  with tf.Session(config=session_config(threads=2)) as sess:
    sess.run(tf.global_variables_initializer())
    result['init'] = _memory()
    start = time.perf_counter()
    result['index'] = int(sess.run(fill))
    result['fill_s'] = time.perf_counter() - start
    result['filled'] = _memory()
    sess.run(sample)
    start = time.perf_counter()
    for _ in range(FLAGS.samples):
      sess.run(sample)
    result['sample_ms'] = (time.perf_counter() - start) / FLAGS.samples * 1e3
    result['sampled'] = _memory()
  return result


def _child(capacity):
  """Runs `_measure` in a fresh interpreter; returns its result."""
  command = [sys.executable, __file__, '--child_capacity=%d' % capacity,
             '--fill=%r' % FLAGS.fill, '--num_streams=%d' % FLAGS.num_streams,
             '--batch_size=%d' % FLAGS.batch_size,
             '--samples=%d' % FLAGS.samples]
  output = subprocess.run(command, check=True, stdout=subprocess.PIPE,
                          universal_newlines=True).stdout
  return json.loads(output.strip().splitlines()[-1])


def main(argv):
  cli.require_no_arguments(argv)
  cli.require(0 < FLAGS.fill <= 1, '--fill must lie in (0, 1]')
  cli.require(FLAGS.num_streams > 0 and FLAGS.batch_size > 0 and
              FLAGS.samples > 0,
              '--num_streams, --batch_size and --samples must be positive')
  if FLAGS.child_capacity:
    print(json.dumps(_measure(FLAGS.child_capacity)))
    return
  try:
    capacities = [int(c) for c in FLAGS.capacities]
  except ValueError:
    raise cli.UserError('--capacities must be ints, got %s' %
                         ','.join(FLAGS.capacities)) from None
  print('| capacity | frames GB | RSS TF only | RSS before fill | '
        'RSS after fill | RSS after sample | peak RSS | peak - TF only | '
        'fill s | sample ms |')
  print('|' + '---:|' * 10)
  for capacity in capacities:
    r = _child(capacity)
    cells = [capacity * _SHAPE[0] * _SHAPE[1] / _GB, r['tf'][0] / _GB,
             r['init'][0] / _GB, r['filled'][0] / _GB, r['sampled'][0] / _GB,
             r['sampled'][1] / _GB, (r['sampled'][1] - r['tf'][0]) / _GB]
    print('| %d | %s | %.1f | %.2f |' % (
        capacity, ' | '.join('%.3f' % c for c in cells), r['fill_s'],
        r['sample_ms']))
    sys.stdout.flush()


if __name__ == '__main__':
  cli.run(main)
