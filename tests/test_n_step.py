"""Tests for graphrl.n_step: hand-computed n-step returns over the uniform
and prioritized replays, at a termination, a truncation, the newest step,
a wrapped buffer and two streams; and DQN training on them."""

import numpy as np
import pytest

from graphrl import envs
from graphrl import n_step
from graphrl import replay
from graphrl.agents import dqn
from graphrl.compat import tf

_TEMPLATE = [tf.TensorSpec([1], tf.float32), tf.TensorSpec([], tf.int64),
             tf.TensorSpec([], tf.float32), tf.TensorSpec([1], tf.float32),
             tf.TensorSpec([], tf.float32)]


def _fill(sess, buffer, steps):
  """Appends `steps`: one (s, r, s', d) per stream each, action = row."""
  items = [tf.placeholder(spec.dtype, [buffer.num_streams] + spec.shape)
           for spec in _TEMPLATE]
  append = buffer.append_batch(items) if isinstance(
      buffer, replay.ReplayBuffer) else buffer.append_batch(None, items)
  sess.run(tf.global_variables_initializer())
  for t, step in enumerate(steps):
    columns = [np.array([[s] for s, _, _, _ in step], np.float32),
               np.arange(len(step)) + t * len(step),
               np.array([r for _, r, _, _ in step], np.float32),
               np.array([[s2] for _, _, s2, _ in step], np.float32),
               np.array([d for _, _, _, d in step], np.float32)]
    sess.run(append, dict(zip(items, columns)))


# Episode A: s = 0, 1, 2, terminated at step 2. Episode B: s = 10, 11, 12,
# truncated after step 4 (its s' = 12, then a reset to 20). Step 5 is the
# newest.
_EPISODES = [[(0., 1., 1., 1.)], [(1., 2., 2., 1.)], [(2., 4., 3., 0.)],
             [(10., 8., 11., 1.)], [(11., 16., 12., 1.)],
             [(20., 32., 21., 1.)]]


@pytest.mark.parametrize('kind', ['uniform', 'prioritized'])
def test_returns_stop_at_terminations_truncations_and_the_newest_step(
    sess, kind):
  # n = 3, gamma = 0.5:
  #   row 0: steps 0, 1, 2: r = 1 + .5 * 2 + .25 * 4 = 3, s' = 3, d = 0;
  #   row 1: steps 1, 2 (2 terminates): r = 2 + .5 * 4 = 4, s' = 3, d = 0;
  #   row 2: step 2 alone: r = 4, s' = 3, d = 0;
  #   row 3: steps 3, 4 (s'_4 = 12 is not s_5 = 20): r = 8 + .5 * 16 = 16,
  #          s' = 12, d = .5;
  #   row 4: step 4 alone: r = 16, s' = 12, d = 1;
  #   row 5: the newest: r = 32, s' = 21, d = 1.
  buffer = {'uniform': replay.ReplayBuffer,
            'prioritized': replay.PrioritizedReplayBuffer}[kind](
                _TEMPLATE, 8)
  rows = tf.constant([0, 1, 2, 3, 4, 5], tf.int64)
  observ, action, reward, next_observ, discount = n_step.transitions(
      buffer, rows, 3, .5)
  _fill(sess, buffer, _EPISODES)
  values = sess.run([observ, action, reward, next_observ, discount])
  np.testing.assert_array_equal(values[0][:, 0], [0, 1, 2, 10, 11, 20])
  np.testing.assert_array_equal(values[1], [0, 1, 2, 3, 4, 5])
  np.testing.assert_allclose(values[2], [3, 4, 4, 16, 16, 32])
  np.testing.assert_array_equal(values[3][:, 0], [3, 3, 3, 12, 12, 21])
  np.testing.assert_allclose(values[4], [0, 0, 0, .5, 1, 1])


def test_a_wrapped_buffer_reads_on_past_its_end(sess):
  # Capacity 4, one episode s = 0..5 with r_t = 2^t: row 3 holds step 3,
  # rows 0 and 1 steps 4 and 5 (the newest). From row 3, n = 3, gamma = 1:
  # r = 8 + 16 + 32 = 56, s' = 6; from row 1 (step 5): r = 32.
  buffer = replay.ReplayBuffer(_TEMPLATE, 4)
  outputs = n_step.transitions(buffer, [3, 1], 3, 1.)
  _fill(sess, buffer, [[(float(t), 2. ** t, t + 1., 1.)] for t in range(6)])
  _, _, reward, next_observ, discount = sess.run(outputs)
  np.testing.assert_allclose(reward, [56, 32])
  np.testing.assert_array_equal(next_observ[:, 0], [6, 6])
  np.testing.assert_allclose(discount, [1, 1])


def test_streams_are_followed_separately(sess):
  # Two streams, rows t S + s: stream 0 goes on, stream 1 terminates at
  # step 0. n = 2, gamma = 0.5 from rows 0 and 1: r = 1 + .5 * 3 = 2.5,
  # d = .5; and r = 2, d = 0.
  buffer = replay.ReplayBuffer(_TEMPLATE, 8, num_streams=2)
  outputs = n_step.transitions(buffer, [0, 1], 2, .5)
  _fill(sess, buffer, [[(0., 1., 1., 1.), (5., 2., 6., 0.)],
                       [(1., 3., 2., 1.), (7., 4., 8., 1.)]])
  _, _, reward, next_observ, discount = sess.run(outputs)
  np.testing.assert_allclose(reward, [2.5, 2.])
  np.testing.assert_array_equal(next_observ[:, 0], [2, 6])
  np.testing.assert_allclose(discount, [.5, 0.])


@pytest.mark.usefixtures('graph')
def test_n_below_two_is_refused():
  with pytest.raises(ValueError, match='n must be an int >= 2'):
    n_step.transitions(replay.ReplayBuffer(_TEMPLATE, 4), [0], 1, .9)


@pytest.mark.parametrize('kind', ['uniform', 'prioritized'])
def test_dqn_trains_on_n_step_returns(sess, kind):
  agent = dqn.DQNAgent(
      envs.ArraySpec((1,), np.float32), envs.BoundedArraySpec(
          (), np.int64, 0, 1),
      dqn.DQNConfig(hidden_sizes=(4,), batch_size=2, replay_capacity=8,
                    replay=kind, n_step=3))
  sess.run(tf.global_variables_initializer())
  for t in range(4):
    feed = dict(zip(agent.transition, (np.array([t], np.float32), 0, 1.,
                                       np.array([t + 1], np.float32), 1.)))
    feed[agent.observ] = np.array([[t]], np.float32)
    _, loss = sess.run([agent.train, agent.loss], feed)
    assert np.isfinite(loss)
