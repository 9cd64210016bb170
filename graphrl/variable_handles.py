"""Handles to resource variables from inside `tf.data` functions.

The functions of a one-shot iterator cannot capture the outer graph's
variable handles. A `VarHandleOp` made in the function graph with the same
container and shared name resolves to the same resource of the session, so
such a function can read and write the variable anyway.
"""

from graphrl.compat import tf


def in_function():
  """Whether ops are being built in a function graph (e.g. `tf.data`'s)."""
  return getattr(tf.get_default_graph(), 'outer_graph', None) is not None


def local_handle(variable):
  """A handle to resource `variable` made in the current (function) graph."""
  op = variable.handle.op
  with tf.device(variable.device):
    return tf.raw_ops.VarHandleOp(
        dtype=variable.dtype.base_dtype, shape=variable.shape,
        container=op.get_attr('container'),
        shared_name=op.get_attr('shared_name'))
