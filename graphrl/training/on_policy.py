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
row of `episodes.csv` (its member in the `env` column). The rest of the
run's records and their handling are those of
`graphrl.training.off_policy.OffPolicyLoop`: TensorBoard scalars, progress
line, greedy evaluations (`evaluations.csv`), crash-safe checkpoints,
SIGTERM/SIGINT, `train_s` columns, a one-line error on a non-finite loss,
and the JSON-able summary. A resumed run restarts its environments, so it
clears the partial rollout stored with the checkpoint.

The agent provides, in the default graph: observ, step_type,
explore_action, greedy_action, eval_reset, transition, store, train, loss,
scalars, clear, env_steps, sync_target, episodic, rollout_length, and,
unless episodic, act_after_train (see
`graphrl.agents.reinforce.ReinforceAgent`).
"""

import dataclasses

import numpy as np

from graphrl.training import cli
from graphrl.training import off_policy
from graphrl.training.step_callable import StepCallable


@dataclasses.dataclass(frozen=True)
class LoopConfig:
  """Schedule of the loop, in environment steps summed over the batch."""
  num_steps: int = 200000
  eval_every: int = 10000         # 0: evaluate only at the end
  eval_episodes: int = 20
  stop_eval_return: float = None  # stop once a greedy evaluation reaches it
  checkpoint_every: int = 20000
  keep_checkpoints: int = 3
  summary_every: int = 1000
  progress_every_s: float = 5.0
  # Intra- and inter-op threads of the session (0: TF's choice). One suits
  # small graphs; convolutions (Atari) run ~1.8x faster on two.
  threads: int = 1
  seed: int = 0


class OnPolicyLoop(off_policy.OffPolicyLoop):
  """Trains `agent` on the batched `env`; records the run in `logdir`."""

  def __init__(self, agent, env, eval_env, logdir, config, metadata,
               game_scores=None):
    """Creates the loop; the agent's graph must be the default graph.

    Args:
      agent: a `ReinforceAgent` or `A2CAgent`.
      env: a batched `PyEnvironment` of `agent.config.num_envs` members,
        e.g. `BatchedPyEnvironment` or `ParallelPyEnvironment`.
      eval_env: a batched `PyEnvironment` of `config.eval_episodes` members.
      logdir: directory of the run's records and checkpoints.
      config: a `LoopConfig` of this module.
      metadata: JSON-able dict stored with the checkpoints; its 'agent' and
        'env' must match those of an existing run in `logdir`.
      game_scores: as for `OffPolicyLoop`.

    Raises:
      ValueError: `env` is not batched or not of `num_envs` members.
    """
    if not env.batched or env.batch_size != agent.config.num_envs:
      raise ValueError(
          'the agent steps num_envs=%d environments; got %s' % (
              agent.config.num_envs,
              'a batch of %d' % env.batch_size if env.batched
              else 'an unbatched environment'))
    super().__init__(agent, env, eval_env, logdir, config, metadata,
                     game_scores)

  def _loop(self, sess, steps, episodes, log, evals, writer, stop):
    agent, env = self._agent, self._env
    meter = self._start(steps)
    sess.run(agent.clear)  # The environments start afresh.
    feeds = [agent.observ, agent.step_type] + list(agent.transition)
    act = StepCallable(sess, [agent.explore_action], feeds[:2])
    act_store = StepCallable(sess, [agent.explore_action, agent.store], feeds)
    # The train op stores first (control dependency).
    acted = [] if agent.episodic else [agent.act_after_train]
    update = StepCallable(sess, acted + self._train_fetches, feeds)
    time_step = env.reset()
    returns = np.zeros(env.batch_size)
    lengths = np.zeros(env.batch_size, np.int64)
    finished = np.zeros(env.batch_size, bool)  # Since the last reset.
    pending, stored = None, 0
    while self._running(steps, stop):
      current = (time_step.observation, time_step.step_type)
      if pending is None:
        action, = act(*current)
      elif not self._update_due(stored + 1, finished):
        action, _ = act_store(*current, *pending)
        stored += 1
      else:
        results = update(*current, *pending)
        pending, stored = None, 0
        self._check_loss(results[len(acted)], steps)
        if self._due('summary', steps):
          self._write_train_scalars(writer, results[len(acted):], steps)
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
        episodes += 1
        self._log_episode(log, writer, meter, steps, episodes,
                          float(returns[index]), int(lengths[index]),
                          env=int(index))
      returns[ended], lengths[ended] = 0.0, 0
      finished[ended] = True
      time_step = next_step
      self._periodic(sess, steps, episodes, writer, evals)
      meter.update(steps)
    return self._finish(sess, steps, episodes, stop, writer, evals, meter)


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
