"""`PyFuncEnvironment`: Python environments stepped by `tf.numpy_function`.

In the style of batch-ppo's `InGraphBatchEnv`: N unbatched `PyEnvironment`s
(`graphrl.envs.load`, `load_atari` or your own) become a `TFEnvironment`
whose `step` and `reset` are stateful `tf.numpy_function` ops, so an agent
can act, step and store a transition in one `Session.run`, or K of them in
one `tf.while_loop`. Each op calls back into Python: it holds the GIL and
costs a host round trip per call, however small the environments.

The current observations live in a local variable, which `tf.train.Saver`
does not checkpoint: the Python environments' state cannot be saved, so a
restored run starts with environments that need a `reset()`.
"""

import numpy as np

from graphrl.compat import tf
from graphrl.envs import batched
from graphrl.envs import time_step as ts
from graphrl.tf_envs import tf_environment

_DEVICE = '/cpu:0'


class PyFuncEnvironment(tf_environment.TFEnvironment):
  """N Python environments behind graph ops.

  Run `tf.local_variables_initializer()`, then `reset()` before the first
  `step`. A member whose episode ended is never auto-reset: the caller
  resets it with `reset(mask)` after using its s', and stepping it before
  that fails (`tf.errors.InvalidArgumentError`).

  The ops are ordered by their data only: in a `tf.while_loop`, derive the
  next action from the previous `reset`'s observations (a policy does;
  random actions need a control dependency on them), or iterations overlap
  and a step reaches a member before its reset, and fails.
  """

  def __init__(self, envs, name='py_func_environment'):
    """Creates the observation variable, zero until the first `reset`.

    Args:
      envs: a non-empty list of unbatched `graphrl.envs.PyEnvironment`s with
        equal specs; the specs are those of `envs[0]`.
      name: default name of the variable scope (made unique).

    Raises:
      ValueError: if `envs` is empty, holds a batched environment, or the
        specs differ.
    """
    envs = batched.check_members(envs, 'PyFuncEnvironment')
    super().__init__(len(envs), envs[0].observation_spec(),
                     envs[0].action_spec())
    self._envs = envs
    spec = self._observation_spec
    # Python-side state: the observations of the last step or reset (never
    # changed in place: numpy_function may share their memory) and which
    # members need a reset before their next step.
    self._observations = np.zeros((len(envs),) + spec.shape, spec.dtype)
    self._needs_reset = np.ones(len(envs), bool)
    with tf.device(_DEVICE), tf.variable_scope(None, default_name=name):
      self._observ = tf.get_variable(
          'observ', self._observations.shape, tf.as_dtype(spec.dtype),
          tf.zeros_initializer(), trainable=False, use_resource=True,
          collections=[tf.GraphKeys.LOCAL_VARIABLES])

  @property
  def envs(self):
    """The N `PyEnvironment`s."""
    return list(self._envs)

  def observ(self):
    """The current observations [N, *obs_shape], a read of the variable."""
    return self._observ.read_value()

  def step(self, action):
    """Steps member i with `action[i]` through `PyEnvironment.step`.

    Args:
      action: [N, *action_shape], of the action spec's kind (integer or
        floating); cast to its dtype.

    Returns:
      A `StepResult`: s' [N, *obs_shape], reward float32 [N], terminated
      and truncated bool [N] (LAST with discount 0, resp. not 0), all
      available once the observation variable is set to s'.

    Raises:
      ValueError, TypeError: for an action of the wrong shape or kind.
    """
    with tf.name_scope(None, 'py_func_step', [action]), tf.device(_DEVICE):
      action = self._action_tensor(action)
      outputs = tf.numpy_function(
          self._step_py, [action],
          [self._observ.dtype.base_dtype, tf.float32, tf.bool, tf.bool],
          stateful=True, name='step')
      shapes = [self._observ.shape] + [[self.batch_size]] * 3
      for output, shape in zip(outputs, shapes):
        output.set_shape(shape)
      return tf_environment.StepResult(*self._after_write(*outputs))

  def reset(self, mask=None):
    """Resets the members where `mask` (bool [N]; None: all of them).

    Returns:
      The observations [N, *obs_shape], available once the variable is
      set to them: the first observations of the reset members, the others
      unchanged.
    """
    with tf.name_scope(None, 'py_func_reset', [mask]), tf.device(_DEVICE):
      if mask is None:
        mask = tf.ones([self.batch_size], tf.bool)
      mask = tf.ensure_shape(tf.convert_to_tensor(mask, tf.bool),
                             [self.batch_size])
      observ = tf.numpy_function(self._reset_py, [mask],
                                 self._observ.dtype.base_dtype,
                                 stateful=True, name='reset')
      observ.set_shape(self._observ.shape)
      return self._after_write(observ)[0]

  def close(self):
    """Closes the N environments."""
    for env in self._envs:
      env.close()

  def _after_write(self, observ, *others):
    """Sets the variable to `observ`; returns the tensors, after the write.

    Returns the value written, not a read of the variable: a read that
    only follows this write might also follow the next one (a `reset`).
    """
    write = self._observ.assign(observ, read_value=False)
    with tf.control_dependencies([write]):
      return [tf.identity(tensor) for tensor in (observ,) + others]

  def _action_tensor(self, action):
    """`action` cast to the spec's dtype, checked to be [N, *action_shape]."""
    dtype = tf.as_dtype(self._action_spec.dtype)
    action = tf.convert_to_tensor(action, dtype_hint=dtype)
    if action.dtype.is_integer != dtype.is_integer:
      raise TypeError('PyFuncEnvironment.step expects %s actions, got %s' %
                      (dtype.name, action.dtype.name))
    shape = [self.batch_size] + list(self._action_spec.shape)
    if not action.shape.is_compatible_with(shape):
      raise ValueError('PyFuncEnvironment.step expects actions of shape %s, '
                       'got %s' % (shape, action.shape))
    return tf.ensure_shape(tf.cast(action, dtype), shape)

  def _step_py(self, action):
    """Steps every member; returns s', reward, terminated, truncated."""
    stale = np.flatnonzero(self._needs_reset)
    if stale.size:
      raise ValueError(
          'PyFuncEnvironment members %s need a reset before step: their '
          'episodes ended or never started; call reset(mask) first.' %
          stale.tolist())
    batch = ts.stack([env.step(member_action)
                      for env, member_action in zip(self._envs, action)])
    last = batch.is_last()
    self._needs_reset = last
    self._observations = batch.observation.astype(
        self._observation_spec.dtype, copy=False)
    return (self._observations, batch.reward.astype(np.float32),
            last & (batch.discount == 0), last & (batch.discount != 0))

  def _reset_py(self, mask):
    """Resets the members where `mask`; returns all observations."""
    observations = self._observations.copy()
    for index in np.flatnonzero(mask):
      observations[index] = self._envs[index].reset().observation
      self._needs_reset[index] = False
    self._observations = observations
    return observations
