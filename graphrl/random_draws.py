"""Random draws a checkpoint restores: stateless ops keyed by a counter.

TF1's stateful random ops (`tf.random.uniform(..., seed=s)`) keep their
place in their kernels, which no checkpoint saves: a resumed run would
start every stream anew. Each op here is instead a stream of its own, with
a counter n (an int64 place variable, `graphrl.resumable`) that each run of
the op advances before drawing:

  n <- n + 1;   x = stateless_op(shape, seed=[key, n])   (Philox-4x32-10)

The key mixes the graph-level seed (`tf.set_random_seed`) and the op seed,
as `tf.get_seed` derives them for stateful ops (the op count stands in for
an op seed that is not given), so a seeded graph draws the same numbers run
after run, and a checkpoint holding n continues the stream exactly. A graph
with no seed at all gets a key from the operating system.

An op runs once per `Session.run`, or once per iteration of a
`tf.while_loop` with `parallel_iterations=1`, or once per element of a
`tf.data` map; its draws are then ordered.
"""

import random

from graphrl import resumable
from graphrl import variable_handles
from graphrl.compat import tf

# Keys are key = graph_seed * _MIX + op_seed (mod 2^63): distinct op seeds
# of one graph give distinct keys.
_MIX = 1000003


def uniform(shape, minval=0, maxval=None, dtype=tf.float32, seed=None,
            name=None):
  """Like `tf.random.uniform`: U[minval, maxval) of `shape`.

  Integer dtypes need `maxval` (tensors allowed), as there.
  """
  with tf.name_scope(name, 'uniform', [shape, minval, maxval]):
    if dtype.is_integer and maxval is None:
      raise ValueError('an integer draw needs maxval')
    if maxval is None:
      maxval = 1
    return tf.random.stateless_uniform(
        shape, _next_seed(seed), minval=minval, maxval=maxval, dtype=dtype)


def normal(shape, stddev=1.0, seed=None, name=None):
  """Like `tf.random.normal`: N(0, stddev^2) float32 of `shape`."""
  with tf.name_scope(name, 'normal', [shape, stddev]):
    return tf.random.stateless_normal(shape, _next_seed(seed), stddev=stddev)


def categorical(logits, num_samples, dtype=tf.int64, seed=None, name=None):
  """Like `tf.random.categorical`: [B, num_samples] draws of the classes of
  `logits` [B, C] (log-probabilities up to a constant)."""
  with tf.name_scope(name, 'categorical', [logits]):
    return tf.random.stateless_categorical(logits, num_samples,
                                           _next_seed(seed), dtype=dtype)


def _next_seed(op_seed):
  """The seed [key, n] int64 [2] of the next draw of a new stream."""
  graph_seed, op_seed = tf.get_seed(op_seed)
  if graph_seed is None:
    key = random.SystemRandom().getrandbits(62)
  else:
    key = (graph_seed * _MIX + op_seed) % 2**63
  counter = resumable.variable(0, 'draws', dtype=tf.int64)
  if variable_handles.in_function():
    handle = variable_handles.local_handle(counter)
    added = tf.raw_ops.AssignAddVariableOp(resource=handle,
                                           value=tf.constant(1, tf.int64))
    with tf.control_dependencies([added]):
      count = tf.raw_ops.ReadVariableOp(resource=handle, dtype=tf.int64)
  else:
    count = counter.assign_add(1)
  return tf.stack([tf.constant(key, tf.int64), count])
