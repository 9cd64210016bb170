"""The Python loop of off-policy agents (DQN, DDPG, TD3): a run per step.

Each environment step costs one `Session.run` that acts on the current
observation, stores the previous transition and, every `train_every` steps
after `learning_starts`, takes a gradient step. With `learner_thread` the
gradient steps run in a second thread instead
(`graphrl.training.learner_thread`), at the same cadence. The run's
records, evaluations and checkpoints are the `graphrl.training.run.Run`'s;
the loop's place in them is the environment's state, the transition it has
yet to store and the running episode's return and length.
"""

import dataclasses

from graphrl.training import learner_thread
from graphrl.training import run as run_lib
from graphrl.training.step_callable import StepCallable


@dataclasses.dataclass(frozen=True)
class LoopConfig(run_lib.LoopConfig):
  """The run's settings, and when to train, in environment steps."""
  learning_starts: int = 1000
  train_every: int = 1
  # Train in a second thread while this one acts and stores (DQN; the
  # Python loop): faster on two cores, not bit-reproducible.
  learner_thread: bool = False


class OffPolicyLoop:
  """Steps an `OffPolicyAgent` on one Python environment."""

  def __init__(self, agent, env, config):
    """Builds the loop's ops; the agent's graph must be the default graph.

    Args:
      agent: a `graphrl.agents.agent.OffPolicyAgent` of num_envs 1.
      env: an unbatched `PyEnvironment` to train on.
      config: a `LoopConfig` of this module.
    """
    self._agent, self._env, self._config = agent, env, config
    if config.learner_thread:  # A train op that does not store first.
      self._learner_step = agent.train_step()
    self._place = lambda: None  # Set by `iterate`.

  def place(self):
    """Where the loop is, for a checkpoint; None if its environment's state
    cannot be saved."""
    return self._place()

  def iterate(self, run):
    """Acts, stores and trains from `run.steps` while `run.running()`."""
    c, agent, sess = self._config, self._agent, run.sess
    steps = run.steps
    feeds = [agent.observ] + list(agent.transition)
    act = StepCallable(sess, [agent.explore_action], [agent.observ])
    act_store = StepCallable(sess, [agent.explore_action, agent.store], feeds)
    # A train step samples after the store (control dependency): it always
    # stores a transition.
    act_store_train = StepCallable(
        sess, [agent.explore_action, agent.store] + run.train_fetches(
            agent.train, agent.loss, agent.scalars), feeds)
    learner = self._start_learner(run) if c.learner_thread else None
    try:
      if run.restored_env(self._env):
        time_step = self._env.current_time_step()
        pending = run.place['pending']
        episode_return, episode_length = run.place['episode']
      else:
        pending = None
        time_step = self._reset(sess)
        episode_return, episode_length = 0.0, 0
      if run.saves_state_of(self._env):
        self._place = lambda: {
            'env': self._env.get_state(), 'pending': pending,
            'episode': [episode_return, episode_length]}
      while run.running():
        observ = time_step.observation[None]
        train = (learner is None and pending is not None and
                 steps >= c.learning_starts and steps % c.train_every == 0)
        if train:
          results = act_store_train(observ, *pending)
          run.check_loss(results[2], steps)
        elif pending is not None:
          results = act_store(observ, *pending)
          if learner is not None:
            learner.stored(steps)
        else:
          results = act(observ)
        action = results[0][0]
        next_step = self._env.step(action)
        steps += 1
        pending = (time_step.observation, action, next_step.reward,
                   next_step.observation, next_step.discount)
        episode_return += float(next_step.reward)
        episode_length += 1
        if next_step.is_last():
          run.end_episode(steps, episode_return, episode_length)
          episode_return, episode_length = 0.0, 0
          time_step = self._reset(sess)
        else:
          time_step = next_step
        train_values = results[2:] if train else (learner and
                                                  learner.latest)
        if train_values:
          run.summarize(train_values, steps)
        run.after_step(steps, drain=learner and learner.drain)
      if learner is not None:
        learner.drain()
    finally:
      if learner is not None:
        learner.stop()

  def _start_learner(self, run):
    """A `LearnerThread` running the train op without a store, at the
    loop's train cadence from env step `run.steps`; it stops the run on a
    non-finite loss."""
    c = self._config
    train = StepCallable(run.sess, run.train_fetches(*self._learner_step), [])

    def train_step(step):
      values = train()
      run.check_loss(values[0], step)
      return values

    return learner_thread.LearnerThread(train_step, c.learning_starts,
                                        c.train_every, start=run.steps)

  def _reset(self, sess):
    """Starts an episode: resets the env, then restarts the agent's
    exploration state, if it keeps one."""
    time_step = self._env.reset()
    if self._agent.explores_with_state:
      sess.run(self._agent.episode_start)
    return time_step
