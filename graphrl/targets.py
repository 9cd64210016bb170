"""Target networks: an EMA-bound copy of a network and parameter updates.

A target network Q_T(s, a; theta_T) follows the online network Q(s, a; theta)
slowly, so that the regression targets r + gamma * max_a' Q_T(s', a') do not
move with every gradient step (lecture seed 000, Trick 2; seed 004):

  moving_average:  theta_T <- decay * theta_T + (1 - decay) * theta
  soft_update:     theta_T <- tau * theta + (1 - tau) * theta_T
  hard_update:     theta_T <- theta
"""

import numbers

from graphrl import graph_editor
from graphrl.compat import tf


def moving_average(output, decay=0.999,
                   collection=tf.GraphKeys.TRAINABLE_VARIABLES):
  """An exponential-moving-average target network of `output` (lecture).

  Finds the variables of `collection` that `output` depends on, keeps an
  `tf.train.ExponentialMovingAverage` shadow of each and binds a copy of
  `output` to the shadows. A shadow is a non-trainable variable (in
  GLOBAL_VARIABLES, so `tf.train.Saver()` saves it) that its initializer sets
  to the online variable's (initial) value: Q_T = Q at step 0, and as the
  average starts from the weights rather than from zero there is no bias for
  `zero_debias` to correct. Works with ref and resource variables.

  Args:
    output: the online network's output (a tensor or nested list/tuple).
    decay: float in [0, 1] (or a float tensor), the weight of the old shadow.
    collection: graph collection of the variables to average.

  Returns:
    (new_output, update_op): Q_T, structured like `output`, and the op that
    performs theta_T <- decay * theta_T + (1 - decay) * theta.

  Raises:
    ValueError: if `decay` is a number outside [0, 1] or `output` reads no
      variable of `collection`.
  """
  if isinstance(decay, numbers.Real) and not 0 <= decay <= 1:
    raise ValueError('decay must lie in [0, 1], got %r' % (decay,))
  graph = tf.nest.flatten(output)[0].graph
  walk = set(graph_editor.get_backward_walk_ops(output))
  variables = [v for v in graph.get_collection(collection) if v.op in walk]
  if not variables:
    raise ValueError('%s depends on no variable of collection %r' % (
        tf.nest.flatten(output)[0].name, collection))
  average = tf.train.ExponentialMovingAverage(decay)
  update_op = average.apply(variables)
  new_output = graph_editor.bind(
      output, {v: average.average(v) for v in variables})
  return new_output, update_op


def exclude_from_training(target_vars):
  """Takes a target network's variables out of TRAINABLE_VARIABLES.

  A target network built by calling the online network's function under
  another scope is trainable like any network; removing its variables keeps
  optimizers (`minimize` without a var_list) and `moving_average` off them,
  so it moves only by `hard_update` or `soft_update`.
  """
  trainable = tf.get_collection_ref(tf.GraphKeys.TRAINABLE_VARIABLES)
  for variable in target_vars:
    if variable in trainable:
      trainable.remove(variable)


def hard_update(online_vars, target_vars):
  """One op that copies the online into the target weights: theta_T <- theta.

  Args:
    online_vars: list of variables theta.
    target_vars: list of variables theta_T, pairwise like `online_vars`.

  Returns:
    A grouped `tf.Operation`.

  Raises:
    ValueError: if the lists differ in length or a pair in dtype or shape.
  """
  return tf.group(
      *[target.assign(online)
        for online, target in _pairs(online_vars, target_vars)],
      name='hard_update')


def soft_update(online_vars, target_vars, tau=1e-3):
  """One op that moves the target weights towards the online weights.

  theta_T <- tau * theta + (1 - tau) * theta_T, for each pair.

  Args:
    online_vars: list of variables theta.
    target_vars: list of variables theta_T, pairwise like `online_vars`.
    tau: float in [0, 1], the step size.

  Returns:
    A grouped `tf.Operation`.

  Raises:
    ValueError: if `tau` is outside [0, 1], the lists differ in length or a
      pair in dtype or shape.
  """
  if not 0 <= tau <= 1:
    raise ValueError('tau must lie in [0, 1], got %r' % (tau,))
  return tf.group(
      *[target.assign(tau * online + (1 - tau) * target)
        for online, target in _pairs(online_vars, target_vars)],
      name='soft_update')


# The names of lecture seed 004; these return one grouped op, not a list.
make_hard_update = hard_update
make_soft_update = soft_update


def _pairs(online_vars, target_vars):
  """[(online, target), ...] after checking lengths, dtypes and shapes."""
  online_vars, target_vars = list(online_vars), list(target_vars)
  if len(online_vars) != len(target_vars):
    raise ValueError('got %d online but %d target variables' % (
        len(online_vars), len(target_vars)))
  for online, target in zip(online_vars, target_vars):
    graph_editor.check_compatible(online, target)
  return list(zip(online_vars, target_vars))
