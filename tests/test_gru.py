"""Tests for graphrl.gru: the raw-op GRU cell and its scan over time."""

import sys

import numpy as np
import pytest

from graphrl import gru
from graphrl.compat import tf


def _assign_all(sess, value):
  """Sets every variable of the graph to the constant `value`."""
  sess.run([v.assign(tf.fill(tf.shape(v), value))
            for v in tf.global_variables()])


def _numpy_gru(x, h, gate_w, gate_b, cand_w, cand_b):
  """Reference step, written independently of the module's ops."""
  sigmoid = lambda a: 1. / (1. + np.exp(-a))
  gates = sigmoid(np.concatenate([x, h], 1) @ gate_w + gate_b)
  units = h.shape[1]
  r, z = gates[:, :units], gates[:, units:]
  cand = np.tanh(np.concatenate([x, r * h], 1) @ cand_w + cand_b)
  return z * h + (1 - z) * cand


def test_step_shape_and_variables(graph):
  del graph
  out = gru.gru_step(tf.zeros([5, 3]), tf.zeros([5, 4]), 4, scope='cell')
  assert out.shape.as_list() == [5, 4]
  shapes = {v.op.name: v.shape.as_list() for v in tf.trainable_variables()}
  # Gates: [I + H, 2H] = [3 + 4, 8]; candidate: [I + H, H] = [7, 4].
  assert shapes == {'cell/gates/weights': [7, 8], 'cell/gates/biases': [8],
                    'cell/candidate/weights': [7, 4],
                    'cell/candidate/biases': [4]}


def test_zero_weights_halve_the_state(sess):
  # All weights and biases 0: r = z = sigmoid(0) = 0.5, h~ = tanh(0) = 0,
  # so h' = 0.5 * h + 0.5 * 0 = 0.5 * h, whatever the input.
  out = gru.gru_step(tf.constant([[7., -3.]]), tf.constant([[2., -4.]]), 2)
  sess.run(tf.global_variables_initializer())
  _assign_all(sess, 0.)
  np.testing.assert_allclose(sess.run(out), [[1., -2.]])


def test_unit_weights_by_hand(sess):
  # I = H = 1, all weights and biases 1, x = 0, h = 1:
  # r = z = sigmoid(0 + 1 + 1) = sigmoid(2) = 0.880797,
  # h~ = tanh(0 + r * 1 + 1) = tanh(1.880797) = 0.954563,
  # h' = z * 1 + (1 - z) * h~ = 0.880797 + 0.119203 * 0.954563 = 0.994584.
  out = gru.gru_step(tf.constant([[0.]]), tf.constant([[1.]]), 1)
  sess.run(tf.global_variables_initializer())
  _assign_all(sess, 1.)
  np.testing.assert_allclose(sess.run(out), [[0.994584]], atol=1e-6)


def test_step_matches_numpy_reference(sess):
  rng = np.random.RandomState(0)
  x = rng.randn(3, 2).astype(np.float32)
  h = rng.randn(3, 4).astype(np.float32)
  out = gru.gru_step(tf.constant(x), tf.constant(h), 4)
  sess.run(tf.global_variables_initializer())
  # Variables in creation order: gate weights, gate biases, candidate ones.
  gate_w, gate_b, cand_w, cand_b = sess.run(tf.global_variables())
  np.testing.assert_allclose(
      sess.run(out), _numpy_gru(x, h, gate_w, gate_b, cand_w, cand_b),
      rtol=1e-5, atol=1e-6)


def test_sequence_equals_repeated_steps_and_shares_weights(sess):
  rng = np.random.RandomState(1)
  x = rng.randn(2, 3, 5).astype(np.float32)
  h0 = rng.randn(2, 4).astype(np.float32)
  resets = np.zeros([2, 3], bool)
  outputs, final = gru.gru_sequence(
      tf.constant(x), tf.constant(h0), tf.constant(resets), 4)
  state = tf.constant(h0)
  steps = []
  for t in range(3):
    state = gru.gru_step(tf.constant(x[:, t]), state, 4)
    steps.append(state)
  assert len(tf.trainable_variables()) == 4  # One set for all four calls.
  assert outputs.shape.as_list() == [2, 3, 4]
  assert final.shape.as_list() == [2, 4]
  sess.run(tf.global_variables_initializer())
  got, got_final, want = sess.run([outputs, final, steps])
  np.testing.assert_allclose(got, np.stack(want, 1), rtol=1e-5, atol=1e-6)
  np.testing.assert_allclose(got_final, want[-1], rtol=1e-5, atol=1e-6)


def test_resets_zero_the_state_before_the_step(sess):
  # With zero weights a step maps h to 0.5 * h (see above). Batch item 0 is
  # reset before t = 1: h = 8 -> 4 -> (reset) 0 -> 0. Item 1 never resets:
  # 8 -> 4 -> 2 -> 1. Item 2 resets at t = 0, so it starts from 0.
  outputs, final = gru.gru_sequence(
      tf.zeros([3, 3, 1]), tf.fill([3, 1], 8.),
      tf.constant([[False, True, False], [False, False, False],
                   [True, False, False]]), 1)
  sess.run(tf.global_variables_initializer())
  _assign_all(sess, 0.)
  got, got_final = sess.run([outputs, final])
  np.testing.assert_allclose(got[..., 0], [[4., 0., 0.], [4., 2., 1.],
                                            [0., 0., 0.]])
  np.testing.assert_allclose(got_final, [[0.], [1.], [0.]])


def test_reset_equals_fresh_start(sess):
  # A reset at t = 1 must make the rest of the sequence independent of t = 0.
  rng = np.random.RandomState(2)
  x = rng.randn(1, 3, 2).astype(np.float32)
  reset_run, _ = gru.gru_sequence(
      tf.constant(x), tf.ones([1, 3]), tf.constant([[False, True, False]]), 3)
  fresh_run, _ = gru.gru_sequence(
      tf.constant(x[:, 1:]), tf.zeros([1, 3]), tf.zeros([1, 2], tf.bool), 3)
  sess.run(tf.global_variables_initializer())
  got, want = sess.run([reset_run, fresh_run])
  np.testing.assert_allclose(got[:, 1:], want, rtol=1e-5, atol=1e-6)


def test_bad_shapes_raise(graph):
  del graph
  with pytest.raises(ValueError, match='num_units'):
    gru.gru_step(tf.zeros([2, 3]), tf.zeros([2, 0]), 0)
  with pytest.raises(ValueError, match='state must have 4 units'):
    gru.gru_step(tf.zeros([2, 3]), tf.zeros([2, 5]), 4)
  with pytest.raises(ValueError, match='inputs must have rank 2'):
    gru.gru_step(tf.zeros([2, 3, 1]), tf.zeros([2, 4]), 4)
  with pytest.raises(ValueError, match='static size'):
    gru.gru_step(tf.placeholder(tf.float32, [2, None]), tf.zeros([2, 4]), 4)
  with pytest.raises(ValueError, match='resets must be'):
    gru.gru_sequence(tf.zeros([2, 3, 1]), tf.zeros([2, 4]),
                     tf.zeros([2, 5], tf.bool), 4)


if __name__ == '__main__':
  sys.exit(pytest.main([__file__]))
