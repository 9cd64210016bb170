"""Tests for graphrl.random_draws: stateless draws keyed by a counter."""

import sys

import numpy as np
import pytest

from graphrl import random_draws
from graphrl import resumable
from graphrl.compat import session_config
from graphrl.compat import tf


def _draws(build, runs=3, graph_seed=1):
  """The values of `runs` runs of the op `build()` makes, in a new graph."""
  with tf.Graph().as_default():
    tf.set_random_seed(graph_seed)
    op = build()
    with tf.Session(config=session_config()) as sess:
      sess.run(tf.global_variables_initializer())
      return [sess.run(op) for _ in range(runs)]


def test_draw_n_is_the_stateless_op_keyed_by_seed_and_n(sess):
  # Graph seed 2, op seed 5: key = 2 * 1000003 + 5; draw n uses [key, n].
  tf.set_random_seed(2)
  draw = random_draws.uniform([3], seed=5)
  key = 2 * 1000003 + 5
  by_hand = [tf.random.stateless_uniform([3], [key, n]) for n in (1, 2, 3)]
  sess.run(tf.global_variables_initializer())
  got = [sess.run(draw) for _ in range(3)]
  for value, want in zip(got, sess.run(by_hand)):
    np.testing.assert_array_equal(value, want)
  counter, = resumable.variables()
  assert sess.run(counter) == 3


def test_the_graph_seed_fixes_the_draws():
  first = _draws(lambda: random_draws.normal([4]))
  np.testing.assert_array_equal(first, _draws(lambda: random_draws.normal([4])))
  assert not np.array_equal(first[0], first[1])
  other = _draws(lambda: random_draws.normal([4]), graph_seed=2)
  assert not np.array_equal(first[0], other[0])


def test_each_op_is_its_own_stream(sess):
  tf.set_random_seed(1)
  a, b = random_draws.uniform([5]), random_draws.uniform([5])
  sess.run(tf.global_variables_initializer())
  first_a, first_b = sess.run([a, b])
  assert not np.array_equal(first_a, first_b)
  assert len(resumable.variables()) == 2


def test_a_restored_counter_continues_the_stream(tmp_path):
  path = str(tmp_path / 'place')

  def build():
    tf.set_random_seed(4)
    return (random_draws.categorical(tf.zeros([2, 10]), 3),
            tf.train.Saver(resumable.variables()))

  with tf.Graph().as_default(), tf.Session() as sess:
    draw, saver = build()
    sess.run(tf.global_variables_initializer())
    for _ in range(5):
      sess.run(draw)
    saver.save(sess, path)
    later = [sess.run(draw) for _ in range(3)]
  with tf.Graph().as_default(), tf.Session() as sess:
    draw, saver = build()
    sess.run(tf.global_variables_initializer())
    saver.restore(sess, path)
    resumed = [sess.run(draw) for _ in range(3)]
  np.testing.assert_array_equal(resumed, later)


def test_draws_in_a_while_loop_advance_once_per_iteration(sess):
  tf.set_random_seed(1)

  def body(index, total):
    return index + 1, total + random_draws.uniform([], 0, 10, tf.int64)

  _, total = tf.while_loop(lambda index, _: index < 4, body,
                           [tf.constant(0), tf.constant(0, tf.int64)],
                           parallel_iterations=1)
  counter, = resumable.variables()
  sess.run(tf.global_variables_initializer())
  sess.run(total)
  assert sess.run(counter) == 4


def test_draws_in_a_one_shot_dataset(sess):
  tf.set_random_seed(1)
  dataset = tf.data.Dataset.from_tensors(0).repeat().map(
      lambda _: random_draws.uniform([2]))
  element = tf.data.make_one_shot_iterator(dataset).get_next()
  sess.run(tf.global_variables_initializer())
  first, second = sess.run(element), sess.run(element)
  assert not np.array_equal(first, second)
  assert sess.run(resumable.variables()[0]) >= 2


def test_ranges(sess):
  tf.set_random_seed(1)
  ints = random_draws.uniform([2000], 3, tf.constant(7, tf.int64), tf.int64)
  floats = random_draws.uniform([2000], -2.0, -1.0)
  picks = random_draws.categorical(
      tf.math.log([[0.0, 0.5, 0.5, 0.0]]), 500)
  sess.run(tf.global_variables_initializer())
  ints, floats, picks = sess.run([ints, floats, picks])
  assert set(ints) == {3, 4, 5, 6}
  assert floats.min() >= -2.0 and floats.max() < -1.0
  assert set(picks[0]) == {1, 2}


def test_integer_draws_need_maxval(graph):
  del graph
  with pytest.raises(ValueError, match='maxval'):
    random_draws.uniform([2], dtype=tf.int64)


if __name__ == '__main__':
  sys.exit(pytest.main([__file__]))
