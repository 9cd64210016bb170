"""The training loop of on-policy agents (REINFORCE, A2C) on batched envs.

Each batched environment step costs one `Session.run` that acts on the N
current time steps and stores the previous batched step in the agent's
in-graph buffer. When the buffer holds an update's worth, the run that
stores the last step also trains:

  episodic agents (REINFORCE): once every environment has finished an
      episode since the last reset; the run trains without acting, then the
      loop resets all environments (their unfinished episodes are dropped);
  rollout agents (A2C): after every `agent.rollout_length` stores; the run
      also returns the next action, sampled with the updated weights.

Environment steps are summed over the N members, without the auto-reset
step after an episode's end; every finished episode of every member is a
row of `episodes.csv` (its member in the `env` column). The run's records,
evaluations and checkpoints are the `graphrl.training.run.Run`'s; the
loop's place in them is the environments' state, the batched step it has
yet to store, the running episodes and the stores since the last update,
so a resumed run goes on with the partial rollout stored with the
checkpoint. A run that starts its environments afresh clears it.
"""

import dataclasses

import numpy as np

from graphrl.training import cli
from graphrl.training import run as run_lib
from graphrl.training.step_callable import StepCallable


@dataclasses.dataclass(frozen=True)
class LoopConfig(run_lib.LoopConfig):
  """The run's settings, with this loop's defaults."""
  num_steps: int = 200000
  eval_every: int = 10000         # 0: evaluate only at the end
  checkpoint_every: int = 20000


# The loop's own place, besides its environments'.
_PLACE = ('returns', 'lengths', 'finished', 'pending', 'stored')


class OnPolicyLoop:
  """Steps an `OnPolicyAgent` on a batch of Python environments."""

  def __init__(self, agent, env, config):
    """Creates the loop.

    Args:
      agent: a `graphrl.agents.agent.OnPolicyAgent` (REINFORCE, A2C).
      env: a batched `PyEnvironment` of `agent.config.num_envs` members,
        e.g. `BatchedPyEnvironment` or `ParallelPyEnvironment`.
      config: a `LoopConfig` of this module; the loop has no settings of
        its own, so it takes the signature of the other loops and leaves
        the settings to the run.

    Raises:
      ValueError: `env` is not batched or not of `num_envs` members.
    """
    if not env.batched or env.batch_size != agent.config.num_envs:
      raise ValueError(
          'the agent steps num_envs=%d environments; got %s' % (
              agent.config.num_envs,
              'a batch of %d' % env.batch_size if env.batched
              else 'an unbatched environment'))
    del config  # The run's.
    self._agent, self._env = agent, env
    self._place = lambda: None  # Set by `iterate`.

  def place(self):
    """Where the loop is, for a checkpoint; None if its environments' state
    cannot be saved."""
    return self._place()

  def iterate(self, run):
    """Acts, stores and updates from `run.steps` while `run.running()`."""
    agent, env, sess = self._agent, self._env, run.sess
    steps = run.steps
    feeds = [agent.observ, agent.step_type] + list(agent.transition)
    act = StepCallable(sess, [agent.explore_action], feeds[:2])
    act_store = StepCallable(sess, [agent.explore_action, agent.store], feeds)
    # The train op stores first (control dependency).
    acted = [] if agent.episodic else [agent.act_after_train]
    counted = [] if agent.steps_after_train is None else [
        agent.steps_after_train]
    update = StepCallable(
        sess, acted + run.train_fetches(agent.train, agent.loss,
                                        agent.scalars) + counted, feeds)
    if run.restored_env(env):
      time_step = env.current_time_step()
      returns, lengths, finished, pending, stored = (
          run.place[name] for name in _PLACE)
    else:
      sess.run(agent.clear)  # The environments start afresh.
      time_step = env.reset()
      returns = np.zeros(env.batch_size)
      lengths = np.zeros(env.batch_size, np.int64)
      finished = np.zeros(env.batch_size, bool)  # Since the last reset.
      pending, stored = None, 0
    if run.saves_state_of(env):
      self._place = lambda: dict(
          env=env.get_state(), returns=returns, lengths=lengths,
          finished=finished, pending=pending, stored=stored)
    while run.running():
      current = (time_step.observation, time_step.step_type)
      if pending is None:
        action, = act(*current)
      elif not self._update_due(stored + 1, finished):
        action, _ = act_store(*current, *pending)
        stored += 1
      else:
        results = update(*current, *pending)
        pending, stored = None, 0
        if counted:  # Every task's steps, this rollout's included.
          steps = max(steps, int(results[-1]))
          results = results[:-1]
        run.check_loss(results[len(acted)], steps)
        run.summarize(results[len(acted):], steps)
        if agent.episodic:
          time_step = env.reset()
          returns[:], lengths[:], finished[:] = 0.0, 0, False
          continue
        action = results[0]
      next_step = env.step(action)
      real = ~time_step.is_last()  # Not an auto-reset.
      steps += int(real.sum())
      returns += np.where(real, next_step.reward, 0.0)
      lengths += real
      pending = (time_step.observation, action, next_step.reward,
                 next_step.discount, time_step.step_type)
      ended = np.flatnonzero(next_step.is_last())
      for index in ended:
        run.end_episode(steps, float(returns[index]), int(lengths[index]),
                        env=int(index))
      returns[ended], lengths[ended] = 0.0, 0
      finished[ended] = True
      time_step = next_step
      run.after_step(steps)

  def _update_due(self, stores, finished):
    """Whether the store that makes `stores` completes an update.

    Raises:
      graphrl.training.cli.UserError: an episodic agent's buffer is full
        before every environment finished an episode.
    """
    agent = self._agent
    if not agent.episodic:
      return stores == agent.rollout_length
    if finished.all():
      return True
    cli.require(stores < agent.rollout_length,
                'an episode ran longer than max_episode_steps=%d; set it to '
                "the environment's time limit" % agent.rollout_length)
    return False
