"""Tests of graphrl.distributed.transition_queue: actors' graphs enqueue,
the learner's graph drains into its prioritized replay."""

import numpy as np
import pytest

import apex_testing
from graphrl import envs
from graphrl import replay
from graphrl.agents import transitions
from graphrl.compat import tf
from graphrl.distributed.transition_queue import TransitionQueue

SPEC = envs.ArraySpec([2], np.float32)
CAPACITY = 8
NO_WAIT = tf.RunOptions(timeout_in_ms=5000)  # Fails instead of hanging.


def _learner(server):
  """(session, drain op, buffer, env_steps) of a learner graph."""
  graph = tf.Graph()
  with graph.as_default(), tf.device(apex_testing.LEARNER):
    buffer = replay.PrioritizedReplayBuffer(
        transitions.placeholders(SPEC, tf.int64, []), 16)
    env_steps, _ = transitions.counters()
    drain = TransitionQueue(SPEC, CAPACITY, apex_testing.LEARNER).drain(
        buffer, env_steps)
    init = tf.global_variables_initializer()
  sess = apex_testing.session(server, graph)
  sess.run(init)
  return sess, drain, buffer, env_steps


def _actor(server):
  """(session, push(transition, priorities)) of an actor graph."""
  graph = tf.Graph()
  with graph.as_default():
    fed = (tf.placeholder(tf.float32, [None, 2]),
           tf.placeholder(tf.int64, [None]), tf.placeholder(tf.float32, [None]),
           tf.placeholder(tf.float32, [None, 2]),
           tf.placeholder(tf.float32, [None]))
    priorities = tf.placeholder(tf.float32, [None])
    enqueue = TransitionQueue(SPEC, CAPACITY, apex_testing.LEARNER).enqueue(
        fed, priorities, 0)
  sess = apex_testing.session(server, graph)

  def push(transition, values, options=None):
    feed = dict(zip(fed + (priorities,), list(transition) + [values]))
    sess.run(enqueue, feed, options=options)

  return push


def _transitions(first, count):
  """Transitions numbered first..first+count-1: (s, a, R, s', d)."""
  t = np.arange(first, first + count, dtype=np.float32)
  return (np.stack([t, -t], 1), t.astype(np.int64), t / 10,
          np.stack([t + 1, -t], 1), np.float32(t % 2))


def test_drain_moves_pushes_of_another_graph_into_the_replay():
  learner_server, (actor_server,) = apex_testing.start_cluster(1)
  sess, drain, buffer, env_steps = _learner(learner_server)
  assert sess.run(drain, options=NO_WAIT) == 0  # Empty: does not wait.
  push = _actor(actor_server)
  push(_transitions(0, 3), [0.5, 2.0, 0.25])
  push(_transitions(3, 2), [3.0, 1.5])
  assert sess.run(drain, options=NO_WAIT) == 5
  with sess.graph.as_default():
    size, priorities, largest = sess.run(
        [buffer.size(), buffer.priorities(), buffer.max_priority()])
    stored = sess.run(buffer.gather(tf.range(5, dtype=tf.int64)))
  assert size == 5 and largest == 3.0
  np.testing.assert_allclose(priorities, [0.5, 2.0, 0.25, 3.0, 1.5])
  for got, expected in zip(stored, _transitions(0, 5)):
    np.testing.assert_allclose(got, expected)
  assert sess.run(drain, options=NO_WAIT) == 5  # Nothing new.
  push(_transitions(5, 1), [1.0])
  assert sess.run(drain, options=NO_WAIT) == 6
  assert sess.run(env_steps) == 6


def test_a_full_queue_makes_pushes_wait():
  learner_server, (actor_server,) = apex_testing.start_cluster(1)
  sess, drain, _, _ = _learner(learner_server)
  push = _actor(actor_server)
  push(_transitions(0, CAPACITY), np.ones(CAPACITY))
  with pytest.raises(tf.errors.DeadlineExceededError):
    push(_transitions(0, 1), [1.0], tf.RunOptions(timeout_in_ms=200))
  assert sess.run(drain, options=NO_WAIT) == CAPACITY  # The timed-out
  push(_transitions(0, 1), [1.0])                      # push left none.
  assert sess.run(drain, options=NO_WAIT) == CAPACITY + 1
