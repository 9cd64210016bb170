"""Ape-X's actor loop (Horgan et al., 2018): act, assemble, push.

An actor task steps one Python environment with its `ApexActor`: one
`Session.run` per env step, on its local network only. It refreshes that
network from the learner's at its start and every `refresh_every` of its
env steps, assembles n-step transitions in NumPy (`NStepAssembler`) and
every `push_every` of them computes their priorities and enqueues them (or
the one-step transitions of the same steps, for a frame replay: the
actor's `pushed`) on the learner, tagged with the actor's index, in one
run, which waits while the learner's queue is full (re-tried every
`PUSH_TIMEOUT_MS` while the run goes on). It reports its
episodes (with `task`, its index) and its own env-step count to the run
(`graphrl.training.run`'s contract). Its environment is not saved: a
resumed run's actors start afresh (`place()` is None), and transitions not
pushed when it stops are dropped.
"""

import collections

import numpy as np

from graphrl.compat import tf
from graphrl.distributed.n_step_assembler import NStepAssembler
from graphrl.training.step_callable import StepCallable

PUSH_TIMEOUT_MS = 1000


class ApexActorLoop:
  """Steps an `ApexActor` on one Python environment, feeding the learner."""

  def __init__(self, actor, queue, env, config, index=0):
    """Builds the push op; the actor's graph must be the default graph.

    Args:
      actor: a `graphrl.agents.apex_actor.ApexActor`.
      queue: the `transition_queue.TransitionQueue`.
      env: an unbatched `PyEnvironment`.
      config: an `apex_settings.ApexConfig`.
      index: the actor's index i (its stream of a learner's frame replay).

    Raises:
      ValueError: for bad settings.
    """
    config.validate()
    self._actor, self._env, self._config = actor, env, config
    self._push = queue.enqueue(actor.pushed, actor.priority, index)

  def place(self):
    """None: the actor's environment is not saved."""
    return None

  def iterate(self, run):
    """Acts, assembles and pushes while `run.running()`."""
    c, actor, sess = self._config, self._actor, run.sess
    act = StepCallable(sess, [actor.explore_action], [actor.observ])
    assembler = NStepAssembler(actor.config.n_step, actor.config.gamma)
    steps = int(sess.run(actor.env_steps))
    # (one-step, n-step) transitions of the same steps, oldest first; the
    # one-step transitions whose n-step ones are still being assembled.
    outbox, one_steps = [], collections.deque()
    time_step = self._env.reset()
    episode_return, episode_length = 0.0, 0
    sess.run(actor.refresh)
    while run.running():
      action = act(time_step.observation[None])[0][0]
      next_step = self._env.step(action)
      steps += 1
      one_steps.append((time_step.observation, action, next_step.reward,
                        next_step.observation, next_step.discount))
      for transition in assembler.add(*one_steps[-1], next_step.is_last()):
        outbox.append((one_steps.popleft(), transition))
      if len(outbox) >= c.push_every:
        self._send(run, outbox[:c.push_every], steps)
        del outbox[:c.push_every]
      episode_return += float(next_step.reward)
      episode_length += 1
      if next_step.is_last():
        run.end_episode(steps, episode_return, episode_length,
                        task=run.task_index)
        episode_return, episode_length = 0.0, 0
        time_step = self._env.reset()
      else:
        time_step = next_step
      if steps % c.refresh_every == 0:
        sess.run(actor.refresh)
      run.after_step(steps)

  def _send(self, run, pairs, steps):
    """Computes the priorities of the (one-step, n-step) `pairs`' n-step
    transitions (s, a, R, s', d) and enqueues what the actor pushes,
    waiting while the queue is full and the run goes on
    (`run.after_step(steps)` after each timeout updates `run.running()`)."""
    one_steps, n_steps = zip(*pairs)
    feed = dict(zip(self._actor.transition, _batch(n_steps)))
    if self._actor.sends_steps:
      feed.update(zip(self._actor.pushed[2:], _batch(one_steps)[2:]))
    options = tf.RunOptions(timeout_in_ms=PUSH_TIMEOUT_MS)
    while run.running():
      try:
        run.sess.run(self._push, feed, options=options)
        return
      except tf.errors.DeadlineExceededError:  # The learner is behind.
        run.after_step(steps)


def _batch(transitions):
  """Stacks (s, a, r, s', d) tuples into arrays [K, ...]."""
  observ, action, reward, next_observ, discount = zip(*transitions)
  return (np.stack(observ), np.asarray(action, np.int64),
          np.asarray(reward, np.float32), np.stack(next_observ),
          np.asarray(discount, np.float32))
