"""The chief task's side of a cluster: the hooks `training.run.Run` calls.

The chief (A3C's worker 0, the Ape-X learner) trains in an ordinary `Run`,
which writes the checkpoints, records, TensorBoard and evaluations to
--logdir as a single-process run does. Through these hooks its session runs
on the task's server, it opens the cluster (`SharedState.done` := False)
after initializing and restoring the variables, records the episodes the
other tasks queue (at most every `REPORT_EVERY_S` seconds: draining is a
remote call) and ends the cluster's run when its own ends.
"""

import time

from graphrl.compat import tf

REPORT_EVERY_S = 1.0


class Chief:
  """`Run(cluster=...)` for the chief task of `topology`."""

  def __init__(self, topology, server, shared, start=None):
    """Args: a `topology.Topology`, its started `tf.train.Server`, the
    graph's `shared_state.SharedState` and an op to run after every
    restore, or None (A3C: theta' <- theta, which may have moved since the
    checkpoint)."""
    self._topology, self._shared, self._start = topology, shared, start
    self.target = server.target
    self.extras = {'task': topology.task_index}
    self._next_report = 0.0

  def session_config(self, threads):
    return self._topology.session_config(threads)

  def start(self, sess):
    sess.run(self._shared.initialize)
    if self._start is not None:
      sess.run(self._start)

  def reports(self, sess, final=False):
    """The other tasks' finished episodes: at most every REPORT_EVERY_S,
    unless `final`."""
    now = time.monotonic()
    if now < self._next_report and not final:
      return []
    self._next_report = now + REPORT_EVERY_S
    return self._shared.drain(sess)

  def finish(self, sess):
    """Ends the run of every task, if the shared task is still there."""
    try:
      self._shared.finish(sess)
    except tf.errors.OpError:
      pass  # It is gone: the other tasks end by losing it.
