"""DQN-style Atari preprocessing (Mnih et al., 2015) and `load_atari`.

Numpy pieces: `max_pool_last_two` (flicker removal), `to_84x84_gray` and
`FrameStacker`. Gymnasium wrappers, innermost first as `load_atari` applies
them:

  GameScore      sums the raw reward of each whole game (all lives).
  NoopReset      up to `noop_max` random no-ops after a real reset.
  MaxAndSkip     repeats an action `skip` times, sums the rewards and
                 returns the max over the last two frames.
  EpisodicLife   (training) a lost life ends the episode, the game goes on.
  FireReset      presses FIRE after each reset (games that need it) and,
                 in evaluation, after each lost life: training starts every
                 life with FIRE (a lost life ends the episode, the next one
                 starts with a reset), so a policy never learns to press it.
  WarpFrame      84x84 grayscale uint8 frames.
  ClipReward     (training) r' = sign(r).
  StackFrames    the last `num_frames` frames as uint8 [84, 84, num_frames].

Raw scores: with `training=True` the time steps' rewards are clipped and
episodes end at a lost life, so their returns are not game scores. The true
score of each finished game is kept by the innermost `GameScore` wrapper;
`pop_game_scores(env)` returns the scores finished since its last call, for
the loop to log. With `training=False` rewards are raw and episodes are
whole games, so an episode's return is the game score.

Each wrapper's `STATE_ATTRIBUTES` names the attributes that hold its state,
which `gym_state` saves (empty: the wrapper keeps none between calls).

`from graphrl.envs import atari as suite_atari` runs the lecture's
`suite_atari.load("Breakout-v0")`.
"""

import cv2
import gymnasium as gym
import numpy as np

from graphrl.envs import gym_suite

FRAME_SIZE = 84
_NOOP = 0
_FIRE = 1


def max_pool_last_two(frames):
  """Elementwise max of the last two frames: o = max(x[T-2], x[T-1]).

  Atari draws some sprites only on every other frame; the max keeps them.

  Args:
    frames: a sequence of T >= 1 equally shaped arrays, oldest first.

  Returns:
    An array of a frame's shape and dtype; the only frame if T == 1.

  Raises:
    ValueError: if `frames` is empty or the last two differ in shape.
  """
  if len(frames) == 0:  # pylint: disable=g-explicit-length-test
    raise ValueError('max_pool_last_two needs at least one frame.')
  last = np.asarray(frames[-1])
  if len(frames) == 1:
    return last
  before = np.asarray(frames[-2])
  if before.shape != last.shape:
    raise ValueError('The last two frames differ in shape: %s and %s.' %
                     (before.shape, last.shape))
  return np.maximum(before, last)


def to_84x84_gray(frame):
  """An RGB frame uint8 [H, W, 3] as grayscale uint8 [84, 84].

  Gray = 0.299 R + 0.587 G + 0.114 B (cv2's RGB2GRAY), then resized with
  cv2.INTER_AREA, which averages the source pixels each target pixel covers.

  Raises:
    ValueError: if `frame` is not a uint8 [H, W, 3] array.
  """
  frame = np.asarray(frame)
  if frame.ndim != 3 or frame.shape[-1] != 3 or frame.dtype != np.uint8:
    raise ValueError('to_84x84_gray needs an RGB frame uint8 [H, W, 3], got '
                     '%s %s.' % (frame.dtype, frame.shape))
  gray = cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY)
  return cv2.resize(gray, (FRAME_SIZE, FRAME_SIZE),
                    interpolation=cv2.INTER_AREA)


class FrameStacker:
  """The last `num_frames` frames [H, W] stacked as [H, W, num_frames].

  Channel 0 is the oldest frame, channel num_frames - 1 the newest. `reset`
  fills every channel with the episode's first frame.
  """

  def __init__(self, num_frames):
    """Raises ValueError if `num_frames` < 1."""
    if num_frames < 1:
      raise ValueError('num_frames must be at least 1, got %s.' % num_frames)
    self._num_frames = num_frames
    self._stack = None

  def reset(self, frame):
    """Fills the stack with `frame` [H, W]; returns it [H, W, num_frames]."""
    frame = np.asarray(frame)
    if frame.ndim != 2:
      raise ValueError('FrameStacker needs frames [H, W], got shape %s.' %
                       (frame.shape,))
    self._stack = np.repeat(frame[:, :, np.newaxis], self._num_frames, axis=2)
    return self._stack.copy()

  def push(self, frame):
    """Drops the oldest frame, appends `frame` [H, W]; returns the stack."""
    if self._stack is None:
      raise ValueError('FrameStacker.push before reset.')
    frame = np.asarray(frame)
    if frame.shape != self._stack.shape[:2]:
      raise ValueError('Frame shape %s differs from the stack\'s %s.' %
                       (frame.shape, self._stack.shape[:2]))
    self._stack = np.concatenate(
        [self._stack[:, :, 1:], frame[:, :, np.newaxis]], axis=2)
    return self._stack.copy()


class GameScore(gym.Wrapper):
  """Sums the raw rewards of each game, over all its lives.

  A game ends when the wrapped environment terminates or truncates; its
  score is then queued for `pop_scores`.
  """

  STATE_ATTRIBUTES = ('_score', '_finished')

  def __init__(self, env):
    super().__init__(env)
    self._score = 0.
    self._finished = []

  def reset(self, **kwargs):
    self._score = 0.
    return self.env.reset(**kwargs)

  def step(self, action):
    observation, reward, terminated, truncated, info = self.env.step(action)
    self._score += float(reward)
    if terminated or truncated:
      self._finished.append(self._score)
      self._score = 0.
    return observation, reward, terminated, truncated, info

  def pop_scores(self):
    """The scores of the games finished since the last call, oldest first."""
    finished, self._finished = self._finished, []
    return finished


class NoopReset(gym.Wrapper):
  """After each reset takes k ~ U{1, ..., noop_max} no-op actions (action 0).

  Varies the start states of deterministic games. The number is drawn from
  the environment's `np_random`, which `reset(seed=...)` seeds.
  """

  STATE_ATTRIBUTES = ()

  def __init__(self, env, noop_max=30):
    """Raises ValueError if `noop_max` < 1."""
    super().__init__(env)
    if noop_max < 1:
      raise ValueError('noop_max must be at least 1, got %s.' % noop_max)
    self._noop_max = noop_max

  def reset(self, **kwargs):
    observation, info = self.env.reset(**kwargs)
    for _ in range(self.np_random.integers(1, self._noop_max + 1)):
      observation, _, terminated, truncated, info = self.env.step(_NOOP)
      if terminated or truncated:
        observation, info = self.env.reset()
    return observation, info


class MaxAndSkip(gym.Wrapper):
  """Repeats each action `skip` times, stopping early at an episode end.

  r = sum of the `skip` rewards; o = max over the last two frames
  (`max_pool_last_two`).
  """

  STATE_ATTRIBUTES = ()  # Its frames last one `step`.

  def __init__(self, env, skip=4):
    """Raises ValueError if `skip` < 1."""
    super().__init__(env)
    if skip < 1:
      raise ValueError('skip must be at least 1, got %s.' % skip)
    self._skip = skip

  def step(self, action):
    total_reward = 0.
    frames = []
    for _ in range(self._skip):
      observation, reward, terminated, truncated, info = self.env.step(action)
      total_reward += float(reward)
      frames = frames[-1:] + [observation]
      if terminated or truncated:
        break
    return (max_pool_last_two(frames), total_reward, terminated, truncated,
            info)


class EpisodicLife(gym.Wrapper):
  """Ends the episode (terminated, so discount 0) when a life is lost.

  The game itself goes on: after a lost life `reset` takes one no-op step
  instead of resetting; only at the real game over does it reset the game.
  Reads the lives from `info['lives']`, as ALE reports them.
  """

  STATE_ATTRIBUTES = ('_lives', '_game_over')

  def __init__(self, env):
    super().__init__(env)
    self._lives = 0
    self._game_over = True

  def reset(self, **kwargs):
    if not self._game_over:
      observation, _, terminated, truncated, info = self.env.step(_NOOP)
      self._game_over = terminated or truncated
    if self._game_over:
      observation, info = self.env.reset(**kwargs)
      self._game_over = False
    self._lives = info['lives']
    return observation, info

  def step(self, action):
    observation, reward, terminated, truncated, info = self.env.step(action)
    self._game_over = terminated or truncated
    lives = info['lives']
    if 0 < lives < self._lives:
      terminated = True
    self._lives = lives
    return observation, reward, terminated, truncated, info


def needs_fire(env):
  """Whether action 1 of the game is FIRE (Breakout: FIRE starts a ball)."""
  meanings = env.unwrapped.get_action_meanings()
  return len(meanings) > _FIRE and meanings[_FIRE] == 'FIRE'


class FireReset(gym.Wrapper):
  """Presses FIRE (action 1) after each reset, so that play starts.

  With `on_life_loss`, also after each step that loses a life without
  ending the game; that step then returns FIRE's observation and the sum of
  both rewards. Breakout serves a new ball only on FIRE: a policy that never
  saw a life start without it would otherwise stall the game until its
  frame limit.
  """

  STATE_ATTRIBUTES = ('_lives',)

  def __init__(self, env, on_life_loss=False):
    """Raises ValueError if action 1 of `env` is not FIRE."""
    super().__init__(env)
    if not needs_fire(env):
      raise ValueError('FireReset needs a game whose action 1 is FIRE, got '
                       '%s.' % (env.unwrapped.get_action_meanings(),))
    self._on_life_loss = on_life_loss
    self._lives = 0

  def reset(self, **kwargs):
    self.env.reset(**kwargs)
    observation, _, terminated, truncated, info = self.env.step(_FIRE)
    if terminated or truncated:
      observation, info = self.env.reset(**kwargs)
    self._lives = info.get('lives', 0)
    return observation, info

  def step(self, action):
    observation, reward, terminated, truncated, info = self.env.step(action)
    lives = info.get('lives', 0)
    if (self._on_life_loss and 0 < lives < self._lives and
        not (terminated or truncated)):
      observation, fire_reward, terminated, truncated, info = self.env.step(
          _FIRE)
      reward += fire_reward
    self._lives = info.get('lives', 0)
    return observation, reward, terminated, truncated, info


class WarpFrame(gym.ObservationWrapper):
  """RGB frames uint8 [H, W, 3] -> gray uint8 [84, 84] (`to_84x84_gray`)."""

  STATE_ATTRIBUTES = ()

  def __init__(self, env):
    super().__init__(env)
    self.observation_space = gym.spaces.Box(
        0, 255, (FRAME_SIZE, FRAME_SIZE), dtype=np.uint8)

  def observation(self, observation):
    return to_84x84_gray(observation)


class ClipReward(gym.RewardWrapper):
  """Clips rewards to their sign: r' = sign(r) in {-1, 0, 1}."""

  STATE_ATTRIBUTES = ()

  def reward(self, reward):
    return float(np.sign(reward))


class StackFrames(gym.Wrapper):
  """Observations [H, W] -> the last `num_frames` [H, W, num_frames]."""

  STATE_ATTRIBUTES = ('_stacker._stack',)

  def __init__(self, env, num_frames=4):
    """Raises ValueError if `num_frames` < 1 or observations are not 2-D."""
    super().__init__(env)
    space = env.observation_space
    if len(space.shape) != 2:
      raise ValueError('StackFrames needs observations [H, W], got %s.' %
                       (space,))
    self._stacker = FrameStacker(num_frames)
    self.observation_space = gym.spaces.Box(
        0, 255, space.shape + (num_frames,), dtype=space.dtype)

  def reset(self, **kwargs):
    observation, info = self.env.reset(**kwargs)
    return self._stacker.reset(observation), info

  def step(self, action):
    observation, reward, terminated, truncated, info = self.env.step(action)
    return (self._stacker.push(observation), reward, terminated, truncated,
            info)


def _fire_reset_if_needed(env, on_life_loss):
  """`env` in a `FireReset` if its game needs one, else `env`."""
  return FireReset(env, on_life_loss) if needs_fire(env) else env


def load_atari(env_id, seed=None, training=True, frame_stack=4, frame_skip=4,
               noop_max=30, max_episode_steps=None, **gym_kwargs):
  """An ALE game with DQN preprocessing as a `PyEnvironment`.

  Observations are uint8 [84, 84, frame_stack], oldest frame first; actions
  the game's discrete actions.

  Args:
    env_id: an ALE id ('PongNoFrameskip-v4') or a lecture's ('Pong-v0').
    seed: seeds the first reset, and with it the no-op starts.
    training: clip rewards to sign(r) and end episodes at a lost life; the
      raw game scores are then at `pop_game_scores`. False: raw rewards,
      whole games, FIRE after a lost life where the game needs it.
    frame_stack: frames per observation.
    frame_skip: emulator frames per action.
    noop_max: at most this many no-ops after a reset.
    max_episode_steps: overrides the registered limit, in emulator frames.
    **gym_kwargs: passed to `gymnasium.make` (e.g. `render_mode`).

  Returns:
    A `gym_suite.GymWrapper`.
  """
  wrappers = [GameScore,
              lambda env: NoopReset(env, noop_max),
              lambda env: MaxAndSkip(env, frame_skip)]
  if training:
    wrappers.append(EpisodicLife)
  wrappers.append(
      lambda env: _fire_reset_if_needed(env, on_life_loss=not training))
  wrappers.append(WarpFrame)
  if training:
    wrappers.append(ClipReward)
  wrappers.append(lambda env: StackFrames(env, frame_stack))
  return gym_suite.load(env_id, seed=seed, max_episode_steps=max_episode_steps,
                        gym_env_wrappers=wrappers, **gym_kwargs)


load = load_atari  # The lecture's name: `suite_atari.load("Breakout-v0")`.


def pop_game_scores(env):
  """Raw scores of the games `env` finished since the last call.

  Args:
    env: a `GymWrapper` from `load_atari`.

  Returns:
    A list of floats, oldest first: each the sum of a whole game's
    unclipped rewards over all its lives.
  """
  return env.gym_env.get_wrapper_attr('pop_scores')()
