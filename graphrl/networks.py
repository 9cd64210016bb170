"""Function approximators: MLP, Nature-DQN and A3C torsos, Q and quantile
heads, DDPG actor/critic.

Every network builds its tf-slim layers inside
`tf.variable_scope(name, reuse=tf.AUTO_REUSE)`: the first call creates the
variables and later calls with the same `name` reuse them, so `Q(s)` and
`Q(s')` (or the acting and the training graph) share one set of weights, and
`get_variables(name)` collects them, e.g. for a target-network update.
Image inputs are [B, H, W, C], uint8 (scaled by 1/255) or float (used as is).
"""

import re

import numpy as np

from graphrl import shape_checks
from graphrl.compat import slim
from graphrl.compat import tf

A3C_UNITS = 256  # Size of the A3C torso's features.

# Lillicrap et al. 2016: hidden weights ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in))
# (variance scaling: limit = sqrt(3 * scale / fan_in) with scale = 1/3), final
# layer weights and biases ~ U(-3e-3, 3e-3) so initial outputs are near zero.
_DDPG_HIDDEN_INIT = tf.variance_scaling_initializer(
    scale=1. / 3, mode='fan_in', distribution='uniform')
_DDPG_FINAL_INIT = tf.random_uniform_initializer(-3e-3, 3e-3)


def _to_float(frames):
  """[B, H, W, C] frames as float32: uint8 scaled to [0, 1], floats as is."""
  shape_checks.check_rank(frames, 4, 'frames')
  if frames.dtype == tf.uint8:
    return tf.cast(frames, tf.float32) / 255.
  return tf.cast(frames, tf.float32)


def _flatten(tensor):
  """[B, d1, ..., dk] -> [B, d1 * ... * dk]; the dk must be static."""
  dims = tensor.shape.as_list()[1:]
  if None in dims:
    raise ValueError('cannot flatten shape %s: non-batch dimensions must be '
                     'static' % tensor.shape)
  return tf.reshape(tensor, [-1, int(np.prod(dims))])


def get_variables(scope):
  """The trainable variables created under a network's scope.

  Args:
    scope: the `name` passed to a network, or a `tf.VariableScope`.

  Returns:
    A list of `tf.Variable`s in creation order.

  Raises:
    ValueError: if the scope holds no trainable variables (typo, not built).
  """
  name = scope.name if isinstance(scope, tf.VariableScope) else scope
  variables = tf.get_collection(
      tf.GraphKeys.TRAINABLE_VARIABLES, re.escape(name) + '/')
  if not variables:
    raise ValueError('no trainable variables under scope %r' % name)
  return variables


def mlp(inputs, hidden_sizes, num_outputs, name, activation=tf.nn.relu):
  """Fully connected network: h_i = activation(h_{i-1} W_i + b_i), linear out.

  Args:
    inputs: float [B, D].
    hidden_sizes: sizes of the hidden layers (may be empty).
    num_outputs: size of the linear output layer.
    name: variable scope; reused on later calls.
    activation: nonlinearity of the hidden layers.

  Returns:
    float [B, num_outputs].
  """
  with tf.variable_scope(name, reuse=tf.AUTO_REUSE):
    net = mlp_torso(inputs, hidden_sizes, activation)
    return slim.fully_connected(
        net, num_outputs, activation_fn=None, scope='output')


def mlp_torso(inputs, hidden_sizes, activation=tf.nn.relu):
  """The hidden layers of `mlp` in the current scope: float [B, H_last]
  (the inputs [B, D] for no hidden layers)."""
  shape_checks.check_rank(inputs, 2, 'inputs')
  net = inputs
  for index, size in enumerate(hidden_sizes):
    net = slim.fully_connected(
        net, size, activation_fn=activation, scope='hidden_%d' % index)
  return net


def nature_dqn_torso(frames, name):
  """Torso of the Nature DQN (Mnih et al. 2015), VALID padding, ReLU.

  Shapes for 84x84xC frames: conv 32x8x8 stride 4 -> [B, 20, 20, 32],
  conv 64x4x4 stride 2 -> [B, 9, 9, 64], conv 64x3x3 stride 1 ->
  [B, 7, 7, 64], flatten -> [B, 3136], dense -> [B, 512].

  Args:
    frames: uint8 or float [B, H, W, C] with static H, W, C.
    name: variable scope; reused on later calls.

  Returns:
    float [B, 512].
  """
  net = _to_float(frames)
  with tf.variable_scope(name, reuse=tf.AUTO_REUSE):
    with slim.arg_scope([slim.conv2d], padding='VALID'):
      net = slim.conv2d(net, 32, 8, 4, scope='conv1')
      net = slim.conv2d(net, 64, 4, 2, scope='conv2')
      net = slim.conv2d(net, 64, 3, 1, scope='conv3')
    return slim.fully_connected(_flatten(net), 512, scope='fc')


def q_values(torso, frames, num_actions, name, dueling=False):
  """Q-values of all actions on a torso's features f = torso(s) [B, D].

  With `dueling` (Wang et al., 2016, eq. 9), separate linear value and
  advantage streams, the advantages centred on their mean:
    Q(s, a) = V(s) + A(s, a) - (1/|A|) sum_a' A(s, a'),
    V(s) = f W_v + b_v [B, 1],  A(s, .) = f W_a + b_a [B, A];
  else one linear layer, Q(s, .) = f W + b.

  Args:
    torso: f(frames, scope) -> features [B, D], e.g. `nature_dqn_torso`.
    frames: observations [B, ...] the torso takes.
    num_actions: A, the number of discrete actions.
    name: variable scope; reused on later calls.
    dueling: whether to use the dueling head.

  Returns:
    float [B, A].
  """
  with tf.variable_scope(name, reuse=tf.AUTO_REUSE):
    features = torso(frames, 'torso')
    if not dueling:
      return slim.fully_connected(
          features, num_actions, activation_fn=None, scope='q_values')
    value = slim.fully_connected(features, 1, activation_fn=None,
                                 scope='value')
    advantage = slim.fully_connected(features, num_actions,
                                     activation_fn=None, scope='advantage')
    return _dueling(value, advantage)


def _dueling(value, advantage):
  """V + A - mean_a A, the mean over the action axis 1 of [B, A, ...]."""
  return value + advantage - tf.reduce_mean(advantage, 1, keepdims=True)


def quantile_values(torso, observ, num_actions, num_quantiles, name,
                    dueling=False):
  """Quantiles theta_i(s, a) of QR-DQN's return distribution (Dabney et al.,
  2018) on a torso's features f = torso(s) [B, D]; Q(s, a) = mean_i theta_i.

  One linear layer, theta(s, ., .) = reshape(f W + b) [B, A, N]; or with
  `dueling` per quantile,
    theta_i(s, a) = V_i(s) + A_i(s, a) - (1/|A|) sum_a' A_i(s, a'),
    V(s) = f W_v + b_v [B, 1, N],  A(s) = f W_a + b_a [B, A, N].

  Args:
    torso: f(observ, scope) -> features [B, D], e.g. `nature_dqn_torso`.
    observ: observations [B, ...] the torso takes.
    num_actions: A, the number of discrete actions.
    num_quantiles: N, quantiles per action.
    name: variable scope; reused on later calls.
    dueling: whether to use the dueling head.

  Returns:
    float [B, A, N].
  """
  def linear(features, rows, scope):
    out = slim.fully_connected(features, rows * num_quantiles,
                               activation_fn=None, scope=scope)
    return tf.reshape(out, [-1, rows, num_quantiles])

  with tf.variable_scope(name, reuse=tf.AUTO_REUSE):
    features = torso(observ, 'torso')
    if not dueling:
      return linear(features, num_actions, 'quantiles')
    return _dueling(linear(features, 1, 'value'),
                    linear(features, num_actions, 'advantage'))


def nature_q_values(frames, num_actions, name, dueling=False):
  """`q_values` of the Nature DQN (Mnih et al., 2015), float [B, A]."""
  return q_values(nature_dqn_torso, frames, num_actions, name, dueling)


def a3c_q_values(frames, num_actions, name, dueling=False):
  """`q_values` of the first DQN paper's network (Mnih et al., 2013), which
  A3C reuses as its torso: float [B, A]."""
  return q_values(a3c_torso, frames, num_actions, name, dueling)


def a3c_torso(frames, name):
  """Feed-forward torso of A3C (Mnih et al. 2016), VALID padding, ReLU.

  Shapes for 84x84xC frames: conv 16x8x8 stride 4 -> [B, 20, 20, 16],
  conv 32x4x4 stride 2 -> [B, 9, 9, 32], flatten -> [B, 2592],
  dense -> [B, 256].

  Args:
    frames: uint8 or float [B, H, W, C] with static H, W, C.
    name: variable scope; reused on later calls.

  Returns:
    float [B, A3C_UNITS].
  """
  net = _to_float(frames)
  with tf.variable_scope(name, reuse=tf.AUTO_REUSE):
    with slim.arg_scope([slim.conv2d], padding='VALID'):
      net = slim.conv2d(net, 16, 8, 4, scope='conv1')
      net = slim.conv2d(net, 32, 4, 2, scope='conv2')
    return slim.fully_connected(_flatten(net), A3C_UNITS, scope='fc')


def policy_value_heads(features, num_actions, name):
  """Linear policy and value heads on shared features.

  Args:
    features: float [..., F], e.g. [B, F] or [B, T, F].
    num_actions: A, the number of discrete actions.
    name: variable scope; reused on later calls.

  Returns:
    logits: float [..., A], unnormalized log pi(.|s).
    values: float [...], V(s) with the unit axis removed.
  """
  with tf.variable_scope(name, reuse=tf.AUTO_REUSE):
    logits = slim.fully_connected(
        features, num_actions, activation_fn=None, scope='policy')
    values = slim.fully_connected(
        features, 1, activation_fn=None, scope='value')
    return logits, tf.squeeze(values, axis=-1)


def ddpg_critic(states, actions, name, hidden_sizes=(400, 300),
                action_layer=2):
  """DDPG critic Q(s, a) (Lillicrap et al. 2016).

  h1 = relu(s W1 + b1) [B, 400]; h2 = relu([h1, a] W2 + b2) [B, 300];
  Q = h2 w3 + b3, with the unit axis squeezed (never the batch axis).
  Other `hidden_sizes` (at least two) change the widths and depth; the
  action joins the input of hidden layer `action_layer`: 2 as above, 1 for
  h1 = relu([s, a] W1 + b1) (Fujimoto et al.'s TD3 critic).

  Args:
    states: float [B, S].
    actions: float [B, U].
    name: variable scope; reused on later calls.
    hidden_sizes: sizes of the hidden layers fc1, fc2, ...
    action_layer: 1 or 2.

  Returns:
    float [B].

  Raises:
    ValueError: for inputs not of rank 2, fewer than two hidden layers or
      another action_layer.
  """
  shape_checks.check_rank(states, 2, 'states')
  shape_checks.check_rank(actions, 2, 'actions')
  if len(hidden_sizes) < 2:
    raise ValueError('the critic needs at least two hidden layers, got %s'
                     % (tuple(hidden_sizes),))
  if action_layer not in (1, 2):
    raise ValueError('action_layer must be 1 or 2, got %r' % (action_layer,))
  with tf.variable_scope(name, reuse=tf.AUTO_REUSE):
    with slim.arg_scope([slim.fully_connected],
                        weights_initializer=_DDPG_HIDDEN_INIT):
      net = states
      for index, size in enumerate(hidden_sizes, 1):
        if index == action_layer:
          net = tf.concat([net, tf.cast(actions, net.dtype)], 1)
        net = slim.fully_connected(net, size, scope='fc%d' % index)
    q = slim.fully_connected(
        net, 1, activation_fn=None, weights_initializer=_DDPG_FINAL_INIT,
        biases_initializer=_DDPG_FINAL_INIT, scope='q_value')
    return tf.squeeze(q, axis=1)


def ddpg_actor(states, action_size, name, low=-1., high=1.,
               hidden_sizes=(400, 300)):
  """DDPG actor mu(s) scaled to the action bounds (Lillicrap et al. 2016).

  h1 = relu(s W1 + b1) [B, 400]; h2 = relu(h1 W2 + b2) [B, 300];
  mu = low + (high - low) * (tanh(h2 W3 + b3) + 1) / 2, in [low, high].
  Other `hidden_sizes` change the widths and depth.

  Args:
    states: float [B, S].
    action_size: U, the action dimension.
    name: variable scope; reused on later calls.
    low: lower action bound, scalar or [U].
    high: upper action bound, scalar or [U], elementwise > low.
    hidden_sizes: sizes of the hidden layers fc1, fc2, ...

  Returns:
    float [B, U].
  """
  shape_checks.check_rank(states, 2, 'states')
  low = np.broadcast_to(np.asarray(low, np.float32), [action_size])
  high = np.broadcast_to(np.asarray(high, np.float32), [action_size])
  if not (np.all(np.isfinite(low)) and np.all(np.isfinite(high)) and
          np.all(low < high)):
    raise ValueError('action bounds must be finite with low < high, got low=%s'
                     ' high=%s' % (low, high))
  with tf.variable_scope(name, reuse=tf.AUTO_REUSE):
    with slim.arg_scope([slim.fully_connected],
                        weights_initializer=_DDPG_HIDDEN_INIT):
      net = states
      for index, size in enumerate(hidden_sizes, 1):
        net = slim.fully_connected(net, size, scope='fc%d' % index)
    unit = slim.fully_connected(
        net, action_size, activation_fn=tf.tanh,
        weights_initializer=_DDPG_FINAL_INIT,
        biases_initializer=_DDPG_FINAL_INIT, scope='action')
    return low + (high - low) * (unit + 1.) / 2.
