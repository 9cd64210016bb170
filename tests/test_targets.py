"""Tests for graphrl.targets."""

import sys

import numpy as np
import pytest

from graphrl import targets
from graphrl.compat import slim
from graphrl.compat import tf

KINDS = pytest.mark.parametrize('use_resource', [False, True])


def _scaled(use_resource):
  """q = w * 3 with a trainable scalar weight w = 1."""
  w = tf.Variable(1., name='w', use_resource=use_resource)
  return w, w * 3.


@KINDS
def test_moving_average_starts_at_online_output(graph, sess, use_resource):
  _, q = _scaled(use_resource)
  q_target, _ = targets.moving_average(q, decay=0.9)
  sess.run(tf.global_variables_initializer())
  # Shadow initialized to w = 1: Q_T = Q = 1 * 3.
  assert sess.run([q, q_target]) == [3., 3.]


@KINDS
def test_moving_average_update(graph, sess, use_resource):
  w, q = _scaled(use_resource)
  q_target, update = targets.moving_average(q, decay=0.9)
  sess.run(tf.global_variables_initializer())
  sess.run(w.assign(2.))
  # Before the update the target still uses the shadow 1: 1 * 3.
  assert sess.run([q, q_target]) == [6., 3.]
  sess.run(update)
  # Shadow 0.9 * 1 + 0.1 * 2 = 1.1; Q_T = 1.1 * 3 = 3.3.
  np.testing.assert_allclose(sess.run(q_target), 3.3, rtol=1e-6)
  sess.run(update)
  # Shadow 0.9 * 1.1 + 0.1 * 2 = 1.19; Q_T = 3.57.
  np.testing.assert_allclose(sess.run(q_target), 3.57, rtol=1e-6)


@KINDS
def test_moving_average_target_ignores_online_weights(graph, sess,
                                                      use_resource):
  w, q = _scaled(use_resource)
  q_target, _ = targets.moving_average(q, decay=0.9)
  assert tf.gradients(q_target, w) == [None]
  sess.run(tf.global_variables_initializer())
  sess.run(w.assign(-5.))
  assert sess.run(q_target) == 3.


@KINDS
def test_moving_average_shadows_are_saved_not_trained(graph, sess, tmp_path,
                                                      use_resource):
  w, q = _scaled(use_resource)
  unused = tf.Variable(7., name='unused', use_resource=use_resource)
  trainable = tf.trainable_variables()
  _, update = targets.moving_average(q, decay=0.9)
  # Only w, the one variable q reads, gets a (non-trainable) shadow.
  assert tf.trainable_variables() == trainable
  assert tf.moving_average_variables() == [w]
  shadows = [v for v in tf.global_variables() if v not in (w, unused)]
  assert [v.op.name for v in shadows] == ['w/ExponentialMovingAverage']
  shadow = shadows[0]
  saver = tf.train.Saver()
  sess.run(tf.global_variables_initializer())
  sess.run(w.assign(2.))
  sess.run(update)
  path = saver.save(sess, str(tmp_path / 'ckpt'))
  sess.run(shadow.assign(0.))
  saver.restore(sess, path)
  # The restored shadow is 0.9 * 1 + 0.1 * 2 = 1.1.
  np.testing.assert_allclose(sess.run(shadow), 1.1, rtol=1e-6)


@KINDS
def test_moving_average_slim_mlp(graph, sess, use_resource):
  x = tf.constant([[1., -1.], [0.5, 2.]])
  with tf.variable_scope('q', use_resource=use_resource):
    h = slim.fully_connected(x, 3, scope='fc1')
    q = slim.fully_connected(h, 2, activation_fn=None, scope='fc2')
  online = slim.get_variables('q')
  q_target, update = targets.moving_average(q, decay=0.5)
  assert len(tf.moving_average_variables()) == len(online) == 4
  sess.run(tf.global_variables_initializer())
  first = sess.run(q)
  np.testing.assert_allclose(sess.run(q_target), first)
  # After theta <- 0 and one update the shadows are 0.5 * theta_0, the biases
  # stay 0 (slim's zero init): Q_T = relu(x W1 / 2) W2 / 2 = Q_0 / 4, as relu
  # is positively homogeneous.
  sess.run([v.assign(tf.zeros_like(v)) for v in online])
  sess.run(update)
  np.testing.assert_allclose(sess.run(q_target), first / 4., rtol=1e-5)


def test_moving_average_bad_input(graph):
  x = tf.placeholder(tf.float32, [], name='x')
  with pytest.raises(ValueError, match='depends on no variable'):
    targets.moving_average(2. * x)
  _, q = _scaled(False)
  with pytest.raises(ValueError, match=r'decay must lie in \[0, 1\]'):
    targets.moving_average(q, decay=1.5)


def test_exclude_from_training(graph):
  del graph
  online = tf.Variable(1.0, name='online')
  target = tf.Variable(1.0, name='target')
  targets.exclude_from_training([target])
  targets.exclude_from_training([target])  # Twice is harmless.
  assert tf.trainable_variables() == [online]
  assert target in tf.global_variables()  # Still saved by a Saver().


@KINDS
def test_hard_update(graph, sess, use_resource):
  online = [tf.Variable([1., 2.], use_resource=use_resource),
            tf.Variable(3., use_resource=use_resource)]
  target = [tf.Variable([0., 0.], use_resource=use_resource),
            tf.Variable(0., use_resource=use_resource)]
  update = targets.hard_update(online, target)
  assert isinstance(update, tf.Operation)
  sess.run(tf.global_variables_initializer())
  sess.run(update)
  result = sess.run(target)
  np.testing.assert_array_equal(result[0], [1., 2.])
  assert result[1] == 3.


@KINDS
def test_soft_update(graph, sess, use_resource):
  online = [tf.Variable(10., use_resource=use_resource)]
  target = [tf.Variable(0., use_resource=use_resource)]
  update = targets.soft_update(online, target, tau=0.1)
  sess.run(tf.global_variables_initializer())
  sess.run(update)
  # 0.1 * 10 + 0.9 * 0 = 1.0, then 0.1 * 10 + 0.9 * 1 = 1.9.
  np.testing.assert_allclose(sess.run(target), [1.])
  sess.run(update)
  np.testing.assert_allclose(sess.run(target), [1.9], rtol=1e-6)
  np.testing.assert_allclose(sess.run(online), [10.])


def test_lecture_names():
  assert targets.make_hard_update is targets.hard_update
  assert targets.make_soft_update is targets.soft_update


def test_updates_bad_input(graph):
  a = tf.Variable([1., 2.], name='a')
  b = tf.Variable([1., 2., 3.], name='b')
  c = tf.Variable([1, 2], name='c')
  with pytest.raises(ValueError, match='a:0 and b:0 have incompatible shapes'):
    targets.hard_update([a], [b])
  with pytest.raises(ValueError, match='a:0 and c:0 differ in dtype'):
    targets.soft_update([a], [c], tau=0.5)
  with pytest.raises(ValueError, match=r'tau must lie in \[0, 1\]'):
    targets.soft_update([a], [a], tau=-0.1)


def test_erratum_soft_update_length_mismatch(graph):
  online = [tf.Variable(1.), tf.Variable(2.)]
  target = [tf.Variable(0.)]
  # The lecture zips the lists and silently leaves online[1] without target.
  with pytest.raises(ValueError, match='got 2 online but 1 target variables'):
    targets.soft_update(online, target)
  with pytest.raises(ValueError, match='got 2 online but 1 target variables'):
    targets.hard_update(online, target)


def test_erratum_moving_average_starts_at_online_weights(graph, sess):
  w, q = _scaled(False)
  q_target, update = targets.moving_average(q, decay=0.9)
  sess.run(tf.global_variables_initializer())
  # The lecture averages the tensor w.value(), whose shadow starts at 0:
  # Q_T = 0 * 3 = 0 at step 0 and (0.9 * 0 + 0.1 * 2) * 3 = 0.6 after one
  # update; here the shadow starts at w = 1: 3, then 1.1 * 3 = 3.3.
  assert sess.run(q_target) == 3.
  sess.run(w.assign(2.))
  sess.run(update)
  np.testing.assert_allclose(sess.run(q_target), 3.3, rtol=1e-6)


def test_erratum_moving_average_resource_variables(graph, sess):
  w, q = _scaled(True)
  q_target, update = targets.moving_average(q, decay=0.9)
  sess.run(tf.global_variables_initializer())
  sess.run(w.assign(2.))
  sess.run(update)
  # The lecture matches the graph's reads against fresh v.value() reads, finds
  # no dependency and returns Q itself: 2 * 3 = 6 instead of 1.1 * 3 = 3.3.
  np.testing.assert_allclose(sess.run(q_target), 3.3, rtol=1e-6)
  assert tf.moving_average_variables() == [w]


if __name__ == '__main__':
  sys.exit(pytest.main([__file__]))
