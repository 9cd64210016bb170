"""A gated recurrent unit (GRU) built from raw ops, for one step or a sequence.

`tf.nn.rnn_cell.GRUCell` is unavailable under Keras 3, so the cell is written
out here. With `x` the input [B, I], `h` the state [B, H] and `[., .]`
concatenation along the feature axis, one step is (Cho et al. 2014, with `z`
weighting the old state, as in TF's former `GRUCell`):

  r   = sigmoid([x, h] W_r + b_r)        reset gate       [B, H]
  z   = sigmoid([x, h] W_z + b_z)        update gate      [B, H]
  h~  = tanh([x, r * h] W_h + b_h)       candidate state  [B, H]
  h'  = z * h + (1 - z) * h~             new state = output

Variables live in `scope` under `tf.AUTO_REUSE`: `gates/weights` [I + H, 2H]
(columns `[W_r, W_z]`), `gates/biases` [2H] (initialised to 1, so the cell
starts out remembering), `candidate/weights` [I + H, H] and
`candidate/biases` [H] (initialised to 0). An acting graph that calls
`gru_step` and a training graph that calls `gru_sequence` with the same scope
therefore share weights.
"""

from graphrl import shape_checks
from graphrl.compat import tf


def _static_size(tensor, axis, what):
  """The static size of `tensor` along `axis`, or a ValueError naming `what`."""
  size = tensor.shape.as_list()[axis]
  if size is None:
    raise ValueError('%s must have a static size along axis %d, got shape %s'
                     % (what, axis, tensor.shape))
  return size


def _variables(input_size, num_units, scope):
  """Creates or reuses the cell's variables; returns them as a tuple."""
  if num_units < 1:
    raise ValueError('num_units must be >= 1, got %d' % num_units)
  glorot = tf.glorot_uniform_initializer()
  with tf.variable_scope(scope, reuse=tf.AUTO_REUSE):
    with tf.variable_scope('gates'):
      gate_w = tf.get_variable(
          'weights', [input_size + num_units, 2 * num_units],
          initializer=glorot)
      gate_b = tf.get_variable(
          'biases', [2 * num_units], initializer=tf.ones_initializer())
    with tf.variable_scope('candidate'):
      cand_w = tf.get_variable(
          'weights', [input_size + num_units, num_units], initializer=glorot)
      cand_b = tf.get_variable(
          'biases', [num_units], initializer=tf.zeros_initializer())
  return gate_w, gate_b, cand_w, cand_b


def _cell(inputs, state, variables):
  """One GRU step on [B, I] inputs and [B, H] state; returns [B, H]."""
  gate_w, gate_b, cand_w, cand_b = variables
  gates = tf.sigmoid(tf.matmul(tf.concat([inputs, state], 1), gate_w) + gate_b)
  reset, update = tf.split(gates, 2, axis=1)
  candidate = tf.tanh(
      tf.matmul(tf.concat([inputs, reset * state], 1), cand_w) + cand_b)
  return update * state + (1. - update) * candidate


def _check_state(state, num_units):
  shape_checks.check_rank(state, 2, 'state')
  if state.shape.as_list()[1] not in (None, num_units):
    raise ValueError('state must have %d units, got shape %s'
                     % (num_units, state.shape))


def gru_step(inputs, state, num_units, scope='gru'):
  """Advances the GRU by one step: h' = z * h + (1 - z) * h~.

  Args:
    inputs: float [B, I] with static I.
    state: float [B, H], H = num_units.
    num_units: H, the state size.
    scope: variable scope of the cell's weights (shared with `gru_sequence`).

  Returns:
    The new state [B, H], which is also the cell's output.
  """
  shape_checks.check_rank(inputs, 2, 'inputs')
  _check_state(state, num_units)
  input_size = _static_size(inputs, 1, 'inputs')
  return _cell(inputs, state, _variables(input_size, num_units, scope))


def gru_sequence(inputs, initial_state, resets, num_units, scope='gru'):
  """Unrolls the GRU over time, zeroing the state where an episode starts.

  For t = 0 .. T-1: h = 0 where resets[:, t] else h; h = gru(x_t, h);
  outputs[:, t] = h. The reset happens *before* step t, so `resets[:, t]`
  marks `inputs[:, t]` as the first observation of an episode.

  Args:
    inputs: float [B, T, I] with static I.
    initial_state: float [B, H], the state before step 0.
    resets: bool (or 0/1 float) [B, T].
    num_units: H, the state size.
    scope: variable scope of the cell's weights (shared with `gru_step`).

  Returns:
    outputs: float [B, T, H], the state after each step.
    final_state: float [B, H], the state after the last step.
  """
  shape_checks.check_rank(inputs, 3, 'inputs')
  shape_checks.check_rank(resets, 2, 'resets')
  _check_state(initial_state, num_units)
  if not inputs.shape[:2].is_compatible_with(resets.shape):
    raise ValueError('resets must be [B, T] like inputs [B, T, I], got %s and '
                     '%s' % (resets.shape, inputs.shape))
  input_size = _static_size(inputs, 2, 'inputs')
  variables = _variables(input_size, num_units, scope)
  keep = 1. - tf.cast(resets, inputs.dtype)

  def step(state, elems):
    x_t, keep_t = elems
    return _cell(x_t, keep_t[:, None] * state, variables)

  time_major = tf.scan(
      step, (tf.transpose(inputs, [1, 0, 2]), tf.transpose(keep)),
      initializer=initial_state)
  outputs = tf.transpose(time_major, [1, 0, 2])
  return outputs, time_major[-1]
