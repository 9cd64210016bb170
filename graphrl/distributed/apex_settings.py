"""The settings of Ape-X's loops (Horgan et al., 2018): the learner's and
the actors'.

Actor i of N explores with epsilon_i = epsilon_base^(1 + epsilon_alpha i /
(N - 1)) (epsilon_base for N = 1), refreshes its copy of the learner's Q
network every `refresh_every` of its env steps and sends its n-step
transitions in pushes of `push_every`; the learner's queue holds
`queue_capacity` pushes, beyond which actors wait (back-pressure).
"""

import dataclasses

from graphrl.training import off_policy


@dataclasses.dataclass(frozen=True)
class ApexConfig(off_policy.LoopConfig):
  """`off_policy.LoopConfig` (learning_starts, train_every in transitions
  received) and the Ape-X settings."""
  refresh_every: int = 400   # actor env steps between weight refreshes
  push_every: int = 50       # transitions per push to the learner
  epsilon_base: float = 0.4
  epsilon_alpha: float = 7.0
  queue_capacity: int = 20   # in pushes

  def validate(self):
    """Raises ValueError naming the first bad Ape-X setting."""
    checks = [
        (_positive_int(self.refresh_every),
         'refresh_every must be a positive int, got %r' % (
             self.refresh_every,)),
        (_positive_int(self.push_every),
         'push_every must be a positive int, got %r' % (self.push_every,)),
        (_positive_int(self.queue_capacity),
         'queue_capacity must be a positive int, got %r' % (
             self.queue_capacity,)),
        (_positive_int(self.train_every),
         'train_every must be a positive int, got %r' % (self.train_every,)),
        (0 < self.epsilon_base <= 1,
         'epsilon_base must lie in (0, 1], got %r' % (self.epsilon_base,)),
        (self.epsilon_alpha >= 0,
         'epsilon_alpha must be >= 0, got %r' % (self.epsilon_alpha,)),
        (not self.learner_thread,
         'learner_thread does not apply to Ape-X, whose learner is a task '
         'of its own'),
    ]
    for ok, message in checks:
      if not ok:
        raise ValueError(message)

  @property
  def queue_transitions(self):
    """The queue's capacity in transitions: queue_capacity * push_every."""
    return self.queue_capacity * self.push_every


def _positive_int(value):
  return isinstance(value, int) and not isinstance(value, bool) and value >= 1
