"""Tests for graphrl.frame_replay.

Frames are 2x2 and constant: frame v is np.full([2, 2], v). A stack
[a, b, c, d] (oldest first) is `frame_replay_testing.stack(a, b, c, d)`; each test appends
transitions (s, a, r, s', d) with the action a unique id, so a sampled
transition is checked against the appended one with its action.
"""

import sys

import numpy as np
import pytest

from graphrl import envs
from graphrl import frame_replay
from graphrl.agents import dqn
from graphrl.compat import session_config
from graphrl.compat import tf
from graphrl.envs import atari
import frame_replay_testing

def test_one_episode_stacks_are_rebuilt(sess):
  # Frames 1..5: s_0 = [1,1,1,1], s_1 = [1,1,1,2], s_2 = [1,1,2,3],
  # s_3 = [1,2,3,4], s'_3 = [2,3,4,5]. Transition 3 is the newest: f_4 = 5
  # is not stored yet, so steps 0..2 are valid.
  buffer = frame_replay.FrameReplayBuffer(frame_replay_testing.SHAPE, 8)
  append = frame_replay_testing.Appender(buffer)
  sample, rows, size = buffer.sample(16), buffer.valid_rows(), buffer.size()
  sess.run(tf.global_variables_initializer())
  transitions = frame_replay_testing.episode([1, 2, 3, 4, 5], first_action=0)
  np.testing.assert_array_equal(transitions[2][0], frame_replay_testing.stack(1, 1, 2, 3))
  for t, transition in enumerate(transitions):
    assert append(sess, transition) == t + 1
  assert sess.run(size) == 4
  np.testing.assert_array_equal(sess.run(rows), [0, 1, 2])
  frame_replay_testing.check_drawn(frame_replay_testing.draw(sess, sample), append.appended, [0, 1, 2])


def test_terminated_transition_is_sampled_with_discount_zero(sess):
  # Episode A: frames 1, 2, 3, the transition to 3 terminates (t = 1).
  # Episode B: frames 7, 8, 9 from t = 2: s_2 = [7,7,7,7] (a new first
  # step, edge-padded), s_3 = [7,7,7,8]. Valid: 0, 1 (terminal), 2; 3 is
  # the newest. Terminal s'_1 = [1,1,2,2].
  buffer = frame_replay.FrameReplayBuffer(frame_replay_testing.SHAPE, 8)
  append = frame_replay_testing.Appender(buffer)
  sample, rows = buffer.sample(16), buffer.valid_rows()
  sess.run(tf.global_variables_initializer())
  episode_a = frame_replay_testing.episode([1, 2, 3], 0, end='terminated')
  episode_b = frame_replay_testing.episode([7, 8, 9], 10)
  for transition in episode_a + episode_b:
    append(sess, transition)
  np.testing.assert_array_equal(sess.run(rows), [0, 1, 2])
  drawn = frame_replay_testing.draw(sess, sample)
  frame_replay_testing.check_drawn(drawn, append.appended, [0, 1, 10])
  terminal = [d for d in drawn if d[1] == 1]
  np.testing.assert_array_equal(terminal[0][3], frame_replay_testing.stack(1, 1, 2, 2))
  assert terminal[0][4] == 0.


def test_truncated_transition_is_never_sampled(sess):
  # Episode A (frames 1, 2, 3, 4) is truncated at t = 2: s'_2 = [1,2,3,4]
  # with d = 1, but the next appended observation is episode B's reset
  # stack [9,9,9,9], so f = 4 is never stored and transition 2 is dropped.
  buffer = frame_replay.FrameReplayBuffer(frame_replay_testing.SHAPE, 8)
  append = frame_replay_testing.Appender(buffer)
  sample, rows = buffer.sample(16), buffer.valid_rows()
  sess.run(tf.global_variables_initializer())
  episode_a = frame_replay_testing.episode([1, 2, 3, 4], 0, end='truncated')
  assert episode_a[-1][4] == 1.
  for transition in episode_a:
    append(sess, transition)
  # Until the next append, transition 2 may still continue: not yet valid.
  np.testing.assert_array_equal(sess.run(rows), [0, 1])
  for transition in frame_replay_testing.episode([9, 10, 11], 10):
    append(sess, transition)
  np.testing.assert_array_equal(sess.run(rows), [0, 1, 3])
  frame_replay_testing.check_drawn(frame_replay_testing.draw(sess, sample, runs=60), append.appended, [0, 1, 10])


@pytest.mark.parametrize('start, expected', [
    # One episode over t = 0..9 (frames 1..11): with capacity 6 steps
    # 4..9 are stored; s_t needs steps t-3..t, so t >= 7, and t + 1 < 10.
    (None, [7, 8]),
    # Episode B starts at t = 5 (transition 4 terminates): t = 5..8 need no
    # step before 5. Terminal t = 4 would need the overwritten steps 1..3.
    (5, [5, 6, 7, 8]),
])
def test_overwritten_history_is_never_sampled(sess, start, expected):
  buffer = frame_replay.FrameReplayBuffer(frame_replay_testing.SHAPE, 6)
  append = frame_replay_testing.Appender(buffer)
  sample, rows = buffer.sample(16), buffer.valid_rows()
  sess.run(tf.global_variables_initializer())
  if start is None:
    transitions = frame_replay_testing.episode(list(range(1, 12)), 0)
  else:
    transitions = (frame_replay_testing.episode(list(range(1, start + 2)), 0, end='terminated') +
                   frame_replay_testing.episode(list(range(21, 27)), start))
  assert len(transitions) == 10
  for transition in transitions:
    append(sess, transition)
  # Step t is row t mod 6.
  np.testing.assert_array_equal(sess.run(rows), [t % 6 for t in expected])
  frame_replay_testing.check_drawn(frame_replay_testing.draw(sess, sample), append.appended, expected)


def test_inexact_stacks_are_never_sampled(sess):
  # Stacks padded with zeros, frames 1..10: s_t = h[t:t+4] for
  # h = [0, 0, 0, 1, 2, ...]. Rebuilt with edge padding, s_0..s_2 differ in
  # channels 0..2, 0..1 and 0 (m = 3, 2, 1); s_3 = [1, 2, 3, 4] is exact.
  # At t = 5 the caller breaks the frame stack: channel 0 of s'_5 = s_6 is
  # 50, not s_5's channel 1, so transitions 5 (its s') and 6 are inexact.
  # Valid: 3, 4, 7 (8 is the newest).
  buffer = frame_replay.FrameReplayBuffer(frame_replay_testing.SHAPE, 16)
  append = frame_replay_testing.Appender(buffer)
  sample, rows = buffer.sample(16), buffer.valid_rows()
  sess.run(tf.global_variables_initializer())
  h = [0, 0, 0] + list(range(1, 11))
  stacks = [frame_replay_testing.stack(*h[t:t + 4]) for t in range(10)]
  stacks[6][..., 0] = 50
  for t in range(9):
    append(sess, (stacks[t], t, 0., stacks[t + 1], 1.))
  np.testing.assert_array_equal(sess.run(rows), [3, 4, 7])
  frame_replay_testing.check_drawn(frame_replay_testing.draw(sess, sample), append.appended, [3, 4, 7])


def test_two_streams(sess):
  # Capacity 12, 2 streams: step t of stream s is row 2 t + s. Stream 0
  # plays frames 1..6 (actions 0..4); stream 1 terminates at t = 1 (frames
  # 11, 12, 13; actions 10, 11) and restarts with frames 21..24 (actions
  # 20..22). After 5 steps, t = 4 is the newest in both streams.
  buffer = frame_replay.FrameReplayBuffer(frame_replay_testing.SHAPE, 12, num_streams=2)
  append = frame_replay_testing.Appender(buffer)
  sample, rows = buffer.sample(16), buffer.valid_rows()
  sess.run(tf.global_variables_initializer())
  stream0 = frame_replay_testing.episode([1, 2, 3, 4, 5, 6], 0)
  stream1 = (frame_replay_testing.episode([11, 12, 13], 10, end='terminated') +
             frame_replay_testing.episode([21, 22, 23, 24], 20))
  for t, (first, second) in enumerate(zip(stream0, stream1)):
    assert append(sess, first, second) == 2 * (t + 1)
  np.testing.assert_array_equal(sess.run(rows), [0, 1, 2, 3, 4, 5, 6, 7])
  frame_replay_testing.check_drawn(frame_replay_testing.draw(sess, sample), append.appended,
               [0, 1, 2, 3, 10, 11, 20, 21])


def test_sampling_is_uniform_over_valid_steps(sess):
  # One episode of 4 steps: 3 valid of 4 stored. A candidate is invalid
  # with probability 1/4, so (1/4)^4 of the draws use the fallback.
  buffer = frame_replay.FrameReplayBuffer(frame_replay_testing.SHAPE, 16)
  append = frame_replay_testing.Appender(buffer)
  sample = buffer.sample(3000)
  sess.run(tf.global_variables_initializer())
  for transition in frame_replay_testing.episode([1, 2, 3, 4, 5], 0):
    append(sess, transition)
  actions = sess.run(sample)[1]
  # Frequencies 1/3, std sqrt(2/9 / 3000) = 0.0086; allow 5 std.
  np.testing.assert_allclose(np.bincount(actions, minlength=3) / 3000.,
                             [1. / 3] * 3, atol=0.043)


def test_fallback_draws_valid_steps_uniformly(sess):
  # Capacity 18: 8 one-step episodes (truncated: all dropped) then one of
  # 3 steps: valid 8 and 9 among 11 stored steps, so most slots fall back.
  buffer = frame_replay.FrameReplayBuffer(frame_replay_testing.SHAPE, 18)
  append = frame_replay_testing.Appender(buffer)
  sample = buffer.sample(2000)
  sess.run(tf.global_variables_initializer())
  for i in range(8):
    append(sess, *frame_replay_testing.episode([10 * i + 1, 10 * i + 2], 100 + i,
                           end='truncated'))
  for transition in frame_replay_testing.episode([1, 2, 3, 4], 0):
    append(sess, transition)
  drawn = sess.run(sample)
  frame_replay_testing.check_drawn(list(zip(*drawn)), append.appended, [0, 1])
  # Frequency 1/2, std 0.011; allow 5 std.
  assert abs(np.mean(drawn[1] == 0) - 0.5) < 0.056


def test_empty_or_no_valid_step_raises(sess):
  buffer = frame_replay.FrameReplayBuffer(frame_replay_testing.SHAPE, 8)
  append = frame_replay_testing.Appender(buffer)
  sample = buffer.sample(2)
  sess.run(tf.global_variables_initializer())
  with pytest.raises(tf.errors.InvalidArgumentError, match='empty replay'):
    sess.run(sample)
  append(sess, frame_replay_testing.episode([1, 2], 0)[0])  # The newest step has no s' yet.
  with pytest.raises(tf.errors.InvalidArgumentError, match='no sampleable'):
    sess.run(sample)


def test_checkpoint_round_trip(tmp_path):
  # Save after 3 steps of an episode (valid: 0, 1); after the restore the
  # episode goes on, so transition 2 (saved as the newest) becomes valid.
  path = str(tmp_path / 'ckpt')
  transitions = frame_replay_testing.episode([1, 2, 3, 4, 5, 6], 0)

  def build():
    buffer = frame_replay.FrameReplayBuffer(frame_replay_testing.SHAPE, 8)
    return buffer, frame_replay_testing.Appender(buffer), tf.train.Saver()

  with tf.Graph().as_default(), tf.Session(config=session_config()) as sess:
    buffer, append, saver = build()
    assert len(tf.global_variables()) == 10
    sess.run(tf.global_variables_initializer())
    for transition in transitions[:3]:
      append(sess, transition)
    saver.save(sess, path)

  with tf.Graph().as_default(), tf.Session(config=session_config()) as sess:
    buffer, append, saver = build()
    sample, rows = buffer.sample(16), buffer.valid_rows()
    sess.run(tf.global_variables_initializer())  # The new draw counters.
    saver.restore(sess, path)
    np.testing.assert_array_equal(sess.run(rows), [0, 1])
    assert append(sess, transitions[3]) == 4
    np.testing.assert_array_equal(sess.run(rows), [0, 1, 2])
    append.appended.update((t[1], t) for t in transitions[:3])
    frame_replay_testing.check_drawn(frame_replay_testing.draw(sess, sample), append.appended, [0, 1, 2])


def _random_streams(rng, steps, streams, shape):
  """Episodic streams of FrameStacker stacks of random frames.

  Episodes last 1 to 9 steps and end terminated (d = 0) or truncated (d = 1,
  s' not continued). Returns, per stream, the list of (transition,
  episode's first step, truncated); actions are unique ids t * streams + s.
  """
  def frame():
    return rng.integers(0, 256, shape[:2], dtype=np.uint8)

  result = []
  for stream in range(streams):
    stacker = atari.FrameStacker(shape[-1])
    records, start, left, observ = [], 0, 0, None
    for t in range(steps):
      if left == 0:
        observ, start, left = stacker.reset(frame()), t, rng.integers(1, 10)
        truncated = rng.random() < 0.5
      left -= 1
      next_observ = stacker.push(frame())
      end = left == 0
      discount = 0. if end and not truncated else 1.
      transition = (observ, t * streams + stream, float(rng.normal()),
                    next_observ, discount)
      records.append((transition, start, end and truncated))
      observ = next_observ
    result.append(records)
  return result


@pytest.mark.parametrize('streams', [1, 2])
def test_random_episodes_match_appended_transitions(sess, streams):
  rng = np.random.default_rng(streams)
  shape, slots, steps = (3, 2, 4), 30, 70
  buffer = frame_replay.FrameReplayBuffer(shape, slots * streams, streams)
  append = frame_replay_testing.Appender(buffer)
  sample, rows = buffer.sample(64), buffer.valid_rows()
  sess.run(tf.global_variables_initializer())
  records = _random_streams(rng, steps, streams, shape)
  for t in range(steps):
    append(sess, *[records[s][t][0] for s in range(streams)])
  # The validity rule, step by step: stored steps are 40..69.
  oldest, expected, expected_rows = steps - slots, set(), []
  for t in range(oldest, steps):
    for s in range(streams):
      transition, start, truncated = records[s][t]
      if (not truncated and (transition[4] == 0 or t + 1 < steps) and
          (t - oldest >= shape[-1] - 1 or start >= oldest)):
        expected.add(transition[1])
        expected_rows.append((t * streams + s) % (slots * streams))
  np.testing.assert_array_equal(sess.run(rows), expected_rows)
  # P(a valid transition missing from 6400 draws) < 60 (1 - 1/60)^6400.
  frame_replay_testing.check_drawn(frame_replay_testing.draw(sess, sample, runs=100), append.appended, expected)


def _n_step_draws(sess, episodes):
  """{action: (r, s', d)} of the 3-step transitions (gamma 1/2) drawn from
  a buffer of `episodes`, and the appended transitions."""
  buffer = frame_replay.FrameReplayBuffer(frame_replay_testing.SHAPE, 16, n_step=3, gamma=0.5)
  append = frame_replay_testing.Appender(buffer)
  sample = buffer.sample(16)
  sess.run(tf.global_variables_initializer())
  for transition in [t for episode in episodes for t in episode]:
    append(sess, transition)
  drawn = {}
  for observ, action, reward, next_observ, discount in frame_replay_testing.draw(sess, sample):
    np.testing.assert_array_equal(observ, append.appended[action][0])
    drawn[action] = (reward, next_observ, discount)
  return drawn, append.appended


def test_n_step_returns_stop_at_a_termination(sess):
  # Episode A: t = 0..4, r_t = 1 + t, terminates at t = 4; episode B from
  # t = 5, r_5 = 10, r_6 = 11; t = 6 is the newest. With gamma 1/2:
  #   t = 0: 1 + 2/2 + 3/4 = 2.75,  s'_2, d = 1/4
  #   t = 1: 2 + 3/2 + 4/4 = 4.5,   s'_3, d = 1/4
  #   t = 2: 3 + 4/2 + 5/4 = 6.25,  s'_4, d = 0 (terminal, no bootstrap)
  #   t = 3: 4 + 5/2 = 6.5 (m = 2, A ends),            s'_4, d = 0
  #   t = 4: 5,                     s'_4, d = 0
  #   t = 5: 10 (m = 1: s'_6 is not stored yet),       s'_5, d = 1
  drawn, appended = _n_step_draws(sess, [
      frame_replay_testing.episode([1, 2, 3, 4, 5, 6], 0, end='terminated', reward=1.),
      frame_replay_testing.episode([7, 8, 9], 5, reward=10.)])
  expected = {0: (2.75, 2, .25), 1: (4.5, 3, .25), 2: (6.25, 4, 0.),
              3: (6.5, 4, 0.), 4: (5., 4, 0.), 5: (10., 5, 1.)}
  assert sorted(drawn) == sorted(expected)
  terminal_next = frame_replay_testing.stack(3, 4, 5, 5)  # s'_4 = [s_4[..., 1:], f_4]
  for action, (reward, last, discount) in expected.items():
    got_reward, got_next, got_discount = drawn[action]
    assert (got_reward, got_discount) == (reward, discount), action
    np.testing.assert_array_equal(
        got_next, appended[last][3] if discount else terminal_next)


def test_n_step_returns_stop_before_a_truncation(sess):
  # Episode A (frames 1..4, r_t = 1 + t) is truncated at t = 2, whose s'
  # is never stored; episode B (t = 3, 4) follows. 3-step, gamma 1/2:
  #   t = 0: 1 + 2/2 = 2 (m = 2: step 2 is not sampleable), s'_1, d = 1/2
  #   t = 1: 2 (m = 1),  s'_1, d = 1
  #   t = 3: 10 (m = 1: s'_4 is not stored yet),  s'_3, d = 1
  drawn, appended = _n_step_draws(sess, [
      frame_replay_testing.episode([1, 2, 3, 4], 0, end='truncated', reward=1.),
      frame_replay_testing.episode([9, 10, 11], 3, reward=10.)])
  expected = {0: (2., 1, .5), 1: (2., 1, 1.), 3: (10., 3, 1.)}
  assert sorted(drawn) == sorted(expected)
  for action, (reward, last, discount) in expected.items():
    got_reward, got_next, got_discount = drawn[action]
    assert (got_reward, got_discount) == (reward, discount), action
    np.testing.assert_array_equal(got_next, appended[last][3])


def test_random_episodes_n_step_transitions(sess):
  # Two streams of random episodes over a wrapped buffer; each draw is
  # checked against the m-step transition built from the episode records:
  # step t + i extends it while it is in t's episode, not a truncation, and
  # has its s' stored (terminal, or t + i + 1 < steps).
  rng, n, gamma = np.random.default_rng(3), 3, 0.9
  shape, slots, steps, streams = (3, 2, 4), 30, 70, 2
  buffer = frame_replay.FrameReplayBuffer(shape, slots * streams, streams,
                                          n_step=n, gamma=gamma)
  append = frame_replay_testing.Appender(buffer)
  sample = buffer.sample(64)
  sess.run(tf.global_variables_initializer())
  records = _random_streams(rng, steps, streams, shape)
  for t in range(steps):
    append(sess, *[records[s][t][0] for s in range(streams)])
  lengths = set()
  for observ, action, reward, next_observ, discount in frame_replay_testing.draw(sess, sample,
                                                             runs=20):
    t, stream = divmod(int(action), streams)
    episode = records[stream]
    m = 1
    while m < n and t + m < steps:
      transition, start, truncated = episode[t + m]
      if (start != episode[t][1] or truncated or
          (transition[4] and t + m + 1 >= steps)):
        break
      m += 1
    lengths.add(m)
    last = episode[t + m - 1][0]
    np.testing.assert_array_equal(observ, episode[t][0][0])
    np.testing.assert_allclose(reward, sum(
        gamma ** i * episode[t + i][0][2] for i in range(m)), rtol=1e-5)
    np.testing.assert_allclose(discount, gamma ** (m - 1) * last[4],
                               rtol=1e-6)
    if last[4]:
      np.testing.assert_array_equal(next_observ, last[3])
  assert lengths == {1, 2, 3}


class _FrameDQN(dqn.DQNAgent):
  """DQN with a `FrameReplayBuffer` built from the same template."""

  def _make_buffer(self):
    self.buffer = frame_replay.FrameReplayBuffer(
        self.transition, self.config.replay_capacity,
        num_streams=self.config.num_envs)


@pytest.mark.parametrize('network,weights', [('nature', 1686180),
                                              ('a3c', 677172)])
def test_drop_in_for_dqn(sess, network, weights):
  # weights: the Q-network's parameter count with 4 actions (test_networks).
  agent = _FrameDQN(
      envs.ArraySpec((84, 84, 4), np.uint8),
      envs.BoundedArraySpec((), np.int64, 0, 3),
      dqn.DQNConfig(network=network, batch_size=2, replay_capacity=10))
  assert sum(np.prod(v.shape.as_list())
             for v in agent.policy_variables) == weights
  sess.run(tf.global_variables_initializer())
  losses = frame_replay_testing.train_on_rising_frames(sess, agent, 3)
  assert np.all(np.isfinite(losses))


@pytest.mark.usefixtures('graph')
def test_validation():
  with pytest.raises(ValueError, match='multiple'):
    frame_replay.FrameReplayBuffer(frame_replay_testing.SHAPE, 15, num_streams=2)
  with pytest.raises(ValueError, match='at least 5'):
    frame_replay.FrameReplayBuffer(frame_replay_testing.SHAPE, 8, num_streams=2)
  with pytest.raises(ValueError, match='capacity'):
    frame_replay.FrameReplayBuffer(frame_replay_testing.SHAPE, 0)
  with pytest.raises(ValueError, match='n_step'):
    frame_replay.FrameReplayBuffer(frame_replay_testing.SHAPE, 8, n_step=0)
  with pytest.raises(ValueError, match='gamma'):
    frame_replay.FrameReplayBuffer(frame_replay_testing.SHAPE, 8, n_step=3, gamma=1.5)
  with pytest.raises(ValueError, match=r'\[H, W, F\]'):
    frame_replay.FrameReplayBuffer((84, 84), 8)
  with pytest.raises(ValueError, match=r'\[H, W, F\]'):
    frame_replay.FrameReplayBuffer((84, None, 4), 8)
  with pytest.raises(ValueError, match='uint8'):
    frame_replay.FrameReplayBuffer(
        [tf.placeholder(tf.float32, frame_replay_testing.SHAPE)] * 5, 8)
  with pytest.raises(ValueError, match='5 entries'):
    frame_replay.FrameReplayBuffer([tf.placeholder(tf.uint8, frame_replay_testing.SHAPE)], 8)
  buffer = frame_replay.FrameReplayBuffer(frame_replay_testing.SHAPE, 8)
  observ = np.zeros((1,) + frame_replay_testing.SHAPE, np.uint8)
  with pytest.raises(ValueError, match=r'observ must have shape \(1, 2, 2'):
    buffer.append_batch([observ[0], [0], [0.], observ, [1.]])
  with pytest.raises(ValueError, match=r'discount must have shape \(1,\)'):
    buffer.append_batch([observ, [0], [0.], observ, 1.])
  with pytest.raises(ValueError, match='got 2 tensors'):
    buffer.append_batch([observ, [0]])
  with pytest.raises(ValueError, match='amount'):
    buffer.sample(0)


if __name__ == '__main__':
  sys.exit(pytest.main([__file__]))
