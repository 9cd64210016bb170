"""Step-dependent hyperparameter schedules, e.g. for the exploration rate.

A schedule maps a step (a Python number or a scalar int/float tensor such as
the global step) to a float32 scalar tensor. Both schedules use the progress

  p = clip(step / total, 0, 1),

so they start exactly at `initial`, end exactly at `final` at `step == total`
and stay there afterwards. `final > initial` gives increasing schedules.
Arithmetic is float64 so that large integer steps stay exact.
"""

import numbers

from graphrl.compat import tf


def exponential_decay(step, total, initial, final, rate=1e-4, stairs=None):
  """Exponential interpolation from `initial` to `final` over `total` steps.

    value = final + (initial - final) * (rate**p - rate) / (1 - rate)

  The distance to `final` decays like rate**p, offset and rescaled so that
  p = 0 gives `initial` and p = 1 gives `final` exactly. With rate = 0.5 the
  value at p = 0.5 is final + (initial - final) * 0.4142.

  Args:
    step: scalar int or float tensor, or a Python number.
    total: number of steps of the decay; > 0.
    initial: value at step 0.
    final: value from step `total` on.
    rate: in (0, 1); smaller values decay faster at the start.
    stairs: optional block length > 0; the value is held constant within
      each block, i.e. step -> stairs * floor(step / stairs).

  Returns:
    A float32 scalar tensor.

  Raises:
    ValueError: if a Python-number `total`, `rate` or `stairs` is out of range.
  """
  if isinstance(rate, numbers.Real) and not 0 < rate < 1:
    raise ValueError('rate must be in (0, 1), got {}'.format(rate))
  progress = _progress(step, total, stairs)
  rate = tf.cast(rate, tf.float64)
  weight = (tf.pow(rate, progress) - rate) / (1. - rate)
  return _interpolate(initial, final, weight)


def linear_decay(step, total, initial, final):
  """Linear interpolation from `initial` to `final` over `total` steps.

    value = final + (initial - final) * (1 - p)

  Args:
    step: scalar int or float tensor, or a Python number.
    total: number of steps of the decay; > 0.
    initial: value at step 0.
    final: value from step `total` on.

  Returns:
    A float32 scalar tensor.

  Raises:
    ValueError: if a Python-number `total` is not positive.
  """
  return _interpolate(initial, final, 1. - _progress(step, total))


def _progress(step, total, stairs=None):
  """Returns p = clip(step / total, 0, 1) as a float64 tensor."""
  _check_positive('total', total)
  step = tf.cast(step, tf.float64)
  if stairs is not None:
    _check_positive('stairs', stairs)
    stairs = tf.cast(stairs, tf.float64)
    step = stairs * tf.floor(step / stairs)
  return tf.clip_by_value(step / tf.cast(total, tf.float64), 0., 1.)


def _interpolate(initial, final, weight):
  """Returns final + (initial - final) * weight as float32."""
  initial = tf.cast(initial, tf.float64)
  final = tf.cast(final, tf.float64)
  return tf.cast(final + (initial - final) * weight, tf.float32)


def _check_positive(name, value):
  if isinstance(value, numbers.Real) and not value > 0:
    raise ValueError('{} must be > 0, got {}'.format(name, value))
