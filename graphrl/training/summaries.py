"""TensorBoard scalars written from Python values: `ScalarWriter`.

Training loops already hold their metrics as numbers, so the writer builds
`tf.Summary` protos directly instead of adding summary ops to the graph.
"""

import numbers
import os

from graphrl.compat import tf

_EVENTS_PREFIX = 'events.out.tfevents.'


def _event_files(logdir):
  """The names of the event files in `logdir`."""
  if not os.path.isdir(logdir):
    return set()
  return {name for name in os.listdir(logdir)
          if name.startswith(_EVENTS_PREFIX)}


class ScalarWriter:
  """Writes scalars, and optionally the graph, to TensorBoard event files."""

  def __init__(self, logdir, resume_step=None, flush_secs=30):
    """Opens a new event file in `logdir`, created at the first write.

    Args:
      logdir: directory of the event files.
      resume_step: the step of the checkpoint a resumed run starts from;
        TensorBoard then drops the points a killed earlier process wrote
        after that step.
      flush_secs: how often pending events are written to disk.
    """
    self._logdir = logdir
    self._earlier = _event_files(logdir)
    self._writer = tf.summary.FileWriter(logdir, flush_secs=flush_secs)
    if resume_step is not None:
      self._writer.add_session_log(
          tf.SessionLog(status=tf.SessionLog.START), int(resume_step))

  def add_graph(self, graph):
    """Writes `graph` for TensorBoard's graph tab."""
    self._writer.add_graph(graph)

  def scalar(self, tag, value, step):
    """Writes `value` as the point (`step`, `value`) of the curve `tag`."""
    self.scalars({tag: value}, step)

  def scalars(self, values, step):
    """Writes each `tag: value` of the dict `values` at `step`.

    Raises:
      ValueError: a tag is not a non-empty string or a value is not a real
        number.
    """
    summary_values = []
    for tag, value in values.items():
      if not isinstance(tag, str) or not tag:
        raise ValueError('summary tag must be a non-empty string, got %r'
                         % (tag,))
      if not isinstance(value, numbers.Real):
        raise ValueError('summary %s must be a real number, got %r'
                         % (tag, value))
      summary_values.append(tf.Summary.Value(tag=tag,
                                             simple_value=float(value)))
    self._writer.add_summary(tf.Summary(value=summary_values), int(step))

  def flush(self):
    self._writer.flush()

  def close(self):
    self._writer.close()

  def discard(self):
    """Closes the writer and deletes the event file it opened, for a run
    that ends leaving the logdir as it found it."""
    self.close()
    for name in _event_files(self._logdir) - self._earlier:
      os.remove(os.path.join(self._logdir, name))

  def __enter__(self):
    return self

  def __exit__(self, *unused_exc_info):
    self.close()
