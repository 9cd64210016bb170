"""Tests for graphrl.prioritized_frame_replay, with hand-computed P and w.

Frames are 2x2 and constant (tests/frame_replay_testing.py); an
episode of frames 1..6 stores steps 0..4, of which 0..3 are valid (step 4
is the newest: f_5 is not stored yet).
"""

import numpy as np
import pytest

from graphrl import envs
from graphrl import prioritized_frame_replay
from graphrl.agents import dqn
from graphrl.compat import tf
from frame_replay_testing import Appender
from frame_replay_testing import SHAPE
from frame_replay_testing import StreamAppender
from frame_replay_testing import check_drawn
from frame_replay_testing import episode
from frame_replay_testing import train_on_rising_frames


def _buffer():
  buffer = prioritized_frame_replay.PrioritizedFrameReplayBuffer(SHAPE, 8)
  return buffer, Appender(buffer)


def test_new_steps_get_the_largest_priority(sess):
  buffer, append = _buffer()
  rows = tf.placeholder(tf.int64, [None])
  values = tf.placeholder(tf.float32, [None])
  update = buffer.update_priorities(rows, values)
  sess.run(tf.global_variables_initializer())
  transitions = episode([1, 2, 3, 4, 5, 6], 0)
  for transition in transitions[:3]:
    append(sess, transition)
  np.testing.assert_array_equal(sess.run(buffer.priorities())[:4],
                                [1, 1, 1, 0])
  sess.run(update, {rows: [0, 1], values: [3., .5]})
  assert sess.run(buffer.max_priority()) == 3.
  append(sess, transitions[3])
  np.testing.assert_array_equal(sess.run(buffer.priorities())[:4],
                                [3, .5, 1, 3])


def test_sampling_probabilities_and_weights(sess):
  # Valid steps 0..3 with priorities p = [4, 1, 0, 2] + the newest step 4
  # (p = 4, never valid), T = 0.5 (alpha = 2): p^2 = [16, 1, 0, 4], so
  # P = [16, 1, 0, 4] / 21 over |V| = 3 usable steps (step 2 has p = 0).
  # w = (3 P)^-beta / max w with beta = 1: 21 / (3 p^2) = [7/16, 7, -,
  # 7/4], normalized by the largest weight among the sampled ones.
  buffer, append = _buffer()
  transition, rows, weights = buffer.sample_with_info(
      4000, temperature=.5, beta=1.)
  sess.run(tf.global_variables_initializer())
  for item in episode([1, 2, 3, 4, 5, 6], 0):
    append(sess, item)
  sess.run(buffer.update_priorities([0, 1, 2, 3, 4], [4., 1., 0., 2., 4.]))
  items, drawn_rows, drawn_weights = sess.run([transition, rows, weights])
  check_drawn(list(zip(*items)), append.appended, [0, 1, 3])
  np.testing.assert_array_equal(items[1], drawn_rows)  # action t at row t
  frequencies = np.bincount(drawn_rows, minlength=5) / 4000.
  # 4000 draws: a standard error of at most 0.008 per frequency.
  np.testing.assert_allclose(frequencies, [16 / 21, 1 / 21, 0, 4 / 21, 0],
                             atol=0.03)
  unnormalized = {0: 7 / 16, 1: 7., 3: 7 / 4}
  largest = max(unnormalized[row] for row in set(drawn_rows))
  np.testing.assert_allclose(
      drawn_weights, [unnormalized[row] / largest for row in drawn_rows],
      rtol=1e-5)


def test_n_step_transitions_keep_their_first_row(sess):
  # 3-step returns with gamma 0.5 from step 0: r = 0 + 0.5 * 1 + 0.25 * 2.
  buffer = prioritized_frame_replay.PrioritizedFrameReplayBuffer(
      SHAPE, 8, n_step=3, gamma=.5)
  append = Appender(buffer)
  transition, rows, _ = buffer.sample_with_info(64)
  sess.run(tf.global_variables_initializer())
  for item in episode([1, 2, 3, 4, 5, 6], 0):
    append(sess, item)
  sess.run(buffer.update_priorities([1, 2, 3], [0., 0., 0.]))
  items, drawn_rows = sess.run([transition, rows])
  np.testing.assert_array_equal(drawn_rows, np.zeros(64))
  np.testing.assert_allclose(items[2], np.full(64, 1.), rtol=1e-6)
  np.testing.assert_allclose(items[4], np.full(64, .25), rtol=1e-6)


def test_no_usable_step_raises(sess):
  buffer, append = _buffer()
  sample = buffer.sample(2)
  sess.run(tf.global_variables_initializer())
  with pytest.raises(tf.errors.InvalidArgumentError):
    sess.run(sample)  # Empty.
  for item in episode([1, 2, 3], 0):
    append(sess, item)
  sess.run(buffer.update_priorities([0], [0.]))
  with pytest.raises(tf.errors.InvalidArgumentError,
                     match='positive priority'):
    sess.run(sample)


def test_given_priorities_land_at_the_new_rows(sess):
  # 2 streams, capacity 16: step t of stream s is row 2 t + s. Stream 0
  # plays frames 1..4 (actions 0, 1, 2), stream 1 frames 11..14 (actions
  # 10, 11, 12), at their own rates, given priorities or the default
  # max_priority().
  buffer = prioritized_frame_replay.PrioritizedFrameReplayBuffer(
      SHAPE, 16, num_streams=2)
  append = StreamAppender(buffer)
  priorities, largest = buffer.priorities(), buffer.max_priority()
  size, rows = buffer.size(), buffer.valid_rows()
  transition, drawn_rows, _ = buffer.sample_with_info(4000)
  sess.run(tf.global_variables_initializer())
  stream0, stream1 = episode([1, 2, 3, 4], 0), episode([11, 12, 13, 14], 10)
  append(sess, [1], stream1[0], priorities=[3.])  # Row 1.
  assert sess.run(largest) == 3.
  append(sess, [0], stream0[0])  # Row 0 gets the max, 3.
  append(sess, [1], stream1[1], priorities=[.5])  # Row 3; the max stays 3.
  assert sess.run(largest) == 3.
  append(sess, [1, 0], stream1[2], stream0[1], priorities=[5., 0.])  # Rows 5, 2.
  append(sess, [0], *stream0[2:])  # Row 4 gets the new max, 5.
  expected = [3., 3., 0., .5, 5., 5.] + [0.] * 10
  np.testing.assert_array_equal(sess.run(priorities), expected)
  assert sess.run(largest) == 5.
  assert sess.run(size) == 6
  # A negative priority fails and writes nothing.
  with pytest.raises(tf.errors.InvalidArgumentError, match='>= 0'):
    append(sess, [1], *episode([21, 22], 20), priorities=[-1.])
  with pytest.raises(tf.errors.InvalidArgumentError, match='>= 0'):
    append(sess, [1, 0], stream1[2], stream0[2], priorities=[2., -.5])
  np.testing.assert_array_equal(sess.run(priorities), expected)
  assert sess.run([largest, size]) == [5., 6]
  # Valid: steps 0, 1 of both streams, rows 0..3 with p = 3, 0, 3, .5.
  np.testing.assert_array_equal(sess.run(rows), [0, 1, 2, 3])
  items, picked = sess.run([transition, drawn_rows])
  check_drawn(list(zip(*items)), append.appended, [0, 10, 11])
  np.testing.assert_array_equal(
      items[1], [{0: 0, 1: 10, 3: 11}[row] for row in picked])
  # 4000 draws: a standard error of at most 0.008 per frequency.
  np.testing.assert_allclose(np.bincount(picked, minlength=4) / 4000.,
                             [6 / 13, 6 / 13, 0, 1 / 13], atol=0.03)


def test_bad_streams_or_priorities_raise(sess):
  buffer = prioritized_frame_replay.PrioritizedFrameReplayBuffer(
      SHAPE, 16, num_streams=2)
  append = StreamAppender(buffer)
  item = episode([1, 2], 0)[0]
  one = [np.stack([x]) for x in item]
  with pytest.raises(ValueError, match='shape'):
    buffer.append_batch(one, [0], [1., 2.])  # K = 1, 2 priorities.
  with pytest.raises(ValueError, match=r'observ must have shape \(2,'):
    buffer.append_batch(one, [0, 1], [1., 2.])
  priorities = buffer.priorities()
  sess.run(tf.global_variables_initializer())
  for given in [None, [2.]]:
    with pytest.raises(tf.errors.InvalidArgumentError, match='out of range'):
      append(sess, [2], item, priorities=given)
    with pytest.raises(tf.errors.InvalidArgumentError, match='out of range'):
      append(sess, [-1], item, priorities=given)
  assert not sess.run(priorities).any()
  assert sess.run(buffer.size()) == 0


@pytest.mark.usefixtures('graph')
def test_bad_arguments_raise():
  buffer = prioritized_frame_replay.PrioritizedFrameReplayBuffer(SHAPE, 8)
  with pytest.raises(ValueError, match='amount'):
    buffer.sample_with_info(0)
  with pytest.raises(ValueError, match='temperature'):
    buffer.sample_with_info(2, temperature=0.)
  with pytest.raises(ValueError, match='beta'):
    buffer.sample_with_info(2, beta=-1.)
  with pytest.raises(ValueError, match='shape'):
    buffer.update_priorities([[0]], [1.])


def test_dqn_trains_on_prioritized_frames_and_updates_priorities(sess):
  config = dqn.DQNConfig(network='a3c', batch_size=2, replay_capacity=10,
                         replay='prioritized_frames', n_step=2,
                         double_q=True, dueling=True)
  agent = dqn.DQNAgent(envs.ArraySpec((84, 84, 4), np.uint8),
                       envs.BoundedArraySpec((), np.int64, 0, 3), config)
  sess.run(tf.global_variables_initializer())
  losses = train_on_rising_frames(sess, agent, 4)
  assert np.all(np.isfinite(losses))
  # Sampled rows got p = |td| + epsilon, no longer the initial 1.
  priorities = sess.run(agent.buffer.priorities())[:4]
  assert np.any(priorities != 1.) and np.all(priorities > 0)
