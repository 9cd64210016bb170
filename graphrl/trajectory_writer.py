"""A driver observer that appends trajectories to an in-graph replay buffer.

Seed 001 collects experience as
  driver = DynamicEpisodicDriver(env, policy,
                                 observers=[replay_buffer.add_batch])
  dataset = replay_buffer.as_dataset(num_steps=2)
In graph mode the buffer is made of `tf.Variable`s, so its `add_batch` is a
`TrajectoryWriter`: built once, it holds the placeholders and the
`append_batch` op of a `ReplayBuffer` whose template is one `Trajectory`
step, and each call runs that op on a batched `Trajectory` of the driver.
Stream s of the buffer is environment s of the batch, so `as_dataset` windows
hold consecutive steps of one environment.

For seed 001's API alone: the training binaries (`graphrl.train`,
`graphrl.evaluate`, scripts/) store transitions through the agents and do
not use this module.
"""

import numpy as np

from graphrl import replay
from graphrl.compat import tf
from graphrl.envs import time_step as ts

# The Trajectory fields stored, with their dtypes (action's comes from spec).
_FIELDS = (('step_type', tf.int32), ('observation', None), ('action', None),
           ('next_step_type', tf.int32), ('reward', tf.float32),
           ('discount', tf.float32))


class TrajectoryWriter:
  """`add_batch` of an in-graph buffer of `Trajectory` steps."""

  def __init__(self, observation_spec, action_spec, batch_size, capacity):
    """Builds the buffer and its append op in the default graph.

    Args:
      observation_spec, action_spec: `ArraySpec`s of one environment.
      batch_size: number of environments N of the batched trajectories.
      capacity: buffer rows, a multiple of N.
    """
    specs = {'observation': observation_spec, 'action': action_spec}
    template = []
    for name, dtype in _FIELDS:
      spec = specs.get(name)
      shape = spec.shape if spec else ()
      dtype = dtype or tf.as_dtype(spec.dtype)
      template.append(tf.TensorSpec(shape, dtype, name))
    self.names = tuple(name for name, _ in _FIELDS)
    self.buffer = replay.ReplayBuffer(template, capacity,
                                      num_streams=batch_size)
    self._placeholders = [
        tf.placeholder(spec.dtype, [batch_size] + spec.shape.as_list(),
                       spec.name) for spec in template]
    self._append = self.buffer.append_batch(self._placeholders)
    self._session = None

  def bind(self, session):
    """Sets the session the writer appends in; returns the writer."""
    self._session = session
    return self

  def add_batch(self, trajectory):
    """Appends a batched `ts.Trajectory` (one step of every environment)."""
    if self._session is None:
      raise ValueError('TrajectoryWriter.add_batch needs a session: call '
                       'bind(session) first')
    values = [np.asarray(getattr(trajectory, name)) for name in self.names]
    self._session.run(self._append, dict(zip(self._placeholders, values)))

  def as_trajectories(self, items):
    """The `ts.Trajectory` of dataset or sample tensors `items`."""
    fields = dict(zip(self.names, items))
    return ts.Trajectory(policy_info=(), **fields)
