"""The periodic progress line of a training run: `Progress`.

A line reads (on one line)

  step 12000/50000 (24.0%) | 3,100 steps/s (avg 2,950) | ETA 0:00:12
  | return(20) 143.2

where steps/s is measured over the last interval, avg since the start; the ETA
assumes the last interval's speed; return(n) is the mean return of the last n
finished episodes.
"""

import collections
import datetime
import sys
import time


def duration(seconds):
  """`seconds` as H:MM:SS, e.g. 0:01:05."""
  return str(datetime.timedelta(seconds=round(seconds)))


class Progress:
  """Prints a progress line at most every `interval_s` seconds."""

  def __init__(self, total_steps, interval_s=5.0, stream=sys.stdout,
               clock=time.monotonic, start_step=0, window=20):
    """Starts measuring time.

    Args:
      total_steps: the step at which training ends, at least 1.
      interval_s: least number of seconds between two lines, non-negative.
      stream: where the lines go.
      clock: returns the time in seconds.
      start_step: the step training starts (or resumes) from.
      window: how many recent episode returns are averaged, at least 1.

    Raises:
      ValueError: an argument is out of range.
    """
    if total_steps < 1 or interval_s < 0 or window < 1:
      raise ValueError(
          'need total_steps >= 1, interval_s >= 0 and window >= 1, got %r, '
          '%r and %r' % (total_steps, interval_s, window))
    self._total = total_steps
    self._interval = interval_s
    self._stream = stream
    self._clock = clock
    self._returns = collections.deque(maxlen=window)
    self._start_time = self._last_time = clock()
    self._start_step = self._last_step = self._step = start_step

  def update(self, step, recent_return=None):
    """Records `step`; prints a line if `interval_s` passed since the last.

    Args:
      step: the current training step.
      recent_return: the return of an episode that finished at this step, or
        None when none did.
    """
    self._step = step
    if recent_return is not None:
      self._returns.append(recent_return)
    now = self._clock()
    if now - self._last_time < self._interval:
      return
    rate = (step - self._last_step) / max(now - self._last_time, 1e-9)
    eta = duration((self._total - step) / rate) if rate > 0 else '?'
    self._print('step %s | %s steps/s (avg %s) | ETA %s' % (
        self._position(), format(rate, ',.0f'),
        format(self._average_rate(now), ',.0f'), eta))
    self._last_time, self._last_step = now, step

  def close(self):
    """Prints the summary line: steps reached, time taken, average speed."""
    now = self._clock()
    self._print('ran to step %s in %s | %s steps/s' % (
        self._position(), duration(now - self._start_time),
        format(self._average_rate(now), ',.0f')))

  def _position(self):
    return '%d/%d (%.1f%%)' % (self._step, self._total,
                               100. * self._step / self._total)

  def _average_rate(self, now):
    return (self._step - self._start_step) / max(now - self._start_time, 1e-9)

  def _print(self, line):
    if self._returns:
      mean = sum(self._returns) / len(self._returns)
      line += ' | return(%d) %.1f' % (len(self._returns), mean)
    self._stream.write(line + '\n')
    self._stream.flush()
