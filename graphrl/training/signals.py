"""Graceful stopping on SIGTERM or Ctrl-C: `StopRequest`.

  with StopRequest() as stop:
    while step < total and not stop.requested:
      ...
    manager.save(sess, step)

The first SIGTERM or SIGINT only sets `requested`, so the loop can save a
checkpoint and exit cleanly; a second one raises `KeyboardInterrupt` as an
unhandled Ctrl-C would.
"""

import signal
import sys

SIGNALS = (signal.SIGTERM, signal.SIGINT)


class StopRequest:
  """Context manager recording a request to stop; restores handlers on exit.

  Must be entered in the main thread (Python's rule for signal handlers).
  """

  def __init__(self, stream=sys.stderr):
    """`stream` receives a note when a stop is requested."""
    self._stream = stream
    self._previous = {}
    self.signal_name = None

  @property
  def requested(self):
    """Whether SIGTERM or SIGINT arrived since the context was entered."""
    return self.signal_name is not None

  def __enter__(self):
    for number in SIGNALS:
      self._previous[number] = signal.signal(number, self._handle)
    return self

  def __exit__(self, *unused_exc_info):
    for number, handler in self._previous.items():
      signal.signal(number, handler)
    self._previous.clear()

  def _handle(self, number, unused_frame):
    name = signal.Signals(number).name
    if self.requested:
      raise KeyboardInterrupt('%s while stopping after %s'
                              % (name, self.signal_name))
    self.signal_name = name
    self._stream.write('%s: stopping after a checkpoint; send it again to '
                       'abort at once\n' % name)
    self._stream.flush()
