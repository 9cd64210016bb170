"""The one place graphrl imports TensorFlow.

graphrl is written against the TF1 graph API: every module does
`from graphrl.compat import tf, slim` and builds static graphs that run in a
`tf.Session`. Importing this module selects `tensorflow.compat.v1`, disables
all TF2 behaviour (eager execution, resource variables by default, v2 control
flow), and quiets the C++ start-up chatter unless the user asked for it.
"""

import os
import warnings

os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '2')

import tensorflow.compat.v1 as tf  # pylint: disable=g-import-not-at-top
import tf_slim as slim  # pylint: disable=g-import-not-at-top,unused-import

tf.logging.set_verbosity(tf.logging.ERROR)
tf.disable_v2_behavior()
# tf-slim still calls the deprecated `Layer.apply`; the warning is not ours.
warnings.filterwarnings('ignore', message='`layer.apply` is deprecated')


def session_config(threads=1):
  """A `ConfigProto` for the small graphs of RL agents.

  Per-`Session.run` overhead dominates small graphs; one intra-op and one
  inter-op thread roughly halves it on two cores and makes op scheduling
  deterministic, which seeded reruns rely on.

  Args:
    threads: intra- and inter-op thread-pool size; 0 lets TF choose.

  Returns:
    A `tf.ConfigProto`.
  """
  return tf.ConfigProto(
      intra_op_parallelism_threads=threads,
      inter_op_parallelism_threads=threads,
      allow_soft_placement=True)
