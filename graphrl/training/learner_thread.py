"""Training in a second thread while the loop's thread acts (seed 004's
"threaded feeding and training").

The loop's thread steps the environment and stores every transition in the
in-graph replay; a `LearnerThread` runs the agent's train op (sample,
gradient step, target update) in the same session at the same time. TF
releases the GIL while a `Session.run` executes, so on two cores the game
and the acting pass run on one while the gradient step runs on the other.

The two keep the serial loop's ratio of train steps to env steps: with
`first` = max(1, learning_starts), train step k is due once `first` + (k -
1) `train_every` <= stored transitions, rounded up to a multiple of
`train_every` as in `OffPolicyLoop` (which trains at the steps s with s >=
learning_starts and s mod train_every = 0):

  due(n) = max(0, floor(n / E) - floor((first - 1) / E)),  E = train_every

The acting thread waits while more than `max_lag` due train steps are not
done, so at most one train step overlaps `train_every` env steps with
`max_lag` = 1. A train step samples whatever the replay holds when it runs,
which is at least what the serial loop's would see: runs are not
bit-reproducible (the serial loop is). Stores and samples are not locked
against each other: the replay's write index moves only after a row is
written, so a sample never reads a row being written, except where an
append overwrites the oldest rows of a full replay (a few rows of the
capacity per train step). `drain()` waits until every due
train step is done, which the loop calls before evaluating and
checkpointing, so a checkpoint holds the same number of train steps as the
serial loop's at that env step.
"""

import threading


def due_train_steps(stored, learning_starts, train_every):
  """Train steps the serial loop has taken after `stored` transitions."""
  return max(0, stored // train_every - _skipped(learning_starts, train_every))


def _skipped(learning_starts, train_every):
  """floor((first - 1) / E): the multiples of E before the first train."""
  return (max(1, learning_starts) - 1) // train_every


class LearnerThread:
  """Runs `train(step)` in a thread, one call per due train step."""

  def __init__(self, train, learning_starts, train_every, start=0,
               max_lag=1):
    """Starts the thread.

    Args:
      train: a function f(step) that takes the train step due at env step
        `step` and returns its fetched values; it runs in the thread.
      learning_starts, train_every: the loop's train cadence.
      start: env steps of a resumed run: the steps due up to it are taken,
        and the loop's first step stores nothing (as in `OffPolicyLoop`).
      max_lag: due train steps not done at which `stored` blocks.
    """
    self._train = train
    self._learning_starts = learning_starts
    self._train_every = train_every
    self._taken = due_train_steps(start, learning_starts, train_every)
    self._max_lag = max_lag
    self._due = 0
    self._done = 0
    self._stopping = False
    self._error = None
    self.latest = None  # The fetched values of the last train step.
    self._condition = threading.Condition()
    self._thread = threading.Thread(target=self._work, name='learner',
                                    daemon=True)
    self._thread.start()

  def stored(self, transitions):
    """Tells the learner that `transitions` (since the run's first step)
    are stored; may wait for it.

    Raises:
      Whatever the train function raised in the thread.
    """
    due = due_train_steps(transitions, self._learning_starts,
                          self._train_every) - self._taken
    with self._condition:
      self._due = max(self._due, due)
      self._condition.notify_all()
      self._condition.wait_for(
          lambda: self._error or self._due - self._done <= self._max_lag)
      self._raise()

  def drain(self):
    """Waits until every due train step is done; raises its error."""
    with self._condition:
      self._condition.wait_for(
          lambda: self._error or self._done >= self._due)
      self._raise()

  def stop(self):
    """Ends the thread after the train step it runs (due steps are left)."""
    with self._condition:
      self._stopping = True
      self._condition.notify_all()
    self._thread.join()

  def _raise(self):
    if self._error is not None:
      raise self._error

  def _work(self):
    while True:
      with self._condition:
        self._condition.wait_for(
            lambda: self._stopping or self._done < self._due)
        if self._stopping:
          return
        step = (_skipped(self._learning_starts, self._train_every) +
                self._taken + self._done + 1) * self._train_every
      try:
        values = self._train(step)
      except Exception as error:  # pylint: disable=broad-except
        with self._condition:  # Re-raised in the acting thread.
          self._error = error
          self._condition.notify_all()
        return
      with self._condition:
        self.latest = values
        self._done += 1
        self._condition.notify_all()
