"""Tests of StepCallable, the compiled Session.run of a loop step."""

import sys

import numpy as np
import pytest

from graphrl.compat import tf
from graphrl.training.step_callable import StepCallable


def test_returns_tensors_in_order_and_runs_ops(graph, sess):
  del graph
  x = tf.placeholder(tf.float32, [None], 'x')
  k = tf.placeholder(tf.int64, [], 'k')
  counter = tf.Variable(0, dtype=tf.int64)
  increment = counter.assign_add(k).op
  sess.run(tf.global_variables_initializer())
  step = StepCallable(sess, [2.0 * x, increment, tf.reduce_sum(x)], [x, k])
  # Python numbers are converted to the placeholders' dtypes:
  # 2 * [1, 2] = [2, 4], sum 3; the op adds k = 5 to the counter.
  doubled, total = step([1, 2], 5)
  np.testing.assert_array_equal(doubled, [2.0, 4.0])
  assert doubled.dtype == np.float32 and total == 3.0
  step([0.5], 2)
  assert sess.run(counter) == 7


def test_wrong_number_of_values_fails(graph, sess):
  del graph
  x = tf.placeholder(tf.float32, [], 'x')
  step = StepCallable(sess, [x + 1.0], [x])
  with pytest.raises(tf.errors.InvalidArgumentError, match='Expected 1 feed'):
    step()


if __name__ == '__main__':
  sys.exit(pytest.main([__file__]))
