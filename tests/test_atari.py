"""Tests for graphrl.envs.atari: hand-built frames and a scripted fake ALE."""

import sys

import gymnasium as gym
import numpy as np
import pytest

from graphrl.envs import atari
from graphrl.envs import gym_suite
from graphrl.envs import time_step as ts

_FAKE_ID = 'FakeAle-v0'
_RIGHT = 2
_FLICKER = 200


class FakeAle(gym.Env):
  """A scripted game, reporting `lives` in its info like ALE.

  Frame n (n = 0 at reset, n = k after k steps) is uint8 [4, 4, 3] full of
  n, except a sprite of value 200 at pixel [0, n % 2]: it flickers between
  two columns. Step k gives reward `rewards[k - 1]` and `lives[k]` lives
  (`lives[0]` at reset); the game terminates after len(lives) - 1 steps.
  `log` records 'reset' and each action taken, across games.
  """

  metadata = {'render_modes': []}

  def __init__(self, lives=(1,) * 11, rewards=None,
               meanings=('NOOP', 'FIRE', 'RIGHT', 'LEFT')):
    self._lives = list(lives)
    self._rewards = (list(rewards) if rewards is not None else
                     [0.] * (len(lives) - 1))
    self._meanings = list(meanings)
    self.observation_space = gym.spaces.Box(0, 255, (4, 4, 3), np.uint8)
    self.action_space = gym.spaces.Discrete(len(meanings))
    self.log = []
    self._frame = 0

  def get_action_meanings(self):
    return self._meanings

  def _observation(self):
    frame = np.full((4, 4, 3), self._frame, np.uint8)
    frame[0, self._frame % 2] = _FLICKER
    return frame

  def reset(self, *, seed=None, options=None):
    super().reset(seed=seed)
    self._frame = 0
    self.log.append('reset')
    return self._observation(), {'lives': self._lives[0]}

  def step(self, action):
    self.log.append(int(action))
    self._frame += 1
    terminated = self._frame == len(self._lives) - 1
    return (self._observation(), self._rewards[self._frame - 1], terminated,
            False, {'lives': self._lives[self._frame]})


if _FAKE_ID not in gym.registry:
  gym.register(_FAKE_ID, entry_point=FakeAle)


def _frame(n):
  """FakeAle's frame n, built by hand."""
  frame = np.full((4, 4, 3), n, np.uint8)
  frame[0, n % 2] = _FLICKER
  return frame


def test_max_pool_last_two_takes_elementwise_max_of_last_two():
  ignored = np.full((2, 2), 99, np.uint8)
  before = np.array([[1, 5], [7, 0]], np.uint8)
  last = np.array([[3, 2], [7, 9]], np.uint8)
  # max([[1, 5], [7, 0]], [[3, 2], [7, 9]]) = [[3, 5], [7, 9]]; the first
  # frame (all 99) must not count.
  pooled = atari.max_pool_last_two([ignored, before, last])
  np.testing.assert_array_equal(pooled, [[3, 5], [7, 9]])
  assert pooled.dtype == np.uint8


def test_max_pool_last_two_of_one_frame_is_that_frame():
  only = np.array([[4, 2]], np.uint8)
  np.testing.assert_array_equal(atari.max_pool_last_two([only]), [[4, 2]])


def test_max_pool_last_two_rejects_bad_frames():
  with pytest.raises(ValueError, match='at least one frame'):
    atari.max_pool_last_two([])
  with pytest.raises(ValueError, match='differ in shape'):
    atari.max_pool_last_two([np.zeros((2, 2)), np.zeros((2, 3))])


def test_to_84x84_gray_shape_dtype_and_luma():
  frame = np.zeros((210, 160, 3), np.uint8)
  frame[...] = (100, 50, 200)
  gray = atari.to_84x84_gray(frame)
  assert gray.shape == (84, 84)
  assert gray.dtype == np.uint8
  # 0.299 * 100 + 0.587 * 50 + 0.114 * 200 = 29.9 + 29.35 + 22.8 = 82.05;
  # resizing a constant image keeps it constant.
  np.testing.assert_array_equal(gray, np.full((84, 84), 82))


def test_to_84x84_gray_resizes_by_area():
  # 84 x 168 white right half: each target pixel averages two source columns,
  # both black in columns 0..41 and both white in columns 42..83.
  frame = np.zeros((84, 168, 3), np.uint8)
  frame[:, 84:] = 255
  gray = atari.to_84x84_gray(frame)
  np.testing.assert_array_equal(gray[:, :42], 0)
  np.testing.assert_array_equal(gray[:, 42:], 255)


def test_to_84x84_gray_rejects_non_rgb_uint8():
  with pytest.raises(ValueError, match=r'uint8 \[H, W, 3\]'):
    atari.to_84x84_gray(np.zeros((210, 160), np.uint8))
  with pytest.raises(ValueError, match=r'uint8 \[H, W, 3\]'):
    atari.to_84x84_gray(np.zeros((210, 160, 3), np.float32))


def test_frame_stacker_reset_fills_and_push_keeps_oldest_first():
  stacker = atari.FrameStacker(4)
  frames = [np.full((2, 3), k, np.uint8) for k in range(6)]
  stack = stacker.reset(frames[0])
  assert stack.shape == (2, 3, 4)
  assert stack.dtype == np.uint8
  # Reset: every channel is the first frame.
  np.testing.assert_array_equal(stack[0, 0], [0, 0, 0, 0])
  stacker.push(frames[1])
  # Two pushes: channels (oldest first) 0, 0, 1, 2.
  np.testing.assert_array_equal(stacker.push(frames[2])[1, 2], [0, 0, 1, 2])
  stacker.push(frames[3])
  stacker.push(frames[4])
  # Four more: the first frame has fallen out: 2, 3, 4, 5.
  np.testing.assert_array_equal(stacker.push(frames[5])[1, 2], [2, 3, 4, 5])


def test_frame_stacker_rejects_bad_use():
  with pytest.raises(ValueError, match='at least 1'):
    atari.FrameStacker(0)
  stacker = atari.FrameStacker(2)
  with pytest.raises(ValueError, match='before reset'):
    stacker.push(np.zeros((2, 2)))
  with pytest.raises(ValueError, match=r'frames \[H, W\]'):
    stacker.reset(np.zeros((2, 2, 1)))
  stacker.reset(np.zeros((2, 2)))
  with pytest.raises(ValueError, match='differs'):
    stacker.push(np.zeros((3, 2)))


def test_stack_frames_wrapper_space_and_reset():
  env = atari.StackFrames(atari.WarpFrame(FakeAle()), num_frames=3)
  assert env.observation_space.shape == (84, 84, 3)
  assert env.observation_space.dtype == np.uint8
  observation, _ = env.reset()
  # Frame 0 is all 0 but the sprite at [0, 0]; resized, the image is not
  # constant, yet all three channels are the same frame.
  np.testing.assert_array_equal(observation[..., 0], observation[..., 2])
  observation, *_ = env.step(_RIGHT)
  assert not np.array_equal(observation[..., 1], observation[..., 2])
  np.testing.assert_array_equal(observation[..., 0], observation[..., 1])


def test_clip_reward_is_sign():
  # sign(3) = 1, sign(-2.5) = -1, sign(0) = 0, sign(0.1) = 1.
  env = atari.ClipReward(FakeAle(rewards=[3., -2.5, 0., 0.1],
                                 lives=(1,) * 5))
  env.reset()
  clipped = [env.step(_RIGHT)[1] for _ in range(4)]
  assert clipped == [1., -1., 0., 1.]


def test_max_and_skip_sums_rewards_and_max_pools_last_two_frames():
  env = atari.MaxAndSkip(FakeAle(rewards=[1., 2., 3., 4., 5., 6.],
                                 lives=(1,) * 7), skip=4)
  env.reset()
  observation, reward, terminated, _, _ = env.step(_RIGHT)
  # Frames 1..4: r = 1 + 2 + 3 + 4 = 10; o = max(frame 3, frame 4): all 4,
  # with the flickering sprite at both [0, 1] (frame 3) and [0, 0] (frame 4).
  assert reward == 10.
  assert not terminated
  expected = np.full((4, 4, 3), 4, np.uint8)
  expected[0, :2] = _FLICKER
  np.testing.assert_array_equal(observation, expected)
  np.testing.assert_array_equal(
      observation, np.maximum(_frame(3), _frame(4)))
  # The game ends at frame 6, halfway through the skip: r = 5 + 6 = 11.
  observation, reward, terminated, _, _ = env.step(_RIGHT)
  assert (reward, terminated) == (11., True)
  np.testing.assert_array_equal(observation,
                                np.maximum(_frame(5), _frame(6)))
  assert env.unwrapped.log == ['reset'] + [_RIGHT] * 6


def test_noop_reset_takes_between_1_and_noop_max_noops():
  counts = set()
  for seed in range(30):
    env = atari.NoopReset(FakeAle(), noop_max=3)
    env.reset(seed=seed)
    log = env.unwrapped.log
    assert log[0] == 'reset'
    assert set(log[1:]) == {0}
    counts.add(len(log) - 1)
  # k ~ U{1, 2, 3}: 30 seeds miss a value with probability < 3 (2/3)^30.
  assert counts == {1, 2, 3}


def test_noop_reset_restarts_a_game_that_ends_in_the_noops():
  # One-step game, one no-op: it ends the game, which is reset again.
  env = atari.NoopReset(FakeAle(lives=(1, 1)), noop_max=1)
  observation, _ = env.reset(seed=0)
  assert env.unwrapped.log == ['reset', 0, 'reset']
  np.testing.assert_array_equal(observation, _frame(0))


def test_fire_reset_presses_fire_after_reset():
  env = atari.FireReset(FakeAle())
  observation, _ = env.reset()
  assert env.unwrapped.log == ['reset', 1]
  np.testing.assert_array_equal(observation, _frame(1))


@pytest.mark.parametrize('on_life_loss', [False, True])
def test_fire_reset_after_a_lost_life(on_life_loss):
  # Lives 2, 2, 1, 1, 1, 0: the reset's FIRE is frame 1, frame 2 loses a
  # life; with on_life_loss FIRE follows at once (frame 3, reward 4 + 8).
  env = atari.FireReset(FakeAle(lives=(2, 2, 1, 1, 1, 0),
                                rewards=[1., 4., 8., 16., 32.]),
                        on_life_loss=on_life_loss)
  env.reset()
  observation, reward, _, _, info = env.step(_RIGHT)
  assert info['lives'] == 1
  if on_life_loss:
    assert env.unwrapped.log == ['reset', 1, _RIGHT, 1]
    assert reward == 12.
    np.testing.assert_array_equal(observation, _frame(3))
  else:
    assert env.unwrapped.log == ['reset', 1, _RIGHT]
    assert reward == 4.
  # The game over (frame 5: 1 -> 0 lives) is no life to FIRE into.
  while not env.step(_RIGHT)[2]:
    pass
  assert env.unwrapped.log[-1] == _RIGHT


def test_fire_reset_rejects_game_without_fire():
  with pytest.raises(ValueError, match='FIRE'):
    atari.FireReset(FakeAle(meanings=('NOOP', 'RIGHT')))
  assert not atari.needs_fire(FakeAle(meanings=('NOOP', 'RIGHT')))


def test_episodic_life_ends_episode_at_lost_life_without_game_reset():
  env = atari.EpisodicLife(FakeAle(lives=(3, 3, 2, 2, 0)))
  env.reset()
  assert not env.step(_RIGHT)[2]   # Frame 1: still 3 lives.
  assert env.step(_RIGHT)[2]       # Frame 2: 3 -> 2 lives, episode ends.
  # The game goes on: reset takes a no-op (frame 3) instead of resetting.
  observation, info = env.reset()
  assert env.unwrapped.log == ['reset', _RIGHT, _RIGHT, 0]
  np.testing.assert_array_equal(observation, _frame(3))
  assert info['lives'] == 2
  assert env.step(_RIGHT)[2]       # Frame 4: the real game over.
  env.reset()
  assert env.unwrapped.log[-1] == 'reset'


def test_game_score_sums_raw_rewards_of_whole_games():
  env = atari.GameScore(FakeAle(rewards=[3., -1., 2.], lives=(2, 1, 1, 0)))
  env.reset()
  for _ in range(3):
    env.step(_RIGHT)
  # 3 - 1 + 2 = 4, over both lives.
  assert env.pop_scores() == [4.]
  assert env.pop_scores() == []


def test_load_atari_training_chain_on_fake_game():
  env = atari.load_atari(_FAKE_ID, seed=0, frame_stack=2, frame_skip=2,
                         noop_max=1, lives=(2,) * 5 + (1,) * 5 + (0,),
                         rewards=[5.] * 10)
  fake = env.gym_env.unwrapped
  assert env.observation_spec().shape == (84, 84, 2)
  assert env.observation_spec().dtype == np.uint8
  first = env.reset()
  # Reset: 1 no-op (frame 1), then FIRE skipped twice (frames 2, 3).
  assert fake.log == ['reset', 0, 1, 1]
  assert first.observation.shape == (84, 84, 2)
  step = env.step(_RIGHT)
  # Frames 4, 5: r = sign(5 + 5) = 1; frame 5 loses a life: LAST, discount 0.
  assert (step.step_type, step.reward, step.discount) == (
      ts.StepType.LAST, 1., 0.)
  assert atari.pop_game_scores(env) == []
  first = env.step(_RIGHT)
  # Auto-reset without a game reset: a no-op and FIRE, 2 frames each.
  assert first.step_type == ts.StepType.FIRST
  assert fake.log == ['reset', 0, 1, 1, 2, 2, 0, 0, 1, 1]
  step = env.step(_RIGHT)
  # Frame 10 ends the game at the first of 2 frames: r = sign(5) = 1.
  assert (step.step_type, step.reward, step.discount) == (
      ts.StepType.LAST, 1., 0.)
  # The raw score is that of all 10 frames: 10 * 5 = 50.
  assert atari.pop_game_scores(env) == [50.]


def test_load_atari_evaluation_keeps_raw_rewards_and_lives():
  env = atari.load_atari(_FAKE_ID, seed=0, training=False, frame_skip=2,
                         noop_max=1, lives=(2,) * 5 + (1,) * 5 + (0,),
                         rewards=[5.] * 10)
  fake = env.gym_env.unwrapped
  env.reset()
  step = env.step(_RIGHT)
  # Frames 4, 5: raw r = 5 + 5; frame 5 loses a life, which does not end
  # the episode: FIRE follows (frames 6, 7), r = 10 + 10.
  assert (step.step_type, step.reward, step.discount) == (
      ts.StepType.MID, 20., 1.)
  assert fake.log == ['reset', 0, 1, 1, 2, 2, 1, 1]


def test_load_atari_rejects_bad_arguments():
  with pytest.raises(ValueError, match='at least 1'):
    atari.load_atari(_FAKE_ID, frame_stack=0)
  with pytest.raises(ValueError, match='at least 1'):
    atari.load_atari(_FAKE_ID, frame_skip=0)
  with pytest.raises(ValueError, match='at least 1'):
    atari.load_atari(_FAKE_ID, noop_max=0)


def test_pong_smoke():
  env = atari.load_atari('Pong-v0', seed=0)
  assert env.observation_spec().shape == (84, 84, 4)
  assert env.observation_spec().dtype == np.uint8
  # Pong's minimal action set: NOOP, FIRE, RIGHT, LEFT, RIGHTFIRE, LEFTFIRE.
  assert env.action_spec().num_values == 6
  step = env.reset()
  assert step.observation.shape == (84, 84, 4)
  assert step.observation.dtype == np.uint8
  for channel in range(3):
    np.testing.assert_array_equal(step.observation[..., channel],
                                  step.observation[..., 3])
  for action in (2, 3, 2, 3, 0):
    step = env.step(action)
    assert step.observation.shape == (84, 84, 4)
    assert step.reward in (-1., 0., 1.)
  env.close()


def test_load_keeps_returning_the_raw_game():
  env = gym_suite.load('Pong-v0')
  assert env.observation_spec().shape == (210, 160, 3)
  env.close()


def test_erratum_breakout_has_four_actions():
  # The lecture prints suite_atari.load("Breakout-v0").action_spec() with
  # maximum=8; Breakout's actions are NOOP, FIRE, RIGHT, LEFT: 0..3.
  env = atari.load('Breakout-v0')
  assert env.action_spec().maximum == 3
  env.close()


if __name__ == '__main__':
  sys.exit(pytest.main([__file__]))
