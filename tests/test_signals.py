"""Tests for graphrl.training.signals."""

import io
import os
import signal
import sys

import pytest

from graphrl.training import signals


def test_not_requested_without_signal():
  with signals.StopRequest(stream=io.StringIO()) as stop:
    assert not stop.requested


@pytest.mark.parametrize('number', [signal.SIGTERM, signal.SIGINT])
def test_first_signal_sets_requested(number):
  stream = io.StringIO()
  with signals.StopRequest(stream=stream) as stop:
    os.kill(os.getpid(), number)  # Python runs the handler before returning.
    assert stop.requested
    assert stop.signal_name == signal.Signals(number).name
  assert stream.getvalue().startswith(signal.Signals(number).name + ': stop')


@pytest.mark.parametrize('second', [signal.SIGINT, signal.SIGTERM])
def test_second_signal_raises_keyboard_interrupt(second):
  with pytest.raises(KeyboardInterrupt, match='while stopping after SIGTERM'):
    with signals.StopRequest(stream=io.StringIO()):
      os.kill(os.getpid(), signal.SIGTERM)
      os.kill(os.getpid(), second)


def test_previous_handlers_restored():
  calls = []
  previous = signal.signal(signal.SIGTERM, lambda *args: calls.append(args[0]))
  sigint_handler = signal.getsignal(signal.SIGINT)
  try:
    with signals.StopRequest(stream=io.StringIO()):
      assert signal.getsignal(signal.SIGINT) is not sigint_handler
    assert signal.getsignal(signal.SIGINT) is sigint_handler
    # The test's own SIGTERM handler is back and receives the signal.
    os.kill(os.getpid(), signal.SIGTERM)
    assert calls == [signal.SIGTERM]
  finally:
    signal.signal(signal.SIGTERM, previous)


if __name__ == '__main__':
  sys.exit(pytest.main([__file__]))
