"""The run of a cluster task that is not the chief: A3C's workers 1..N-1,
Ape-X's actors.

A `WorkerRun` offers a loop the contract of `graphrl.training.run.Run`
(`sess`, `steps`, `config`, `place`, `running()`, `end_episode`,
`check_loss`, `train_fetches`, `summarize`, `after_step`, `next_due`,
`saves_state_of`, `restored_env`), so the same loops step the chief and the
others, but it keeps no records of its own: it queues its finished episodes
for the chief (`SharedState.report`) and leaves checkpoints, TensorBoard
and evaluations to it. Its session runs on the task's own server; it
initializes the variables of its own task only (its copy of the network,
its buffers, the counters of its random draws) and waits until the chief
has initialized the shared ones.

It ends when the chief says the run is over (`SharedState.done`), when the
shared step count reaches `num_steps`, or on SIGTERM/SIGINT (checked
between steps, between tries to reach the chief and while it waits for
one). A task that loses the shared task (`LOST`: gRPC's errors for a task
that went away) either stops with that error (A3C: a lost ps ends the run)
or, with `reconnect` (Ape-X: the learner restarts from its checkpoint),
tries again every CHECK_EVERY_S with a new session; its own variables live
on its own server and are kept.
"""

import math
import time

from graphrl.compat import tf
from graphrl.training import cli
from graphrl.training import run as run_lib
from graphrl.training import signals

# Seconds between reads of the shared flag and step count, and between
# waits for the chief.
CHECK_EVERY_S = 1.0
# The most an episode report waits for room in the chief's queue.
REPORT_TIMEOUT_MS = 10000
# What a session raises when a task it needs has gone.
LOST = (tf.errors.UnavailableError, tf.errors.AbortedError,
        tf.errors.CancelledError)


class WorkerRun:
  """The run contract of `graphrl.training.run.Run` for a non-chief task."""

  place = None
  train_fetches = run_lib.Run.train_fetches

  def __init__(self, agent, config, topology, server, shared, steps,
               own_steps, start=None, reconnect=False):
    """Builds the ops the run needs in the agent's (default) graph.

    Args:
      agent: the task's agent graph; its `scalars`, if any, are what
        `train_fetches` fetches.
      config: the loop config (`run.LoopConfig` or a subclass).
      topology: the task's `topology.Topology`.
      server: its started `tf.train.Server`.
      shared: the graph's `shared_state.SharedState`.
      steps: int64 [] tensor, the shared env-step count.
      own_steps: int64 [] tensor, this task's env steps.
      start: an op run after connecting (e.g. A3C's theta' <- theta), or
        None.
      reconnect: wait for a lost shared task instead of stopping.
    """
    self.config = config
    self.scalar_names = sorted(getattr(agent, 'scalars', {}))
    self.task_index = topology.task_index
    self._topology, self._server, self._shared = topology, server, shared
    self._steps, self._start, self._reconnect = steps, start, reconnect
    self._own_steps = own_steps
    own = [v for v in tf.global_variables() + tf.local_variables()
           if tf.DeviceSpec.from_string(v.device).job != topology.shared_job]
    shared_variables = [v for v in tf.global_variables()
                        if v not in own] + [shared.done]
    self._own = own
    self._uninitialized_own = tf.report_uninitialized_variables(own)
    self._uninitialized_shared = tf.report_uninitialized_variables(
        shared_variables)
    self.sess = self.steps = None
    self.episodes = 0

  def work(self, loop):
    """Steps `loop.iterate(self)` until the run ends.

    Returns:
      A JSON-able summary: task, this task's steps and episodes, wall time.

    Raises:
      graphrl.training.cli.UserError: a non-finite loss, or the lost shared
        task without `reconnect`.
    """
    started = time.time()
    self._own_count = 0
    with signals.StopRequest() as self._stop:
      while not self._stop.requested:
        with tf.Session(self._server.target, config=self._topology
                        .session_config(self.config.threads)) as sess:
          self.sess = sess
          try:
            if self._connect():
              loop.iterate(self)
            break
          except LOST as error:
            if not self._reconnect:
              raise
            print('Lost the %s task (%s); trying again every %g s.' % (
                self._topology.shared_job, cli.one_line(error)[:200],
                CHECK_EVERY_S), flush=True)
        time.sleep(CHECK_EVERY_S)
    return {'task': self._topology.task_name, 'steps': self._own_count,
            'episodes': self.episodes,
            'wall_s': round(time.time() - started, 3)}

  def running(self):
    """Whether the loop goes on: the run is not over, no stop request."""
    return not self._over and not self._stop.requested

  def end_episode(self, step, episode_return, length, **extras):
    """Queues a finished episode for the chief's records, at the shared
    step count: the loop's `step`, or the last one read if larger (an
    Ape-X actor counts its own steps)."""
    self.episodes += 1
    self._shared.report(self.sess, max(step, self._shared_steps),
                        episode_return, length, extras.get('env', 0),
                        self.task_index, timeout_ms=REPORT_TIMEOUT_MS)

  def check_loss(self, loss, step):
    """Stops the task with a user error when the loss is not finite."""
    cli.require(math.isfinite(loss),
                'the loss became %s at step %d on %s' % (
                    loss, step, self._topology.task_name))

  def summarize(self, values, step):
    """TensorBoard is the chief's: nothing to do."""
    del values, step

  def after_step(self, step, drain=None):
    """Notes the step; reads whether the run is over and prints the
    progress line at most every CHECK_EVERY_S / progress_every_s."""
    del drain  # Nothing is due here: no evaluations, no checkpoints.
    self.steps = step
    now = time.monotonic()
    if now >= self._next_check:
      self._next_check = now + CHECK_EVERY_S
      self._read_counts()
    if now >= self._next_line:
      own = self._own_count
      rate = (own - self._line_step) / max(now - self._line_time, 1e-9)
      print('%s: %s env steps of its own, %s steps/s; all tasks at step %s '
            'of %s' % (self._topology.task_name, format(own, ','),
                       format(rate, ',.0f'), format(self._shared_steps, ','),
                       format(self.config.num_steps, ',')), flush=True)
      self._next_line = now + self.config.progress_every_s
      self._line_step, self._line_time = own, now

  def next_due(self):
    return float('inf')

  def saves_state_of(self, env):
    """The chief's checkpoints hold no state of this task's environments."""
    del env
    return False

  def restored_env(self, env):
    """A task starts its environments afresh."""
    del env
    return False

  def _connect(self):
    """Initializes this task's variables (those not yet: a reconnect keeps
    them), waits for the chief's, runs `start`, reads the step count.

    Returns:
      Whether the loop may start: False on a stop request while waiting.
    """
    sess = self.sess
    names = set(sess.run(self._uninitialized_own))
    if names:
      sess.run(tf.variables_initializer(
          [v for v in self._own if v.op.name.encode() in names]))
    said = False
    while sess.run(self._uninitialized_shared).size:
      if not said:
        print('%s: waiting for the chief to initialize the shared '
              'variables.' % self._topology.task_name, flush=True)
        said = True
      time.sleep(CHECK_EVERY_S)
      if self._stop.requested:
        return False
    if self._start is not None:
      sess.run(self._start)
    self._read_counts()
    self.steps = self._shared_steps
    now = time.monotonic()
    self._next_check, self._next_line = now + CHECK_EVERY_S, now
    self._line_step, self._line_time = self._own_count, now
    return True

  def _read_counts(self):
    """Reads whether the run is over, the shared and the own step count."""
    done, shared_steps, own = self.sess.run(
        [self._shared.done, self._steps, self._own_steps])
    self._shared_steps, self._own_count = int(shared_steps), int(own)
    self._over = bool(done) or shared_steps >= self.config.num_steps
