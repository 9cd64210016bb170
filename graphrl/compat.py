"""The one place graphrl imports TensorFlow.

graphrl is written against the TF1 graph API: every module does
`from graphrl.compat import tf, slim` and builds static graphs that run in a
`tf.Session`. Importing this module selects `tensorflow.compat.v1`, disables
all TF2 behaviour (eager execution, resource variables by default, v2 control
flow), and keeps TensorFlow's start-up chatter (CUDA probing on CPU-only
machines, written to stderr before logging is configured) off the terminal,
so that a graphrl binary's stderr holds graphrl's own messages. Set
GRAPHRL_TF_LOGS=1 to see that chatter. It also turns on TensorFlow's oneDNN
kernels unless TF_ENABLE_ONEDNN_OPTS is set.
"""

import contextlib
import os
import warnings

os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '2')
# TensorFlow's oneDNN kernels, which it turns on by itself only on CPUs with
# AVX-512: they halve the DQN Atari train step on an AVX2 machine too, and
# cost ~13% on the small MLPs of classic control, with the same results
# (docs/RESULTS.md). TensorFlow reads the variable when it is imported; a
# value the user set wins.
os.environ.setdefault('TF_ENABLE_ONEDNN_OPTS', '1')


@contextlib.contextmanager
def _quiet_stderr():
  """Points file descriptor 2 at /dev/null, unless GRAPHRL_TF_LOGS is set."""
  if os.environ.get('GRAPHRL_TF_LOGS'):
    yield
    return
  saved = os.dup(2)
  devnull = os.open(os.devnull, os.O_WRONLY)
  os.dup2(devnull, 2)
  try:
    yield
  finally:
    os.dup2(saved, 2)
    os.close(saved)
    os.close(devnull)


with _quiet_stderr():
  import tensorflow.compat.v1 as tf  # pylint: disable=g-import-not-at-top
  import tf_slim as slim  # pylint: disable=g-import-not-at-top,unused-import
  tf.logging.set_verbosity(tf.logging.ERROR)
  tf.disable_v2_behavior()
  # Probing the devices now, silenced, spares the first Session its noise.
  tf.config.list_physical_devices()

# tf-slim still calls the deprecated `Layer.apply`; the warning is not ours.
warnings.filterwarnings('ignore', message='`layer.apply` is deprecated')


def session_config(threads=1):
  """A `ConfigProto` for the small graphs of RL agents.

  Per-`Session.run` overhead dominates small graphs; one intra-op and one
  inter-op thread roughly halves it on two cores and fixes the order in
  which ops run, which seeded reruns rely on.

  Args:
    threads: intra- and inter-op thread-pool size; 0 lets TF choose.

  Returns:
    A `tf.ConfigProto`.
  """
  return tf.ConfigProto(
      intra_op_parallelism_threads=threads,
      inter_op_parallelism_threads=threads,
      allow_soft_placement=True)
