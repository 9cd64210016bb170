"""A `Session.run` for one fixed step of a loop, without its Python overhead.

`Session.run` parses its fetches and feeds on every call, and in TF 2.21
`Session.make_callable` with a feed list falls back to `Session.run`; for
the small graphs of RL agents that parsing costs more than running the ops.
`StepCallable` compiles the step once into a C++ callable
(`CallableOptions`, the mechanism behind TF1 Keras's functions) and then
only converts the fed values.
"""

import numpy as np
from tensorflow.core.protobuf import config_pb2

from graphrl.compat import tf


class StepCallable:
  """Runs `fetches` with `feeds` in `session`: step(*values) -> outputs."""

  def __init__(self, session, fetches, feeds):
    """Compiles the step.

    Args:
      session: a `tf.Session`.
      fetches: list of `tf.Tensor`s (their values are returned, in order)
        and `tf.Operation`s (run for their effect).
      feeds: list of placeholders, fed positionally.
    """
    tensors = [f for f in fetches if isinstance(f, tf.Tensor)]
    options = config_pb2.CallableOptions()
    options.feed.extend(feed.name for feed in feeds)
    options.fetch.extend(tensor.name for tensor in tensors)
    options.target.extend(
        f.name for f in fetches if isinstance(f, tf.Operation))
    self._dtypes = [feed.dtype.as_numpy_dtype for feed in feeds]
    # pylint: disable=protected-access
    self._callable = session._make_callable_from_options(options)

  def __call__(self, *values):
    """Runs the step on `values`; returns the fetched tensors' values."""
    return self._callable(*[np.asarray(value, dtype) for value, dtype in
                            zip(values, self._dtypes)])
