"""Helpers of the frame-replay tests: constant 2x2 frames and episodes.

Frame v is np.full([2, 2], v). A stack [a, b, c, d] (oldest first) is
`stack(a, b, c, d)`; tests append transitions (s, a, r, s', d) with the
action a unique id, so a sampled transition is checked against the
appended one with its action.
"""

import numpy as np

from graphrl.compat import tf
from graphrl.envs import atari

SHAPE = (2, 2, 4)


def stack(*values):
  """A stack [2, 2, len(values)] whose channel k is the frame values[k]."""
  return np.stack([np.full([2, 2], v, np.uint8) for v in values], axis=-1)


def placeholders(count, observation_shape):
  """Placeholders of `count` transitions (s, a, r, s', d)."""
  shape = [count] + list(observation_shape)
  return (tf.placeholder(tf.uint8, shape), tf.placeholder(tf.int64, [count]),
          tf.placeholder(tf.float32, [count]), tf.placeholder(tf.uint8, shape),
          tf.placeholder(tf.float32, [count]))


class Appender(object):
  """Appends fed transitions through one append_batch op."""

  def __init__(self, buffer):
    self._items = placeholders(buffer.num_streams, buffer.observation_shape)
    self._op = buffer.append_batch(self._items)
    self.appended = {}  # action -> (s, a, r, s', d)

  def __call__(self, sess, *transitions):
    """Appends one transition (s, a, r, s', d) per stream."""
    for transition in transitions:
      self.appended[transition[1]] = transition
    columns = [np.stack(column) for column in zip(*transitions)]
    return sess.run(self._op, dict(zip(self._items, columns)))


class StreamAppender(object):
  """Appends transitions to named streams (`append_batch`'s `streams`),
  with given priorities (a prioritized buffer's) or the default ones; one
  op per number of streams and whether priorities are given."""

  def __init__(self, buffer):
    self._buffer = buffer
    self._ops = {}
    self.appended = {}  # action -> (s, a, r, s', d), of the appends that ran

  def _op(self, count, prioritized):
    key = count, prioritized
    if key not in self._ops:
      items = placeholders(count, self._buffer.observation_shape)
      streams = tf.placeholder(tf.int64, [count])
      given = [tf.placeholder(tf.float32, [count])] if prioritized else []
      self._ops[key] = (items, streams, given,
                        self._buffer.append_batch(items, streams, *given))
    return self._ops[key]

  def __call__(self, sess, streams, *transitions, priorities=None):
    """Appends transitions[k] as the next step of stream streams[k]."""
    items, placeholder, given, op = self._op(len(streams),
                                             priorities is not None)
    feed = dict(zip(items, [np.stack(c) for c in zip(*transitions)]))
    feed[placeholder] = streams
    feed.update(zip(given, [priorities]))
    result = sess.run(op, feed)
    for transition in transitions:
      self.appended[transition[1]] = transition
    return result


def episode(frames, first_action, end=None, reward=0.):
  """Transitions of an episode with the given newest frames, reset-stacked.

  Transition t is (s_t, first_action + t, reward + t, s_{t+1}, d_t): s_0
  repeats frames[0] and s_{t+1} pushes frames[t + 1]. end: None (the
  episode goes on), 'terminated' (the last d is 0) or 'truncated'.
  """
  stacker = atari.FrameStacker(SHAPE[-1])
  observ = stacker.reset(np.full([2, 2], frames[0], np.uint8))
  transitions = []
  for t, frame in enumerate(frames[1:]):
    next_observ = stacker.push(np.full([2, 2], frame, np.uint8))
    last = t == len(frames) - 2
    discount = 0. if last and end == 'terminated' else 1.
    transitions.append((observ, first_action + t, reward + t, next_observ,
                        discount))
    observ = next_observ
  return transitions


def draw(sess, sample, runs=30):
  """Runs `sample` `runs` times; returns the sampled transitions."""
  drawn = []
  for _ in range(runs):
    observ, action, reward, next_observ, discount = sess.run(sample)
    drawn.extend(zip(observ, action, reward, next_observ, discount))
  return drawn


def check_drawn(drawn, appended, expected_actions):
  """Every draw equals its appended transition; the actions seen are all
  and only `expected_actions`. A terminal s' is s[..., 1:] + the newest."""
  for observ, action, reward, next_observ, discount in drawn:
    want = appended[action]
    np.testing.assert_array_equal(observ, want[0])
    assert (reward, discount) == (np.float32(want[2]), want[4])
    if discount:
      np.testing.assert_array_equal(next_observ, want[3])
    else:
      np.testing.assert_array_equal(
          next_observ, np.concatenate([observ[..., 1:], observ[..., -1:]], -1))
  assert {d[1] for d in drawn} == set(expected_actions)


def train_on_rising_frames(sess, agent, steps):
  """Feeds a DQN agent `steps` transitions of 84x84 frames 1, 2, ... and
  trains on each but the first (whose s' is not stored yet, so nothing can
  be sampled); returns the losses."""
  stacker = atari.FrameStacker(4)
  observ = stacker.reset(np.full([84, 84], 1, np.uint8))
  losses = []
  for step in range(steps):
    next_observ = stacker.push(np.full([84, 84], step + 2, np.uint8))
    feed = dict(zip(agent.transition, (observ, step % 4, 1., next_observ, 1.)))
    feed[agent.observ] = observ[None]
    if step == 0:
      sess.run(agent.store, feed)
    else:
      losses.append(sess.run([agent.train, agent.loss], feed)[1])
    observ = next_observ
  return losses
