"""The training loop of off-policy agents (DQN, DDPG): one run per step.

Each environment step costs one `Session.run` that acts on the current
observation, stores the previous transition and, every `train_every` steps
after `learning_starts`, takes a gradient step. Around it the loop keeps the
run's records: TensorBoard scalars, `episodes.csv`, a progress line,
periodic greedy evaluations (`evaluations.csv`), crash-safe checkpoints
(weights, optimizer, target network, counters and the replay buffer) and a
clean stop on SIGTERM/SIGINT. The `train_s` columns count the seconds of
this process's loop up to the row, evaluations excluded (the measure of the
time-to-solve benchmark); a resumed run counts from its own start.

The agent provides, in the default graph:
  observ, explore_action, greedy_action: acting
  transition (placeholders s, a, r, s', discount), store: storing
  train, loss, scalars (dict of tensors logged at train steps): training
  env_steps, train_steps: counters; sync_target: run once at the start
  episode_start: op run right after each `env.reset()`, or None
  eval_reset: op run before each batch of greedy episodes, or None
"""

import dataclasses
import functools
import math
import os
import time

from graphrl.compat import session_config
from graphrl.compat import tf
from graphrl.training import checkpoints
from graphrl.training import cli
from graphrl.training import episode_log
from graphrl.training import evaluation
from graphrl.training import learner_thread
from graphrl.training import progress
from graphrl.training import signals
from graphrl.training import summaries
from graphrl.training.step_callable import StepCallable

# The periodic work of a loop, each every `<name>_every` env steps.
_PERIODIC = ('eval', 'checkpoint', 'summary')


@dataclasses.dataclass(frozen=True)
class LoopConfig:
  """Schedule of the loop, in environment steps."""
  num_steps: int = 50000
  learning_starts: int = 1000
  train_every: int = 1
  eval_every: int = 5000          # 0: evaluate only at the end
  eval_episodes: int = 20
  stop_eval_return: float = None  # stop once a greedy evaluation reaches it
  checkpoint_every: int = 10000
  keep_checkpoints: int = 3
  summary_every: int = 1000
  progress_every_s: float = 5.0
  # Intra- and inter-op threads of the session (0: TF's choice). One suits
  # small graphs; convolutions (Atari) run ~1.8x faster on two.
  threads: int = 1
  # Train in a second thread while this one acts and stores (DQN; the
  # Python loop): faster on two cores, not bit-reproducible.
  learner_thread: bool = False
  seed: int = 0


class OffPolicyLoop:
  """Trains `agent` on `env` and keeps the records of the run in `logdir`."""

  def __init__(self, agent, env, eval_env, logdir, config, metadata,
               game_scores=None):
    """Creates the loop; the agent's graph must be the default graph.

    Args:
      agent: e.g. a `graphrl.agents.dqn.DQNAgent`.
      env: an unbatched `PyEnvironment` to train on.
      eval_env: a batched `PyEnvironment` of `config.eval_episodes` members.
      logdir: directory of the run's records and checkpoints.
      config: a `LoopConfig`.
      metadata: JSON-able dict stored with the checkpoints; its 'agent' and
        'env' must match those of an existing run in `logdir`.
      game_scores: for training episodes that are not whole games (an ALE
        game's lives), a function returning the raw scores of the games
        finished since its last call (`graphrl.envs.pop_game_scores`),
        logged to games.csv and TensorBoard; else None.
    """
    self._agent = agent
    self._game_scores = game_scores
    self._env = env
    self._eval_env = eval_env
    self._logdir = logdir
    self._config = config
    with tf.variable_scope('loop'):
      self._episodes = tf.Variable(0, dtype=tf.int64, trainable=False,
                                   name='episodes')
      self._episodes_value = tf.placeholder(tf.int64, [])
      self._set_episodes = self._episodes.assign(self._episodes_value)
    self._checkpoints = checkpoints.CheckpointManager(
        logdir, tf.train.Saver(max_to_keep=None), metadata,
        keep=config.keep_checkpoints, must_match=('agent', 'env'))
    self._scalar_names = sorted(agent.scalars)
    self._train_fetches = [agent.train, agent.loss] + [
        agent.scalars[name] for name in self._scalar_names]
    # A train op that does not store first; the on-policy loops' configs
    # have no learner thread.
    if getattr(config, 'learner_thread', False):
      train, loss, scalars = agent.train_step()
      self._learner_fetches = [train, loss] + [
          scalars[name] for name in self._scalar_names]

  def run(self):
    """Trains to `config.num_steps` env steps, resuming from `logdir`.

    Returns:
      A JSON-able summary: steps, episodes, wall time, the last greedy
      evaluation and why the run stopped (`_finish`).

    Raises:
      graphrl.training.cli.UserError: unusable checkpoints in `logdir`, a
        non-finite loss or a checkpoint that cannot be written (training
        stops; the records are left as of the last checkpoint).
    """
    with tf.Session(config=session_config(self._config.threads)) as sess:
      sess.run(tf.global_variables_initializer())
      restored = self._checkpoints.restore(sess)
      if restored is None:
        sess.run(self._agent.sync_target)
      steps, episodes = sess.run([self._agent.env_steps, self._episodes])
      steps, episodes = int(steps), int(episodes)
      os.makedirs(self._logdir, exist_ok=True)
      step_log = functools.partial(episode_log.StepLog, self._logdir)
      with episode_log.EpisodeLog(self._logdir) as log, \
          step_log(episode_log.EVALUATIONS_FILENAME) as evals, \
          step_log(episode_log.GAMES_FILENAME) as games, \
          summaries.ScalarWriter(self._logdir, restored) as writer, \
          signals.StopRequest() as stop:
        self._games = games
        for records in (log, evals, games):
          records.truncate_after(steps)  # Rows a killed run logged later.
        if restored is not None:
          print('Resuming from the checkpoint of step %d.' % steps, flush=True)
        try:
          return self._loop(sess, steps, episodes, log, evals, writer, stop)
        except cli.UserError:
          self._roll_back(restored, writer, log, evals, games)
          raise

  def _roll_back(self, restored, writer, *records):
    """Leaves the step logs as of the last checkpoint, for a run stopped by
    a user error (e.g. a non-finite loss); one that saved no checkpoint
    since `restored` also deletes its event file, leaving the logdir of an
    existing run as it found it."""
    steps = self._checkpoints.steps()
    last = steps[-1] if steps else None
    for step_log in records:
      step_log.truncate_after(last or 0)
    if last == restored:
      writer.discard()

  def _loop(self, sess, steps, episodes, log, evals, writer, stop):
    c, agent = self._config, self._agent
    meter = self._start(steps)
    feeds = [agent.observ] + list(agent.transition)
    act = StepCallable(sess, [agent.explore_action], [agent.observ])
    act_store = StepCallable(sess, [agent.explore_action, agent.store], feeds)
    # A train step samples after the store (control dependency): it always
    # stores a transition.
    act_store_train = StepCallable(
        sess, [agent.explore_action, agent.store] + self._train_fetches, feeds)
    learner = self._start_learner(sess, steps) if c.learner_thread else None
    try:
      pending = None
      time_step = self._reset(sess)
      episode_return, episode_length = 0.0, 0
      while self._running(steps, stop):
        observ = time_step.observation[None]
        train = (learner is None and pending is not None and
                 steps >= c.learning_starts and steps % c.train_every == 0)
        if train:
          results = act_store_train(observ, *pending)
          self._check_loss(results[2], steps)
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
          episodes += 1
          self._log_episode(log, writer, meter, steps, episodes,
                            episode_return, episode_length)
          episode_return, episode_length = 0.0, 0
          time_step = self._reset(sess)
        else:
          time_step = next_step
        trained = results[2:] if train else learner and learner.latest
        if trained and self._due('summary', steps):
          self._write_train_scalars(writer, trained, steps)
        self._periodic(sess, steps, episodes, writer, evals, learner)
        meter.update(steps)
      if learner is not None:
        learner.drain()
      return self._finish(sess, steps, episodes, stop, writer, evals, meter)
    finally:
      if learner is not None:
        learner.stop()

  def _start_learner(self, sess, steps):
    """A `LearnerThread` running the train op without a store, at the
    loop's train cadence from env step `steps`; it stops the run on a
    non-finite loss."""
    c = self._config
    train = StepCallable(sess, self._learner_fetches, [])

    def train_step(step):
      values = train()
      self._check_loss(values[0], step)
      return values

    return learner_thread.LearnerThread(train_step, c.learning_starts,
                                        c.train_every, start=steps)

  def _reset(self, sess):
    """Starts an episode: resets the env, then runs `agent.episode_start`."""
    time_step = self._env.reset()
    if self._agent.episode_start is not None:
      sess.run(self._agent.episode_start)
    return time_step

  def _start(self, steps):
    """Starts this process's clocks and schedules at `steps`.

    Returns:
      The `Progress` meter of the loop.
    """
    c = self._config
    self._start_steps, self._start_time, self._eval_s = steps, time.time(), 0.0
    self._due_at = {name: _next_multiple(steps, getattr(c, name + '_every'))
                    for name in _PERIODIC}
    self._last_eval, self._reached = None, False
    return progress.Progress(c.num_steps, interval_s=c.progress_every_s,
                             start_step=steps)

  def _running(self, steps, stop):
    """Whether the loop goes on: steps left, no stop request, not solved."""
    return (steps < self._config.num_steps and not stop.requested and
            not self._reached)

  def _due(self, name, steps):
    """Whether the periodic `name` of `_PERIODIC` is due at `steps`."""
    if steps < self._due_at[name]:
      return False
    self._due_at[name] = _next_multiple(
        steps, getattr(self._config, name + '_every'))
    return True

  def _periodic(self, sess, steps, episodes, writer, evals, learner=None):
    """Logs finished games; evaluates and checkpoints when due, after the
    `learner`'s due train steps."""
    if self._game_scores is not None:
      for score in self._game_scores():
        self._games.append(steps, score=score)
        writer.scalars({'episode/game_score': score}, steps)
    if learner is not None and any(
        steps >= self._due_at[name] for name in ('eval', 'checkpoint')):
      learner.drain()
    if self._due('eval', steps):
      self._evaluate(sess, steps, writer, evals)
    if self._due('checkpoint', steps):
      self._save(sess, steps, episodes, writer)

  def _check_loss(self, loss, steps):
    """Stops the run with a user error when the loss is not finite."""
    if not math.isfinite(loss):
      raise cli.UserError(
          'the loss became %s at step %d; stopped without saving, the last '
          'good checkpoint is step %s' % (
              loss, steps, (self._checkpoints.steps() or ['none'])[-1]))

  def _log_episode(self, log, writer, meter, steps, episodes, episode_return,
                   length, **extras):
    """Records one finished episode in episodes.csv, TensorBoard, progress."""
    log.append(steps, episodes, episode_return, length,
               train_s=round(self._train_seconds(), 4), **extras)
    writer.scalars({'episode/return': episode_return,
                    'episode/length': length}, steps)
    meter.update(steps, episode_return)

  def _write_train_scalars(self, writer, values, steps):
    """Writes a train run's loss and scalars, values = [loss, *scalars]."""
    scalars = dict(zip(self._scalar_names, values[1:]))
    scalars['train/loss'] = values[0]
    scalars['speed/steps_per_sec'] = (
        (steps - self._start_steps) / max(time.time() - self._start_time,
                                          1e-9))
    writer.scalars(scalars, steps)

  def _finish(self, sess, steps, episodes, stop, writer, evals, meter):
    """Evaluates (unless just done), saves, says in words how the run ended
    and returns its summary.

    The summary's `stop_reason` is 'solved' (a greedy evaluation reached
    `stop_eval_return`, the final one included), 'signal' (SIGTERM or
    SIGINT) or 'num_steps'; `stopped_early` and `reached_stop_eval_return`
    are derived from it.
    """
    if stop.requested:
      print('Stop requested: saving the checkpoint of step %d.' % steps,
            flush=True)
    elif not self._reached and (self._last_eval is None or
                                self._last_eval['step'] != steps):
      self._evaluate(sess, steps, writer, evals)
    self._save(sess, steps, episodes, writer)
    meter.close()
    reason = ('solved' if self._reached else
              'signal' if stop.requested else 'num_steps')
    print(self._ending(reason, steps, stop.signal_name), flush=True)
    return {
        'steps': steps,
        'episodes': episodes,
        'wall_s': round(time.time() - self._start_time, 3),
        'eval_s': round(self._eval_s, 3),
        'stop_reason': reason,
        'stopped_early': reason != 'num_steps',
        'eval': self._last_eval,
        'reached_stop_eval_return': reason == 'solved',
    }

  def _ending(self, reason, steps, signal_name):
    """The line saying how the run ended, its checkpoint and what next."""
    c, last = self._config, self._last_eval
    greedy = ('last greedy mean %.1f at step %s' % (
        last['mean_return'], format(last['step'], ',')) if last
              else 'no greedy evaluation yet')
    when = 'step %s (%s)' % (format(steps, ','), progress.duration(
        time.time() - self._start_time))
    if reason == 'signal':
      return ('stopped on request (%s) at %s, %s; checkpoint: %s; next: '
              'rerun the same command to resume' % (
                  signal_name, when, greedy, self._checkpoints.path(steps)))
    best = self._checkpoints.best()
    kept = ('best checkpoint: %s (greedy mean %.1f)' % (
        self._checkpoints.path(best[0]), best[1]) if best
            else 'checkpoint: %s' % self._checkpoints.path(steps))
    evaluate = 'python -m graphrl.evaluate --logdir=%s' % self._logdir
    if reason == 'solved':
      return 'solved: greedy mean %.1f >= %g at %s; %s; next: %s' % (
          last['mean_return'], c.stop_eval_return, when, kept, evaluate)
    target = ('' if c.stop_eval_return is None else
              ', short of --stop_eval_return=%g' % c.stop_eval_return)
    return ('ran out of steps: --num_steps=%s reached at %s, %s%s; %s; '
            'next: %s, or rerun with a larger --num_steps to train on' % (
                format(c.num_steps, ','), when, greedy, target, kept,
                evaluate))

  def _train_seconds(self):
    """Seconds since this process's loop started, evaluations excluded."""
    return time.time() - self._start_time - self._eval_s

  def _evaluate(self, sess, steps, writer, evals):
    """Greedy episodes, one per member of the evaluation environment: sets
    the last evaluation and whether it reached `stop_eval_return`."""
    agent = self._agent

    def policy(observ):
      return sess.run(agent.greedy_action, {agent.observ: observ})

    train_s = self._train_seconds()
    started = time.time()
    if agent.eval_reset is not None:
      sess.run(agent.eval_reset)
    returns, lengths = evaluation.run_episodes(self._eval_env, policy)
    self._eval_s += time.time() - started
    result = dict(step=steps, train_s=round(train_s, 4),
                  **evaluation.summarize(returns, lengths))
    writer.scalars({'eval/mean_return': result['mean_return'],
                    'eval/min_return': result['min_return']}, steps)
    evals.append(**result)
    print('Greedy evaluation at step %d: mean return %.1f over %d episodes '
          '(min %.1f, max %.1f).' % (
              steps, result['mean_return'], result['episodes'],
              result['min_return'], result['max_return']), flush=True)
    target = self._config.stop_eval_return
    self._last_eval = result
    self._reached = target is not None and result['mean_return'] >= target

  def _save(self, sess, steps, episodes, writer):
    """Checkpoints the run, ranked by the evaluation of `steps` if any."""
    sess.run(self._set_episodes, {self._episodes_value: episodes})
    evaluated = self._last_eval is not None and self._last_eval['step'] == steps
    self._checkpoints.save(
        sess, steps,
        score=self._last_eval['mean_return'] if evaluated else None)
    writer.flush()


def _next_multiple(step, every):
  """The first multiple of `every` after `step` (never, for every <= 0)."""
  if every <= 0:
    return float('inf')
  return (step // every + 1) * every
