"""Tests for graphrl.shape_checks."""

import sys

import numpy as np
import pytest

from graphrl import shape_checks
from graphrl.compat import tf


@pytest.mark.usefixtures('graph')
def test_check_rank():
  shape_checks.check_rank(tf.zeros([2, 3]), 2, 'q')
  with pytest.raises(ValueError, match=r'q must have rank 1, got shape'):
    shape_checks.check_rank(tf.zeros([2, 3]), 1, 'q')
  with pytest.raises(ValueError, match='x must have rank 2'):
    shape_checks.check_rank(tf.placeholder(tf.float32), 2, 'x')


@pytest.mark.usefixtures('graph')
def test_check_amount_takes_ints_and_optionally_tensors():
  for amount in (1, 32, np.int64(2)):
    shape_checks.check_amount(amount)
    shape_checks.check_amount(amount, allow_tensor=True)
  tensor = tf.constant(3)
  shape_checks.check_amount(tensor, allow_tensor=True)
  with pytest.raises(ValueError, match='amount must be an int >= 1'):
    shape_checks.check_amount(tensor)
  for amount in (0, -1):
    for allow_tensor in (False, True):
      with pytest.raises(ValueError, match='amount must be an int >= 1'):
        shape_checks.check_amount(amount, allow_tensor=allow_tensor)
  with pytest.raises(ValueError, match=r'got 2\.0'):
    shape_checks.check_amount(2.)


if __name__ == '__main__':
  sys.exit(pytest.main([__file__]))
