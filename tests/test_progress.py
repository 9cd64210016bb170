"""Tests for graphrl.training.progress."""

import io
import sys

import pytest

from graphrl.training import progress


class FakeClock:
  """A clock that only moves when the test sets `now`."""

  def __init__(self):
    self.now = 0.

  def __call__(self):
    return self.now


def _progress(**kwargs):
  clock, stream = FakeClock(), io.StringIO()
  return progress.Progress(50000, stream=stream, clock=clock, **kwargs), clock


def _lines(bar):
  return bar._stream.getvalue().splitlines()  # pylint: disable=protected-access


def test_prints_at_most_every_interval():
  bar, clock = _progress(interval_s=5.)
  clock.now = 2.
  bar.update(1000)
  clock.now = 4.9
  bar.update(4900)
  assert not _lines(bar)
  clock.now = 5.
  bar.update(5000)
  clock.now = 9.
  bar.update(9000)
  # One line at t=5: 5000 steps in 5 s is 1,000 steps/s over the interval and
  # since the start; 45000 steps to go at 1,000 steps/s take 45 s.
  assert _lines(bar) == [
      'step 5000/50000 (10.0%) | 1,000 steps/s (avg 1,000) | ETA 0:00:45']


def test_recent_and_average_rates_differ():
  bar, clock = _progress(interval_s=5.)
  clock.now = 5.
  bar.update(5000)
  clock.now = 10.
  bar.update(20000)
  # Interval t=5..10: 15000 steps / 5 s = 3,000 steps/s; since start 20000 /
  # 10 s = 2,000 steps/s; ETA (50000 - 20000) / 3000 = 10 s.
  assert _lines(bar)[1] == (
      'step 20000/50000 (40.0%) | 3,000 steps/s (avg 2,000) | ETA 0:00:10')


def test_mean_of_recent_returns():
  bar, clock = _progress(interval_s=1., window=3)
  bar.update(10, recent_return=1.)
  bar.update(20, recent_return=2.)
  clock.now = 1.
  bar.update(30)
  for step, value in [(40, 3.), (50, 4.)]:
    bar.update(step, recent_return=value)
  clock.now = 2.
  bar.update(60)
  # First line: mean(1, 2) = 1.5 over 2 episodes. Second: window 3 keeps
  # 2, 3, 4 whose mean is 3.0. Rates: 30 and then 30 steps in 1 s; ETA
  # (50000 - 30) / 30 = 1665.67 s -> 0:27:46 and (50000 - 60) / 30 = 1664.67
  # s -> 0:27:45.
  assert _lines(bar) == [
      'step 30/50000 (0.1%) | 30 steps/s (avg 30) | ETA 0:27:46 '
      '| return(2) 1.5',
      'step 60/50000 (0.1%) | 30 steps/s (avg 30) | ETA 0:27:45 '
      '| return(3) 3.0']


def test_resumed_run_measures_from_start_step():
  bar, clock = _progress(interval_s=5., start_step=10000)
  clock.now = 5.
  bar.update(15000)
  # 5000 steps since the resume in 5 s, not 15000.
  assert '| 1,000 steps/s (avg 1,000) |' in _lines(bar)[0]


def test_stalled_run_has_unknown_eta():
  bar, clock = _progress(interval_s=5.)
  clock.now = 5.
  bar.update(0)
  assert _lines(bar) == [
      'step 0/50000 (0.0%) | 0 steps/s (avg 0) | ETA ?']


def test_close_prints_summary():
  bar, clock = _progress(interval_s=100.)
  clock.now = 20.
  bar.update(50000, recent_return=200.)
  bar.close()
  # 50000 steps in 20 s = 2,500 steps/s.
  assert _lines(bar) == [
      'ran to step 50000/50000 (100.0%) in 0:00:20 | 2,500 steps/s '
      '| return(1) 200.0']


@pytest.mark.parametrize('kwargs', [
    {'total_steps': 0}, {'total_steps': 10, 'interval_s': -1.},
    {'total_steps': 10, 'window': 0}])
def test_bad_arguments(kwargs):
  with pytest.raises(ValueError, match='total_steps >= 1'):
    progress.Progress(**kwargs)


if __name__ == '__main__':
  sys.exit(pytest.main([__file__]))
