"""Variables that hold where a run is, not what it has learned.

A resumed run continues exactly as the uninterrupted one would only if its
checkpoint holds, besides the weights, optimizer slots, counters and replay,
the run's place: the counters of its random draws (`graphrl.random_draws`),
the state of in-graph environments and the episodes running in them. Such
variables are made by `variable`: global (initialized by
`tf.global_variables_initializer`), non-trainable, and also in the
collection `COLLECTION`. The run saves them apart from the weights, as the
`place` bundle of each checkpoint (`graphrl.training.checkpoints`), and
restores them only into the graph of the same loop: a checkpoint of one loop
resumed by another restarts its environments instead.
"""

from graphrl.compat import tf

COLLECTION = 'graphrl_resumable'


def variable(initial_value, name, dtype=None, shape=None):
  """A non-trainable resource variable of a run's place.

  It is created outside any `tf.while_loop`, `tf.cond` or `tf.data`
  function being built (and their control dependencies), so that ops
  inside one can keep state in it.

  Args:
    initial_value: its initial value: a Python or numpy value, or a
      function that builds the initial tensor (called outside control flow,
      as a tensor built inside a loop cannot initialize a variable).
    name: its name, in the current name scope.
    dtype: optional dtype.
    shape: optional static shape; None: that of `initial_value`.

  Returns:
    The variable, in GLOBAL_VARIABLES and `COLLECTION`.
  """
  with tf.init_scope():
    if callable(initial_value):
      initial_value = initial_value()
    return tf.Variable(
        initial_value, trainable=False, name=name, dtype=dtype, shape=shape,
        use_resource=True,
        collections=[tf.GraphKeys.GLOBAL_VARIABLES, COLLECTION])


def variables():
  """The place variables of the default graph."""
  return tf.get_collection(COLLECTION)


def weights():
  """The global variables of the default graph that are not place
  variables: what a checkpoint must hold."""
  place = set(variables())
  return [v for v in tf.global_variables() if v not in place]
