"""`make`: the environment the binaries train and evaluate on.

An ALE game gets the DQN preprocessing of `atari.load_atari` unless it is
turned off; every other id is `gym_suite.load`'s plain gymnasium
environment.
"""

from graphrl.envs import atari
from graphrl.envs import gym_suite


def make(env_id, seed=None, max_episode_steps=None, training=True,
         atari_preprocessing=True, **gym_kwargs):
  """Makes `env_id` as a `PyEnvironment`.

  Args:
    env_id: a gymnasium id or one of the lectures' retired ids.
    seed: seeds the first reset.
    max_episode_steps: overrides the registered time limit.
    training: for a preprocessed ALE game: clipped rewards and a lost life
      ends the episode (raw scores at `atari.pop_game_scores`); False:
      raw scores and whole games, for evaluation.
    atari_preprocessing: whether an ALE game gets `load_atari`.
    **gym_kwargs: passed to `gymnasium.make` (e.g. `render_mode`).

  Raises:
    gym_suite.UnknownEnvironmentError: if `env_id` is not known.
  """
  if atari_preprocessing and gym_suite.is_atari(env_id):
    return atari.load_atari(env_id, seed=seed, training=training,
                            max_episode_steps=max_episode_steps,
                            **gym_kwargs)
  return gym_suite.load(env_id, seed=seed,
                        max_episode_steps=max_episode_steps, **gym_kwargs)
