"""Asynchronous advantage actor-critic (A3C; Mnih et al., 2016): one worker.

Seed 000's A3C: N workers, each with its own environment(s) and its own
copy of the network, update shared parameters asynchronously. A worker's
graph is the A2C graph (`graphrl.agents.a2c`: the same torsos, GRU
included, the same n-step returns and loss) on its copy theta' of the
parameters, placed on the worker's device; the shared parameters theta,
their optimizer slots and the shared counters live on the parameter-server
tasks (a `tf.train.replica_device_setter` shards them over several). Each
full rollout is one update:

  g      = grad_theta' L(theta'), L the A2C loss of the rollout
  theta  <- optimizer(theta, g)          (shared, asynchronous: the other
                                          workers' updates interleave)
  theta' <- theta                        (after the update, so the next
                                          rollout acts on the new theta)
  T      <- T + steps of the rollout     (the shared env-step count)

as in the paper's Algorithm S3, with Adam or RMSProp state shared between
workers (the paper's "shared RMSProp"): the optimizer of the shared
parameters holds it, on the ps; A2C's own optimizer only computes the
gradients, and A2C's local train-step count, still kept, counts this
worker's updates. The shared variables have the same
names in every worker's graph, which is how TensorFlow's between-graph
replication shares them: each worker's session refers to the one copy on
the ps task.
"""

from graphrl.agents import a2c
from graphrl.compat import tf


class A3CAgent(a2c.A2CAgent):
  """Builds one A3C worker's graph in the default graph.

  Build it inside `tf.device(<the worker's device>)`. It has the members of
  `A2CAgent` (its config an `A2CConfig`), on the worker's copy of the
  parameters, with:
    env_steps, train_steps: the shared counts (every worker's steps and
                      updates), int64 [] variables on the ps
    local_env_steps:  this worker's own env-step count
    shared_variables: theta, non-trainable variables 'a2c/shared/...' on
                      the ps, in the order of the worker's copies
    sync_target:      theta' <- theta; run it before a worker's first
                      rollout (a fresh run's chief runs it as every run does)
    steps_after_train: T after the update of `train`
  """

  def __init__(self, observation_spec, action_spec, config, shared_device):
    """Builds the graph.

    Args:
      observation_spec, action_spec, config: as for `A2CAgent`.
      shared_device: the device function or name of the shared variables,
        e.g. `tf.train.replica_device_setter(cluster=..., ...)`.
    """
    self._shared_device = shared_device
    self._shared = None  # (variables, env_steps, train_steps, optimizer)
    super().__init__(observation_spec, action_spec, config)
    variables, env_steps, train_steps, _ = self._shared
    self.shared_variables = variables
    self.local_env_steps = self.env_steps
    self.env_steps, self.train_steps = env_steps, train_steps
    with tf.variable_scope(self._scope):
      self.sync_target = self._sync(self._local_variables)

  def _apply_gradients(self, grads, variables, mask):
    """Applies the gradients of the worker's copies to the shared
    parameters, then copies them back and counts the rollout's steps."""
    shared, env_steps, train_steps, optimizer = self._shared_for(variables)
    apply = optimizer.apply_gradients(zip(grads, shared))
    with tf.control_dependencies([apply]):
      sync = self._sync(variables)
      steps = env_steps.assign_add(tf.reduce_sum(tf.cast(mask, tf.int64)))
      updates = train_steps.assign_add(1)
    if self.steps_after_train is None:  # The `train` op's.
      self.steps_after_train = steps
    return tf.group(apply, sync, steps, updates)

  def _shared_for(self, variables):
    """The shared copies of the worker's `variables` (made on first use),
    the shared counters and the optimizer of the shared parameters."""
    if self._shared is None:
      self._local_variables = list(variables)
      with tf.device(None), tf.device(self._shared_device):
        with tf.variable_scope('shared'):
          copies = [tf.Variable(v.initial_value, trainable=False,
                                name=v.op.name.split('/', 1)[1])
                    for v in variables]
          counters = [tf.Variable(0, dtype=tf.int64, trainable=False,
                                  name=name)
                      for name in ('env_steps', 'train_steps')]
        self._shared = (copies, counters[0], counters[1],
                        self._make_optimizer())
    return self._shared

  def _sync(self, variables):
    """theta' <- theta: the op copying the shared parameters to `variables`."""
    shared = self._shared[0]
    return tf.group(*[local.assign(remote.read_value())
                      for local, remote in zip(variables, shared)])
