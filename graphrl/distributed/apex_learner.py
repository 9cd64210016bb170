"""Ape-X's learner loop (Horgan et al., 2018): train on what actors send.

The learner task (the chief) holds a `DQNAgent` with prioritized replay and
the transition queue: a replay of the actors' n-step transitions, or a
frame replay with one stream per actor, which stores each actor's one-step
transitions as a chain of frames and rebuilds the n-step ones. It drains
the queue into the replay, which counts the transitions received (one per
actor env step, summed over the actors: the run's env steps), then takes
the train steps due after them, `due_train_steps(received,
learning_starts, train_every)` as in the Python loop of one environment
(at most MAX_TRAIN_STEPS between two `run.after_step` calls). It drains
again only once those are taken, so actors that act faster than it trains
fill the queue and wait: the replay ratio is the flagfile's whatever the
number of actors, to within the queue's capacity. With nothing received
and nothing due it waits `WAIT_S`. A peer of
`graphrl.training.off_policy.OffPolicyLoop` on the contract of
`graphrl.training.run`; it has no environments, so its `place()` is None
and a resumed run's actors start afresh.
"""

import dataclasses
import time

from graphrl.agents import dqn
from graphrl.training import cli
from graphrl.training.learner_thread import due_train_steps
from graphrl.training.step_callable import StepCallable

WAIT_S = 0.005
# The most train steps between two `run.after_step` calls, which check for
# a stop, evaluate and checkpoint: a backlog is worked off in bursts.
MAX_TRAIN_STEPS = 100


def check_replay(config):
  """Refuses a replay Ape-X cannot fill.

  Raises:
    graphrl.training.cli.UserError: for a replay other than 'prioritized'
      and 'prioritized_frames'.
  """
  cli.require(config.replay in dqn.PRIORITIZED_REPLAYS,
              '--replay=%s: Ape-X needs --replay=%s' % (
                  config.replay, ' or --replay='.join(
                      dqn.PRIORITIZED_REPLAYS)))


def learner_config(config, num_actors):
  """The learner agent's `DQNConfig` for `num_actors` actors.

  'prioritized': `config` with n_step 1, as actors send n-step transitions
  already. 'prioritized_frames': one stream per actor (num_envs), its
  replay_capacity rounded down to a multiple of them.

  Raises:
    graphrl.training.cli.UserError: as `check_replay`.
  """
  check_replay(config)
  if config.replay == 'prioritized':
    return dataclasses.replace(config, n_step=1)
  return dataclasses.replace(
      config, num_envs=num_actors,
      replay_capacity=config.replay_capacity // num_actors * num_actors)


class ApexLearnerLoop:
  """Drains actors' transitions into the replay and trains on them."""

  def __init__(self, agent, queue, config):
    """Builds the loop's ops; the agent's graph must be the default graph.

    Args:
      agent: a `DQNAgent` of `learner_config(...)`.
      queue: the `transition_queue.TransitionQueue`.
      config: an `apex_settings.ApexConfig`.

    Raises:
      ValueError: for bad settings.
    """
    config.validate()
    self._config = config
    self._drain = queue.drain(agent.buffer, agent.env_steps)
    self._train_step = agent.train_step()

  def place(self):
    """None: the learner has no environments to save."""
    return None

  def iterate(self, run):
    """Drains and trains from `run.steps` while `run.running()`."""
    c = self._config
    drain = StepCallable(run.sess, [self._drain], [])
    train = StepCallable(run.sess, run.train_fetches(*self._train_step), [])
    steps = run.steps
    taken = due = due_train_steps(steps, c.learning_starts, c.train_every)
    received = steps
    while run.running():
      if taken == due:  # Meanwhile the queue fills: back-pressure.
        received = int(drain()[0])
        due = due_train_steps(received, c.learning_starts, c.train_every)
      if received == steps and taken == due:
        time.sleep(WAIT_S)
        continue
      values = None
      for _ in range(min(due - taken, MAX_TRAIN_STEPS)):
        values = train()
        taken += 1
        run.check_loss(values[0], received)
      if values is not None:
        run.summarize(values, received)
      if taken == due:  # The received steps count once trained on.
        steps = received
      run.after_step(steps)
