"""Greedy evaluation: run a batch of episodes to their end, return returns."""

import numpy as np


def run_episodes(env, policy, max_steps=None, on_episode_end=None):
  """Runs one episode in every member of a batched environment.

  Args:
    env: a batched `PyEnvironment` of N members; it is reset first.
    policy: callable observations [N, ...] -> actions [N].
    max_steps: optional cap on the steps per episode.
    on_episode_end: optional callable(return, length), called as each
      episode ends, in the order they end.

  Returns:
    (returns, lengths): float64 [N] undiscounted returns and int [N] lengths
    of the first episode of each member.
  """
  time_step = env.reset()
  n = env.batch_size
  returns = np.zeros(n)
  lengths = np.zeros(n, dtype=np.int64)
  running = np.ones(n, dtype=bool)
  while running.any() and (max_steps is None or lengths.max() < max_steps):
    time_step = env.step(policy(time_step.observation))
    returns += np.where(running, time_step.reward, 0.0)
    lengths += running
    ended = running & time_step.is_last()
    running &= ~ended
    if on_episode_end is not None:
      for member in np.flatnonzero(ended):
        on_episode_end(returns[member], lengths[member])
  return returns, lengths


def summarize(returns, lengths):
  """A JSON-able summary of evaluation episodes."""
  return {
      'episodes': int(len(returns)),
      'mean_return': float(np.mean(returns)),
      'std_return': float(np.std(returns)),
      'min_return': float(np.min(returns)),
      'max_return': float(np.max(returns)),
      'mean_length': float(np.mean(lengths)),
  }
