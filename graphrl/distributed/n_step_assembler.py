"""n-step transitions assembled as an actor steps (NumPy; Ape-X actors).

The actor side of `graphrl.n_step`'s convention: fed one step at a time,
(s_t, a_t, r_t, s'_t, d_t), it returns for step t, once known,

  R  = sum_{i<m} gamma^i r_{t+i},
  s' = s'_{t+m-1} (= s_{t+m}),   d = gamma^(m-1) d_{t+m-1},

with m = n, or fewer where the episode ends at step t + m - 1 (d = 0 at a
termination; a time-limit truncation keeps d = 1 and its s' is the final
observation), so that the learner's one-step target
y = R + gamma d max_a Q_T(s', a) is the m-step target. Every step yields
exactly one transition: n - 1 steps late within an episode, all at once
(flushed) at its end.
"""

import collections

import numpy as np


class NStepAssembler:
  """Turns a stream of one-step transitions into n-step ones."""

  def __init__(self, n, gamma):
    """Starts with no pending steps.

    Args:
      n: the most steps of a transition, an int >= 1.
      gamma: the discount of the rewards, in [0, 1].

    Raises:
      ValueError: for a bad n or gamma.
    """
    if not isinstance(n, int) or n < 1:
      raise ValueError('n must be a positive int, got %r' % (n,))
    if not 0 <= gamma <= 1:
      raise ValueError('gamma must lie in [0, 1], got %r' % (gamma,))
    self._n = n
    self._powers = gamma ** np.arange(n, dtype=np.float64)  # gamma^i [n]
    self._steps = collections.deque()

  @property
  def pending(self):
    """The steps fed whose transitions are not returned yet (< n)."""
    return len(self._steps)

  def add(self, observ, action, reward, next_observ, discount, last):
    """Feeds one step; returns the transitions it completes.

    Args:
      observ: s_t.
      action: a_t.
      reward: r_t.
      next_observ: s'_t, the final observation at an episode's end.
      discount: d_t: 0 at a termination, else 1.
      last: whether the episode ended at this step (terminated or
        truncated).

    Returns:
      A list of (s, a, R, s', d) tuples (R and d float32), oldest first:
      one for step t - n + 1 within an episode, all pending at its end.
    """
    self._steps.append((observ, action, float(reward), next_observ,
                        float(discount)))
    if last:
      return [self._transition() for _ in range(len(self._steps))]
    if len(self._steps) == self._n:
      return [self._transition()]
    return []

  def _transition(self):
    """The transition of the oldest pending step, which it drops."""
    m = len(self._steps)
    rewards = np.array([step[2] for step in self._steps])
    observ, action = self._steps[0][:2]
    next_observ, discount = self._steps[-1][3:]
    self._steps.popleft()
    return (observ, action, np.float32(self._powers[:m] @ rewards),
            next_observ, np.float32(self._powers[m - 1] * discount))
