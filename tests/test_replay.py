"""Tests for graphrl.replay."""

import sys

import numpy as np
import pytest

from graphrl import replay
from graphrl.compat import session_config
from graphrl.compat import tf


class _Feeder(object):
  """Appends fed values through fixed append ops (not one op per append).

  For prioritized buffers, priority=None uses the op built with None.
  """

  def __init__(self, buffer, specs, batch=False, prioritized=False):
    leading = [buffer.num_streams] if batch else []
    self._items = [tf.placeholder(s.dtype, leading + s.shape.as_list())
                   for s in specs]
    method = buffer.append_batch if batch else buffer.append
    if prioritized:
      self._priority = tf.placeholder(tf.float32, leading)
      self._op = method(self._priority, self._items)
      self._default_op = method(None, self._items)
    else:
      self._priority = None
      self._op = self._default_op = method(self._items)

  def __call__(self, sess, *items, priority=None):
    feed = dict(zip(self._items, items))
    if priority is None:
      return sess.run(self._default_op, feed)
    feed[self._priority] = priority
    return sess.run(self._op, feed)


_SCALAR = tf.TensorSpec([], tf.int32)


def _scalar_buffer(capacity, num_streams=1):
  buffer = replay.ReplayBuffer([_SCALAR], capacity, num_streams)
  return buffer, _Feeder(buffer, [_SCALAR], batch=num_streams > 1)


def test_append_overwrites_oldest_circularly(sess):
  spec = tf.TensorSpec([2], tf.int32)
  buffer = replay.ReplayBuffer([spec], 3)
  append = _Feeder(buffer, [spec])
  size = buffer.size()
  sess.run(tf.global_variables_initializer())
  assert sess.run(size) == 0
  for i in range(1, 6):
    assert append(sess, [i, 10 * i]) == i  # The new write index.
    assert sess.run(size) == min(i, 3)
  # Items 4 and 5 replaced items 1 and 2 at rows 0 and 1.
  np.testing.assert_array_equal(
      sess.run(buffer.storage[0]), [[4, 40], [5, 50], [3, 30]])


def test_sample_is_uniform_over_stored_items(sess):
  buffer, append = _scalar_buffer(5)
  sample = buffer.sample(3000)[0]
  sess.run(tf.global_variables_initializer())
  for value in (1, 2, 3):
    append(sess, value)
  # 3 of 5 rows stored: each has frequency 1/3, std sqrt(2/9 / 3000) =
  # 0.0086, allow 5 std; the empty rows (0) are never drawn.
  counts = np.bincount(sess.run(sample), minlength=4)
  assert counts[0] == 0
  np.testing.assert_allclose(counts[1:] / 3000., [1. / 3] * 3, atol=0.043)


def test_sample_covers_full_buffer_after_wrapping(sess):
  buffer, append = _scalar_buffer(3)
  sample = buffer.sample(500)[0]
  sess.run(tf.global_variables_initializer())
  for value in range(1, 6):
    append(sess, value)
  # P(an item missing from 500 draws) <= 3 * (2/3)^500, negligible.
  assert set(sess.run(sample)) == {3, 4, 5}


def test_erratum_sample_includes_newest_item(sess):
  # The lecture draws from [0, size - 1) (and `self.size - 1` is a bound
  # method minus an int): item 2 of 2 would never be drawn.
  buffer, append = _scalar_buffer(4)
  sample = buffer.sample(2000)[0]
  sess.run(tf.global_variables_initializer())
  append(sess, 7)
  append(sess, 8)
  assert set(sess.run(sample)) == {7, 8}


def test_sample_from_empty_buffer_raises(sess):
  buffer, _ = _scalar_buffer(4)
  sample = buffer.sample(2)
  sess.run(tf.global_variables_initializer())
  with pytest.raises(tf.errors.InvalidArgumentError, match='empty replay'):
    sess.run(sample)


def test_gather_and_sample_indices(sess):
  specs = [tf.TensorSpec([], tf.float32), tf.TensorSpec([2], tf.bool)]
  buffer = replay.ReplayBuffer(specs, 4)
  append = _Feeder(buffer, specs)
  indices = buffer.sample_indices(50)
  gathered = buffer.gather(tf.constant([1, 0]))
  sess.run(tf.global_variables_initializer())
  append(sess, 0.5, [True, False])
  append(sess, 1.5, [False, True])
  assert set(sess.run(indices)) == {0, 1}
  floats, flags = sess.run(gathered)
  np.testing.assert_array_equal(floats, [1.5, 0.5])
  np.testing.assert_array_equal(flags, [[False, True], [True, False]])


def test_append_batch_layout(sess):
  # 2 streams, capacity 6: time t of stream s is row (2 t + s) mod 6.
  buffer, append = _scalar_buffer(6, num_streams=2)
  sess.run(tf.global_variables_initializer())
  for t in range(4):
    assert append(sess, [100 * t, 100 * t + 1]) == 2 * (t + 1)
  # t = 3 overwrote t = 0 in rows 0 and 1.
  np.testing.assert_array_equal(
      sess.run(buffer.storage[0]), [300, 301, 100, 101, 200, 201])
  assert sess.run(buffer.size()) == 6


@pytest.mark.usefixtures('graph')
def test_constructor_validation():
  with pytest.raises(ValueError, match='capacity'):
    replay.ReplayBuffer([_SCALAR], 0)
  with pytest.raises(ValueError, match='multiple'):
    replay.ReplayBuffer([_SCALAR], 5, num_streams=2)
  with pytest.raises(ValueError, match='fully defined'):
    replay.ReplayBuffer([tf.placeholder(tf.float32, [None, 2])], 4)
  with pytest.raises(ValueError, match='list or tuple'):
    replay.ReplayBuffer(tf.zeros([2]), 4)
  with pytest.raises(ValueError, match='not a tensor'):
    replay.ReplayBuffer([1.0], 4)


@pytest.mark.usefixtures('graph')
def test_append_validation():
  buffer = replay.ReplayBuffer([_SCALAR, tf.zeros([3])], 4)
  with pytest.raises(ValueError, match='expected 2 tensors'):
    buffer.append([1])
  with pytest.raises(ValueError, match=r'shape \(3,\)'):
    buffer.append([1, tf.zeros([2])])
  with pytest.raises(ValueError, match=r'shape \(1, 3\)'):
    buffer.append_batch([[1], tf.zeros([2, 3])])
  streams = replay.ReplayBuffer([_SCALAR], 4, num_streams=2)
  with pytest.raises(ValueError, match='append_batch'):
    streams.append([1])
  with pytest.raises(ValueError, match='amount'):
    buffer.sample(0)


def _windows(sess, dataset, draws=20):
  element = tf.data.make_one_shot_iterator(dataset.prefetch(3)).get_next()
  return np.concatenate([sess.run(element)[0] for _ in range(draws)])


def test_as_dataset_windows_never_cross_write_head(sess):
  # Capacity 4 after appending 0..9 holds 6..9 in rows [8, 9, 6, 7]: windows
  # of 3 consecutive steps are [6, 7, 8] and [7, 8, 9]. Windows like
  # [8, 9, 6] (rows 0..2) would cross the write head.
  buffer, append = _scalar_buffer(4)
  dataset = buffer.as_dataset(sample_batch_size=16, num_steps=3)
  sess.run(tf.global_variables_initializer())
  for value in range(10):
    append(sess, value)
  windows = _windows(sess, dataset)
  assert windows.shape == (320, 3)
  assert {tuple(w) for w in windows} == {(6, 7, 8), (7, 8, 9)}


def test_as_dataset_windows_follow_one_stream(sess):
  # 2 streams, capacity 6 (3 steps each); stream s at time t stores
  # 10 t + s. After t = 0..4 the stored steps are 2..4: 2-step windows start
  # at t = 2 or 3, in either stream.
  specs = [_SCALAR, tf.TensorSpec([2], tf.float32)]
  buffer = replay.ReplayBuffer(specs, 6, num_streams=2)
  append = _Feeder(buffer, specs, batch=True)
  dataset = buffer.as_dataset(sample_batch_size=8, num_steps=2)
  sess.run(tf.global_variables_initializer())
  for t in range(5):
    append(sess, [10 * t, 10 * t + 1], [[t, 0.], [t, 1.]])
  element = tf.data.make_one_shot_iterator(dataset).get_next()
  assert element[1].shape.as_list() == [8, 2, 2]
  seen = set()
  for _ in range(20):
    ints, floats = sess.run(element)
    np.testing.assert_array_equal(ints, floats[..., 0] * 10 + floats[..., 1])
    seen |= {tuple(w) for w in ints}
  assert seen == {(20, 30), (30, 40), (21, 31), (31, 41)}


def test_as_dataset_before_partial_wrap(sess):
  # 3 of capacity 5 stored: 2-step windows are [1, 2] and [2, 3] only.
  buffer, append = _scalar_buffer(5)
  dataset = buffer.as_dataset(sample_batch_size=16)
  sess.run(tf.global_variables_initializer())
  for value in (1, 2, 3):
    append(sess, value)
  windows = _windows(sess, dataset, draws=10)
  assert {tuple(w) for w in windows} == {(1, 2), (2, 3)}


def test_as_dataset_initializable_iterator(sess):
  buffer, append = _scalar_buffer(3)
  iterator = tf.data.make_initializable_iterator(buffer.as_dataset(4, 1))
  element = iterator.get_next()
  sess.run(tf.global_variables_initializer())
  append(sess, 5)
  sess.run(iterator.initializer)
  np.testing.assert_array_equal(sess.run(element)[0], [[5]] * 4)


def test_as_dataset_too_few_steps_raises(sess):
  buffer, append = _scalar_buffer(4)
  element = tf.data.make_one_shot_iterator(buffer.as_dataset(2, 3)).get_next()
  sess.run(tf.global_variables_initializer())
  append(sess, 1)
  append(sess, 2)
  with pytest.raises(tf.errors.InvalidArgumentError, match='fewer than'):
    sess.run(element)


@pytest.mark.usefixtures('graph')
def test_as_dataset_validation():
  buffer = replay.ReplayBuffer([_SCALAR], 4, num_streams=2)
  with pytest.raises(ValueError, match='num_steps'):
    buffer.as_dataset(2, num_steps=3)  # A stream holds 2 steps.
  with pytest.raises(ValueError, match='sample_batch_size'):
    buffer.as_dataset(0)


def test_checkpoint_round_trip(tmp_path):
  path = str(tmp_path / 'ckpt')
  specs = [tf.TensorSpec([2], tf.float32), tf.TensorSpec([], tf.bool)]

  def build():
    buffer = replay.ReplayBuffer(specs, 3)
    prioritized = replay.PrioritizedReplayBuffer([_SCALAR], 3)
    sample = prioritized.sample(2)  # Its draw counter is checkpointed too.
    return buffer, prioritized, sample, tf.train.Saver()

  with tf.Graph().as_default(), tf.Session(config=session_config()) as sess:
    buffer, prioritized, _, saver = build()
    append = _Feeder(buffer, specs)
    sess.run(tf.global_variables_initializer())
    for i in range(4):
      append(sess, [i, -i], i % 2 == 1)
    sess.run(prioritized.append(4., [9]))
    saver.save(sess, path)

  with tf.Graph().as_default(), tf.Session(config=session_config()) as sess:
    buffer, prioritized, sample, saver = build()
    saver.restore(sess, path)
    vectors, flags = sess.run(buffer.storage)
    np.testing.assert_array_equal(vectors, [[3, -3], [1, -1], [2, -2]])
    np.testing.assert_array_equal(flags, [True, True, False])
    assert sess.run(buffer.size()) == 3
    # The restored index is 4: the next item goes to row 4 mod 3 = 1.
    assert sess.run(buffer.append([[7., 7.], False])) == 5
    np.testing.assert_array_equal(sess.run(buffer.storage[0])[1], [7., 7.])
    np.testing.assert_array_equal(sess.run(prioritized.priorities()), [4.])
    assert sess.run(prioritized.max_priority()) == 4.
    np.testing.assert_array_equal(sess.run(sample), [[9, 9]])


def _prioritized(capacity, num_streams=1):
  buffer = replay.PrioritizedReplayBuffer([_SCALAR], capacity, num_streams)
  feeder = _Feeder(
      buffer, [_SCALAR], batch=num_streams > 1, prioritized=True)
  return buffer, feeder


@pytest.mark.parametrize('temperature, expected', [
    (1., [0.25, 0.75]),  # [1, 3] / 4.
    (0.5, [0.1, 0.9]),  # [1^2, 3^2] / 10.
])
def test_prioritized_sampling_probabilities(sess, temperature, expected):
  buffer, append = _prioritized(4)
  sample = buffer.sample(4000, temperature)
  assert isinstance(sample, list) and len(sample) == 1
  sess.run(tf.global_variables_initializer())
  append(sess, 1, priority=1.)
  append(sess, 2, priority=3.)
  # Frequency std <= sqrt(0.25 * 0.75 / 4000) = 0.0068; allow 5 std. Rows
  # 2 and 3 are not stored and never drawn.
  counts = np.bincount(sess.run(sample[0]), minlength=3)
  assert counts[0] == 0
  np.testing.assert_allclose(counts[1:] / 4000., expected, atol=0.034)


@pytest.mark.parametrize('beta, expected', [
    # w = (N P)^-beta = [(2 * 0.25)^-1, (2 * 0.75)^-1] = [2, 2/3] -> / 2.
    (1., [1., 1. / 3]),
    # [0.5^-0.5, 1.5^-0.5] = [1.41421, 0.81650] -> / 1.41421.
    (0.5, [1., 0.57735]),
    (0., [1., 1.]),
])
def test_prioritized_importance_weights(sess, beta, expected):
  buffer, append = _prioritized(4)
  items, indices, weights = buffer.sample_with_info(200, beta=beta)
  sess.run(tf.global_variables_initializer())
  append(sess, 1, priority=1.)
  append(sess, 2, priority=3.)
  items, indices, weights = sess.run([items[0], indices, weights])
  # Both items are in the batch unless all 200 draws agree (p < 1e-20).
  np.testing.assert_array_equal(items, indices + 1)
  np.testing.assert_allclose(
      weights, np.array(expected)[indices], rtol=1e-5)


def test_prioritized_weights_normalized_by_batch_max(sess):
  # Only item 2 can be drawn (item 1 has priority 0): w = 1 for every draw.
  buffer, append = _prioritized(4)
  _, indices, weights = buffer.sample_with_info(10, beta=1.)
  sess.run(tf.global_variables_initializer())
  append(sess, 1, priority=0.)
  append(sess, 2, priority=3.)
  indices, weights = sess.run([indices, weights])
  np.testing.assert_array_equal(indices, [1] * 10)
  np.testing.assert_allclose(weights, [1.] * 10)


def test_prioritized_new_items_get_max_priority(sess):
  buffer, append = _prioritized(4)
  sess.run(tf.global_variables_initializer())
  append(sess, 1)  # None: the initial max priority 1.
  append(sess, 2, priority=3.)
  append(sess, 3)  # None: max(1, 3) = 3.
  append(sess, 4, priority=0.5)
  np.testing.assert_array_equal(sess.run(buffer.priorities()), [1, 3, 3, 0.5])
  assert sess.run(buffer.max_priority()) == 3.


def test_prioritized_update_priorities(sess):
  buffer, append = _prioritized(3)
  indices = tf.placeholder(tf.int64, [None])
  priorities = tf.placeholder(tf.float32, [None])
  update = buffer.update_priorities(indices, priorities)
  sample = buffer.sample(3000)[0]
  sess.run(tf.global_variables_initializer())
  for value in (1, 2, 3):
    append(sess, value)
  sess.run(update, {indices: [0, 2], priorities: [0., 5.]})
  np.testing.assert_array_equal(sess.run(buffer.priorities()), [0., 1., 5.])
  assert sess.run(buffer.max_priority()) == 5.
  # P = [0, 1/6, 5/6]; frequency std sqrt(5/36 / 3000) = 0.0068, allow 5 std.
  counts = np.bincount(sess.run(sample), minlength=4)
  assert counts[1] == 0
  np.testing.assert_allclose(counts[2:] / 3000., [1 / 6., 5 / 6.], atol=0.034)
  with pytest.raises(tf.errors.InvalidArgumentError, match='< size'):
    sess.run(update, {indices: [3], priorities: [1.]})
  with pytest.raises(tf.errors.InvalidArgumentError, match='>= 0'):
    sess.run(update, {indices: [1], priorities: [-1.]})


def test_prioritized_append_batch(sess):
  buffer, append = _prioritized(4, num_streams=2)
  default = buffer.append_batch(None, [[5, 6]])
  sess.run(tf.global_variables_initializer())
  append(sess, [1, 2], priority=[2., 0.5])
  sess.run(default)
  np.testing.assert_array_equal(
      sess.run(buffer.priorities()), [2., 0.5, 2., 2.])
  np.testing.assert_array_equal(
      sess.run(buffer.gather(tf.range(4)))[0], [1, 2, 5, 6])


def test_erratum_prioritized_size_is_a_call(sess):
  # The lecture's size() returns the bound method `self._buffer.size`.
  buffer, append = _prioritized(4)
  size = buffer.size()
  assert isinstance(size, tf.Tensor)
  sess.run(tf.global_variables_initializer())
  append(sess, 1, priority=1.)
  append(sess, 2, priority=1.)
  assert sess.run(size) == 2


def test_erratum_prioritized_invalid_priorities_fail_loudly(sess):
  # With all priorities 0 the lecture's log(p / sum(p)) is NaN and
  # tf.multinomial returns row `size`, an unwritten row that tf.gather on
  # the whole buffer silently returns as zeros.
  buffer, append = _prioritized(4)
  sample = buffer.sample(5)
  sess.run(tf.global_variables_initializer())
  append(sess, 1, priority=0.)
  append(sess, 2, priority=0.)
  with pytest.raises(tf.errors.InvalidArgumentError, match='all stored'):
    sess.run(sample)
  with pytest.raises(tf.errors.InvalidArgumentError, match='>= 0'):
    append(sess, 3, priority=-1.)
  with pytest.raises(tf.errors.InvalidArgumentError, match='NaN'):
    append(sess, 3, priority=np.nan)


def test_prioritized_empty_raises(sess):
  buffer, _ = _prioritized(4)
  sample = buffer.sample_with_info(2)[1]
  sess.run(tf.global_variables_initializer())
  with pytest.raises(tf.errors.InvalidArgumentError, match='empty replay'):
    sess.run(sample)


@pytest.mark.usefixtures('graph')
def test_prioritized_validation():
  buffer = replay.PrioritizedReplayBuffer([_SCALAR], 4)
  with pytest.raises(ValueError, match='temperature'):
    buffer.sample(2, temperature=0.)
  with pytest.raises(ValueError, match='beta'):
    buffer.sample_with_info(2, beta=-1.)
  with pytest.raises(ValueError, match=r'\[K\]'):
    buffer.update_priorities([0, 1], [1.])
  with pytest.raises(ValueError, match='priorities must have shape'):
    buffer.append([1., 2.], [1])
  with pytest.raises(ValueError, match='template'):
    replay.PrioritizedReplayBuffer(tf.zeros([2]), 4)


def test_lecture_prioritized_interface(sess):
  # Seed 000: template of tensors, append(priority, tensors), sample(n, T).
  observ = tf.constant([1., 2.])
  buffer = replay.PrioritizedReplayBuffer((observ, tf.constant(3)), 8)
  append = buffer.append(tf.constant(1.0), (observ, tf.constant(3)))
  sample = buffer.sample(4, temperature=1)
  sess.run(tf.global_variables_initializer())
  assert sess.run(append) == 1
  observs, ints = sess.run(sample)
  np.testing.assert_array_equal(observs, [[1., 2.]] * 4)
  np.testing.assert_array_equal(ints, [3] * 4)


def test_gather_all_is_stream_major_in_time_order(sess):
  # 2 streams, capacity 6 (3 steps each). Appends [1, 2], [3, 4] give
  # stream 0 the steps 1, 3 and stream 1 the steps 2, 4: [[1, 3], [2, 4]].
  # Two more appends [5, 6], [7, 8] overwrite step 0: the oldest stored
  # step is 1, so stream 0 holds 3, 5, 7 and stream 1 holds 4, 6, 8.
  buffer, append = _scalar_buffer(6, num_streams=2)
  everything = buffer.gather_all()[0]
  sess.run(tf.global_variables_initializer())
  assert sess.run(everything).shape == (2, 0)
  append(sess, [1, 2])
  append(sess, [3, 4])
  np.testing.assert_array_equal(sess.run(everything), [[1, 3], [2, 4]])
  append(sess, [5, 6])
  append(sess, [7, 8])
  np.testing.assert_array_equal(sess.run(everything),
                                [[3, 5, 7], [4, 6, 8]])


def test_clear_empties_the_buffer(sess):
  # After clear, size 0 and the next append lands in row 0 again.
  buffer, append = _scalar_buffer(4)
  everything, clear = buffer.gather_all()[0], buffer.clear()
  sess.run(tf.global_variables_initializer())
  append(sess, 1)
  append(sess, 2)
  sess.run(clear)
  assert sess.run(buffer.size()) == 0
  append(sess, 9)
  np.testing.assert_array_equal(sess.run(everything), [[9]])


if __name__ == '__main__':
  sys.exit(pytest.main([__file__]))
