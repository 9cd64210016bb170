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


def _storage(sess, scope='frame_replay'):
  """{name: value} of the variables of the frame replay in `scope`."""
  return {v.op.name.split('/')[-1]: sess.run(v)
          for v in tf.global_variables(scope + '/')}


def test_uneven_streams(sess):
  # Capacity 16, 2 streams (L = 8): step t of stream s is row 2 t + s.
  # Stream 0 gets 2 steps (frames 1, 2, 3; actions 0, 1), stream 1 gets 5
  # (frames 11..16; actions 10..14), interleaved. The newest step of each
  # (t = 1 and t = 4) has no s' stored yet. Valid by age, then stream:
  # age 0: rows 0, 1; age 1: row 3 (row 2 is stream 0's newest); then 5, 7.
  buffer = frame_replay.FrameReplayBuffer(frame_replay_testing.SHAPE, 16,
                                          num_streams=2)
  append = frame_replay_testing.StreamAppender(buffer)
  sample, rows, size = buffer.sample(16), buffer.valid_rows(), buffer.size()
  sess.run(tf.global_variables_initializer())
  episodes = [frame_replay_testing.episode([1, 2, 3], 0),
              frame_replay_testing.episode(list(range(11, 17)), 10)]
  totals = [append(sess, [s], episodes[s].pop(0))
            for s in [1, 1, 0, 1, 0, 1, 1]]
  assert totals == [1, 2, 3, 4, 5, 6, 7]
  assert sess.run(size) == 7
  np.testing.assert_array_equal(_storage(sess)['steps'], [2, 5])
  np.testing.assert_array_equal(sess.run(rows), [0, 1, 3, 5, 7])
  frame_replay_testing.check_drawn(
      frame_replay_testing.draw(sess, sample), append.appended,
      [0, 10, 11, 12, 13])


def test_a_lapping_stream_overwrites_only_its_own_rows(sess):
  # Capacity 12, 2 streams (L = 6). Stream 0 gets 3 steps (frames 1..4,
  # actions 0..2) at rows 0, 2, 4; stream 1 one episode of 14 steps
  # (frames 11..25, actions 100..113; f_t = 11 + t), 4 or 5 per step of
  # stream 0, so it laps: steps 8..13 are stored at rows (2 t + 1) mod 12
  # = 5, 7, 9, 11, 1, 3. Its s_t needs steps t - 3 .. t, so t = 11, 12 are
  # valid (13 is the newest); stream 0 keeps 0, 1 (2 is its newest).
  buffer = frame_replay.FrameReplayBuffer(frame_replay_testing.SHAPE, 12,
                                          num_streams=2)
  append = frame_replay_testing.StreamAppender(buffer)
  sample, rows, size = buffer.sample(16), buffer.valid_rows(), buffer.size()
  sess.run(tf.global_variables_initializer())
  episodes = [frame_replay_testing.episode([1, 2, 3, 4], 0),
              frame_replay_testing.episode(list(range(11, 26)), 100)]
  for s in [1] * 5 + [0] + [1] * 5 + [0] + [1] * 4 + [0]:
    append(sess, [s], episodes[s].pop(0))
  assert sess.run(size) == 3 + 6
  storage = _storage(sess)
  np.testing.assert_array_equal(storage['steps'], [3, 14])
  np.testing.assert_array_equal(
      storage['frames'][:, 0, 0], [1, 23, 2, 24, 3, 19, 0, 20, 0, 21, 0, 22])
  # By age: stream 0 at ages 0, 1 (steps 0, 1), stream 1 at ages 3, 4.
  np.testing.assert_array_equal(sess.run(rows), [0, 2, 11, 1])
  frame_replay_testing.check_drawn(
      frame_replay_testing.draw(sess, sample), append.appended,
      [0, 1, 111, 112])


def test_chains_are_per_stream(sess):
  # Capacity 16, 2 streams: step t of stream s is row 2 t + s. Stream 0
  # plays one episode (frames 1..7, actions 0..5). Stream 1 is truncated
  # at t = 1 (frames 11, 12, 13; actions 10, 11: s'_1 is never stored),
  # then plays an episode that terminates at t = 3 (frames 21, 22, 23;
  # actions 20, 21) and one more (frames 31, 32, 33; actions 30, 31).
  # Stream 0 is always one step ahead, so its newest transition is pending
  # when stream 1 drops transition 1 and restarts its stack.
  buffer = frame_replay.FrameReplayBuffer(frame_replay_testing.SHAPE, 16,
                                          num_streams=2)
  append = frame_replay_testing.StreamAppender(buffer)
  sample, rows = buffer.sample(16), buffer.valid_rows()
  sess.run(tf.global_variables_initializer())
  stream0 = frame_replay_testing.episode(list(range(1, 8)), 0)
  stream1 = (
      frame_replay_testing.episode([11, 12, 13], 10, end='truncated') +
      frame_replay_testing.episode([21, 22, 23], 20, end='terminated') +
      frame_replay_testing.episode([31, 32, 33], 30))
  for t in range(6):
    append(sess, [0], stream0[t])
    append(sess, [1], stream1[t])
    if t == 2:
      # Stream 0: 0, 1 (2 is pending); stream 1: 0 (1 dropped, 2 newest).
      np.testing.assert_array_equal(sess.run(rows), [0, 1, 2])
  storage = _storage(sess)
  np.testing.assert_array_equal(storage['first'][:12], [
      True, True, False, False, False, True,  # Stream 1 restarts at t = 2
      False, False, False, True, False, False])  # and after d_3 = 0.
  np.testing.assert_array_equal(storage['sampleable'][:12],
                                [r != 3 for r in range(12)])
  # Stream 0's transition 2, pending when stream 1 restarted, is valid.
  np.testing.assert_array_equal(sess.run(rows), [0, 1, 2, 4, 5, 6, 7, 8, 9])
  frame_replay_testing.check_drawn(
      frame_replay_testing.draw(sess, sample), append.appended,
      [0, 1, 2, 3, 4, 10, 20, 21, 30])


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


def test_sampling_is_uniform_over_uneven_streams(sess):
  # 2 streams: stream 0 stores 3 steps (2 valid), stream 1 7 (6 valid).
  # Each of the 8 valid steps is drawn with frequency 1/8, not 1/4 for
  # stream 0's (as a stream drawn first, then a step, would give). Ages
  # 3..6 of stream 0 are rejected (rule 1): 6 of 14 candidates are
  # invalid, so (6/14)^4 of the draws use the fallback.
  buffer = frame_replay.FrameReplayBuffer(frame_replay_testing.SHAPE, 16,
                                          num_streams=2)
  append = frame_replay_testing.StreamAppender(buffer)
  sample = buffer.sample(8000)
  sess.run(tf.global_variables_initializer())
  episodes = [frame_replay_testing.episode([1, 2, 3, 4], 0),
              frame_replay_testing.episode(list(range(11, 19)), 10)]
  for s in [1, 0, 1, 1, 1, 0, 1, 1, 0, 1]:
    append(sess, [s], episodes[s].pop(0))
  drawn = sess.run(sample)
  frame_replay_testing.check_drawn(list(zip(*drawn)), append.appended,
                                   [0, 1] + list(range(10, 16)))
  index = {a: i for i, a in enumerate([0, 1] + list(range(10, 16)))}
  frequencies = np.bincount([index[a] for a in drawn[1]],
                            minlength=8) / 8000.
  # Frequencies 1/8, std sqrt(7/64 / 8000) = 0.0037; allow 5 std.
  np.testing.assert_allclose(frequencies, [1. / 8] * 8, atol=0.0185)


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


def _fed_by(mode):
  """Storage, valid rows and 3 batches of 32 draws of a seeded 3-stream
  buffer (L = 6) fed 20 steps of random episodes: all streams per
  append_batch ('lockstep'), one stream per call ('one by one') or all
  in the order 2, 0, 1 ('permuted')."""
  shape, streams, steps = (3, 2, 4), 3, 20
  records = _random_streams(np.random.default_rng(5), steps, streams, shape)
  with tf.Graph().as_default(), tf.Session(config=session_config()) as sess:
    tf.set_random_seed(0)
    buffer = frame_replay.FrameReplayBuffer(shape, 18, num_streams=streams)
    # Built first, so the draws get the same op seeds in every mode.
    sample, rows = buffer.sample(32), buffer.valid_rows()
    if mode == 'lockstep':
      append = frame_replay_testing.Appender(buffer)
    else:
      append = frame_replay_testing.StreamAppender(buffer)
    sess.run(tf.global_variables_initializer())
    for t in range(steps):
      step = [records[s][t][0] for s in range(streams)]
      if mode == 'lockstep':
        append(sess, *step)
      elif mode == 'one by one':
        for s in range(streams):
          append(sess, [s], step[s])
      else:
        append(sess, [2, 0, 1], step[2], step[0], step[1])
    return _storage(sess), sess.run(rows), [sess.run(sample)
                                            for _ in range(3)]


@pytest.mark.parametrize('mode', ['one by one', 'permuted'])
def test_appending_streams_separately_matches_lockstep(mode):
  storage, rows, batches = _fed_by('lockstep')
  other_storage, other_rows, other_batches = _fed_by(mode)
  np.testing.assert_array_equal(storage['steps'], [20, 20, 20])
  assert sorted(other_storage) == sorted(storage)
  for name, value in storage.items():
    np.testing.assert_array_equal(other_storage[name], value, err_msg=name)
  assert rows.size
  np.testing.assert_array_equal(other_rows, rows)
  for batch, other in zip(batches, other_batches):
    for part, other_part in zip(batch, other):
      np.testing.assert_array_equal(other_part, part)


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


def test_n_step_returns_of_an_interleaved_stream(sess):
  # One episode (frames 1..13, actions 100..111, r_t = 1 + t) terminating
  # at t = 11, fed to a 1-stream buffer (capacity 8) and as stream 1 of a
  # 2-stream one (capacity 16, L = 8) while stream 0 gets an episode at
  # half the rate (frames 41..47, actions 0..5, r_t = t), sometimes in the
  # same append_batch. Both store steps 4..11; s_t needs t - 3 .. t, so
  # t = 7..11 are valid. 3-step returns, gamma 1/2:
  #   t = 7:  8 + 9/2 + 10/4 = 15,     s'_9,  d = 1/4
  #   t = 9:  10 + 11/2 + 12/4 = 18.5, s'_11, d = 0 (terminal)
  #   t = 10: 11 + 12/2 = 17 (m = 2),  s'_11, d = 0
  # Stream 0 (6 steps, 5 the newest): t = 3: 3 + 4/2 = 5 (m = 2: s'_5 is
  # not stored), s'_4, d = 1/2; t = 4: 4 (m = 1), s'_4, d = 1.
  single = frame_replay.FrameReplayBuffer(frame_replay_testing.SHAPE, 8,
                                          n_step=3, gamma=.5)
  double = frame_replay.FrameReplayBuffer(frame_replay_testing.SHAPE, 16,
                                          num_streams=2, n_step=3, gamma=.5)
  append_single = frame_replay_testing.Appender(single)
  append = frame_replay_testing.StreamAppender(double)
  samples = single.sample(16), double.sample(16)
  sess.run(tf.global_variables_initializer())
  stream1 = frame_replay_testing.episode(list(range(1, 14)), 100,
                                         end='terminated', reward=1.)
  stream0 = frame_replay_testing.episode(list(range(41, 48)), 0)
  for i, transition in enumerate(stream1):
    append_single(sess, transition)
    if i % 4 == 0:
      append(sess, [1, 0], transition, stream0[i // 2])
    elif i % 4 == 2:
      append(sess, [0], stream0[i // 2])
      append(sess, [1], transition)
    else:
      append(sess, [1], transition)
  np.testing.assert_array_equal(_storage(sess, 'frame_replay_1')['steps'],
                                [6, 12])
  drawn = []
  for sample in samples:
    draws = {}
    for observ, action, reward, next_observ, discount in (
        frame_replay_testing.draw(sess, sample)):
      draws[action] = (observ, reward, next_observ, discount)
    drawn.append(draws)
  assert sorted(drawn[0]) == list(range(107, 112))
  assert sorted(drawn[1]) == list(range(5)) + list(range(107, 112))
  for action, (observ, reward, next_observ, discount) in drawn[0].items():
    other = drawn[1][action]
    np.testing.assert_array_equal(other[0], observ)
    np.testing.assert_array_equal(other[2], next_observ)
    assert (other[1], other[3]) == (reward, discount), action
  terminal_next = frame_replay_testing.stack(10, 11, 12, 12)
  expected = {107: (15., stream1[9][3], .25),
              109: (18.5, terminal_next, 0.),
              110: (17., terminal_next, 0.),
              3: (5., stream0[4][3], .5),
              4: (4., stream0[4][3], 1.)}
  for action, (reward, next_observ, discount) in expected.items():
    observ, got_reward, got_next, got_discount = drawn[1][action]
    np.testing.assert_array_equal(observ, append.appended[action][0])
    assert (got_reward, got_discount) == (reward, discount), action
    np.testing.assert_array_equal(got_next, next_observ)


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


def _one_transition():
  """A batch of K = 1 transition, arrays [1, ...]."""
  return [np.stack([x]) for x in frame_replay_testing.episode([1, 2], 0)[0]]


@pytest.mark.parametrize('make_streams', [
    lambda: tf.placeholder(tf.int64, [None]),  # K unknown.
    lambda: tf.placeholder(tf.int64),  # Rank unknown.
    lambda: [[0]],
    lambda: 0,
], ids=['unknown K', 'unknown rank', 'rank 2', 'scalar'])
@pytest.mark.usefixtures('graph')
def test_streams_without_a_static_shape_raise(make_streams):
  buffer = frame_replay.FrameReplayBuffer(frame_replay_testing.SHAPE, 12,
                                          num_streams=2)
  with pytest.raises(ValueError, match='static shape'):
    buffer.append_batch(_one_transition(), make_streams())


@pytest.mark.usefixtures('graph')
def test_streams_and_transitions_of_other_sizes_raise():
  buffer = frame_replay.FrameReplayBuffer(frame_replay_testing.SHAPE, 12,
                                          num_streams=2)
  one = _one_transition()
  two = [np.concatenate([x, x]) for x in one]
  with pytest.raises(ValueError, match=r'observ must have shape \(2, 2, 2'):
    buffer.append_batch(one, [0, 1])
  with pytest.raises(ValueError, match=r'observ must have shape \(1, 2, 2'):
    buffer.append_batch(two, [1])
  with pytest.raises(ValueError, match=r'observ must have shape \(2, 2, 2'):
    buffer.append_batch(one)  # All S = 2 streams.


def test_out_of_range_streams_raise_when_run(sess):
  buffer = frame_replay.FrameReplayBuffer(frame_replay_testing.SHAPE, 12,
                                          num_streams=2)
  append = frame_replay_testing.StreamAppender(buffer)
  size = buffer.size()
  sess.run(tf.global_variables_initializer())
  transition = frame_replay_testing.episode([1, 2], 0)[0]
  for streams in [[2], [-1], [0, 2], [-1, 1]]:
    with pytest.raises(tf.errors.InvalidArgumentError, match='out of range'):
      append(sess, streams, *[transition] * len(streams))
  # Nothing was written.
  assert sess.run(size) == 0
  storage = _storage(sess)
  np.testing.assert_array_equal(storage['steps'], [0, 0])
  assert not storage['frames'].any()
  assert append(sess, [1], transition) == 1
  np.testing.assert_array_equal(_storage(sess)['steps'], [0, 1])


if __name__ == '__main__':
  sys.exit(pytest.main([__file__]))
