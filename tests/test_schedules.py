"""Tests for graphrl.schedules."""

import sys

import numpy as np
import pytest

from graphrl import schedules
from graphrl.compat import tf


def _decay(sess, step, **kwargs):
  """Default: the lecture's 1.0 -> 0.05 with rate 0.5, over 100 steps."""
  args = dict(total=100, initial=1.0, final=0.05, rate=0.5)
  args.update(kwargs)
  return sess.run(schedules.exponential_decay(step, **args))


def test_exponential_decay_midpoints(sess):
  # p = 0.5: 0.05 + 0.95 * (0.5**0.5 - 0.5) / 0.5
  #        = 0.05 + 0.95 * (0.70710678 - 0.5) / 0.5 = 0.05 + 0.39350288.
  np.testing.assert_allclose(_decay(sess, 50), 0.44350288, rtol=1e-6)
  # p = 0.25: 0.5**0.25 = 0.84089642; 0.95 * 0.34089642 / 0.5 = 0.64770319.
  np.testing.assert_allclose(_decay(sess, 25), 0.69770319, rtol=1e-6)


def test_exponential_decay_exact_at_both_ends(sess):
  assert _decay(sess, 0) == np.float32(1.0)
  assert _decay(sess, 100) == np.float32(0.05)


def test_exponential_decay_clamps_outside_schedule(sess):
  assert _decay(sess, 150) == np.float32(0.05)
  assert _decay(sess, 10**9) == np.float32(0.05)
  assert _decay(sess, -10) == np.float32(1.0)


def test_exponential_decay_increasing(sess):
  # 0 -> 1: 1 + (0 - 1) * 0.41421356 at p = 0.5.
  np.testing.assert_allclose(
      _decay(sess, 50, initial=0., final=1.), 0.58578644, rtol=1e-6)
  assert _decay(sess, 0, initial=0., final=1.) == 0.
  assert _decay(sess, 200, initial=0., final=1.) == 1.


def test_exponential_decay_default_rate_decays_fast(sess):
  # rate 1e-4, p = 0.5: (0.01 - 1e-4) / (1 - 1e-4) = 0.00990099;
  # 0.05 + 0.95 * 0.00990099 = 0.05940594.
  np.testing.assert_allclose(
      _decay(sess, 50, rate=1e-4), 0.05940594, rtol=1e-6)


def test_exponential_decay_stairs(sess):
  # Blocks of 30 steps: steps 0..29 -> step 0, steps 30..59 -> step 30.
  assert _decay(sess, 29, stairs=30) == np.float32(1.0)
  # p = 0.3: 0.5**0.3 = 0.81225240; 0.05 + 0.95 * 0.31225240 / 0.5.
  np.testing.assert_allclose(_decay(sess, 30, stairs=30), 0.64327956, 1e-6)
  np.testing.assert_allclose(_decay(sess, 59, stairs=30), 0.64327956, 1e-6)
  assert _decay(sess, 60, stairs=30) < _decay(sess, 59, stairs=30)


def test_exponential_decay_int64_global_step(sess):
  step = tf.train.get_or_create_global_step()
  assert step.dtype.base_dtype == tf.int64
  value = schedules.exponential_decay(step, 100, 1.0, 0.05, rate=0.5)
  assert value.dtype == tf.float32
  sess.run(tf.global_variables_initializer())
  assert sess.run(value) == np.float32(1.0)
  sess.run(step.assign(50))
  np.testing.assert_allclose(sess.run(value), 0.44350288, rtol=1e-6)


def test_exponential_decay_tensor_total(sess):
  total = tf.constant(100, tf.int32)
  np.testing.assert_allclose(_decay(sess, 50, total=total), 0.44350288, 1e-6)


@pytest.mark.parametrize('kwargs', [
    dict(total=0), dict(total=-5), dict(rate=0.), dict(rate=1.),
    dict(rate=1.5), dict(stairs=0)])
@pytest.mark.usefixtures('graph')
def test_exponential_decay_rejects_bad_arguments(kwargs):
  args = dict(step=0, total=100, initial=1.0, final=0.05)
  args.update(kwargs)
  with pytest.raises(ValueError):
    schedules.exponential_decay(**args)


def test_erratum_exponential_decay_starts_at_initial(sess):
  # The lecture does not scale its offset by (initial - final):
  # 0.95 * 2 * 1 - 1 + 0.05 = 0.95 at step 0. Ours starts at 1.0.
  assert _decay(sess, 0) == np.float32(1.0)
  assert _decay(sess, 1) > 0.95


def test_linear_decay(sess):
  # 1.0 -> 0.1 over 10 steps: step 3 is 0.1 + 0.9 * (1 - 0.3) = 0.73.
  values = [
      sess.run(schedules.linear_decay(s, 10, 1.0, 0.1)) for s in (0, 3, 10, 20)]
  np.testing.assert_allclose(values, [1.0, 0.73, 0.1, 0.1], rtol=1e-6)
  # Increasing: 0 -> 2 over 4 steps, step 1 gives 0.5.
  assert sess.run(schedules.linear_decay(1, 4, 0., 2.)) == 0.5


@pytest.mark.usefixtures('graph')
def test_linear_decay_rejects_bad_total():
  with pytest.raises(ValueError, match='total'):
    schedules.linear_decay(0, 0, 1.0, 0.1)


if __name__ == '__main__':
  sys.exit(pytest.main([__file__]))
