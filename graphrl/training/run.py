"""The life of a training run, which every training loop shares.

A `Run` owns all of a run but the stepping of its agent: the session and
its config, restoring the last checkpoint (or syncing the target network of
a fresh run), the records in `logdir` (`episodes.csv`, `evaluations.csv`,
`games.csv`, TensorBoard scalars), periodic greedy evaluations and
crash-safe checkpoints (weights, optimizer, counters, replay), the progress
line, a clean stop on SIGTERM/SIGINT, the line saying how the run ended and
its JSON-able summary. Records that a killed run wrote after its last
checkpoint are cut back when it resumes, and a run stopped by a user error
(a non-finite loss) leaves them as of its last checkpoint.

A checkpoint also holds the run's place (`graphrl.resumable`): the
counters of every random draw, the state of in-graph environments, and,
from `loop.place()`, a Python loop's environments and unfinished episodes,
with the evaluation environment's state. A run resumed in the loop that
saved it therefore goes on exactly as the uninterrupted run, bit for bit
(on one CPU model, without a learner thread), where its environments'
state can be saved (`PyEnvironment.get_state`); other runs restart their
environments.

`Run.train(loop)` calls `loop.iterate(run)`, which steps the agent in
`run.sess` from env step `run.steps` for as long as `run.running()`
(`run.config` holds the shared settings, `run.next_due()` the step of the
next evaluation, checkpoint or summary), from `run.place` (what its
`place()` returned for the checkpoint it resumes, or None: start the
environments afresh) and reports to the run:

  end_episode(step, return, length)  a finished training episode
  check_loss(loss, step)             stops the run on a non-finite loss
  summarize(values, step)            a train step's [loss, *scalars], for
                                     TensorBoard when a summary is due (the
                                     values of `train_fetches` after the op)
  after_step(step, drain)            the env step count after an iteration:
                                     logs finished games, evaluates and
                                     checkpoints when due (after `drain()`,
                                     a learner thread's pending train steps)

Before each checkpoint the run calls `loop.place()`: where the loop is, as
data (`place_codec`), or None when it cannot be saved (a Python loop asks
`run.saves_state_of(env)`). Resumed, a Python loop has
`run.restored_env(env)` put its environment back and reads the rest from
`run.place`.

The loops are peers: `off_policy.OffPolicyLoop` and `on_policy.OnPolicyLoop`
step Python environments, `graph_loop.GraphLoop` a `tf.while_loop` of
in-graph ones; each reads only the agent contract of `graphrl.agents.agent`.
The chief task of a cluster (`graphrl.distributed`) trains in a `Run` too,
given its `cluster` hooks: its session runs on the task's server, and the
episodes the other tasks finish join its records; those tasks step the
same loops in a `graphrl.distributed.worker_run.WorkerRun`, which keeps
this contract without records of its own.

The `train_s` columns count the seconds of this process's loop up to the
row, evaluations excluded (the measure of the time-to-solve benchmark); a
resumed run counts from its own start.
"""

import dataclasses
import functools
import math
import os
import time

from graphrl import envs
from graphrl import resumable
from graphrl.compat import session_config
from graphrl.compat import tf
from graphrl.training import checkpoints
from graphrl.training import cli
from graphrl.training import episode_log
from graphrl.training import evaluation
from graphrl.training import place_codec
from graphrl.training import progress
from graphrl.training import signals
from graphrl.training import summaries

# The periodic work of a run, each every `<name>_every` env steps.
_PERIODIC = ('eval', 'checkpoint', 'summary')


@dataclasses.dataclass(frozen=True)
class LoopConfig:
  """The settings every loop shares, in env steps (summed over a batch).

  Each loop's config subclasses it with its own settings and defaults.
  """
  num_steps: int = 50000
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
  seed: int = 0


class Run:
  """A training run of `agent`, recorded in `logdir`."""

  def __init__(self, agent, eval_env, logdir, config, metadata,
               game_scores=None, cluster=None):
    """Builds the run's variables in the agent's (default) graph.

    Build the loop first: `train` checkpoints every variable of the graph.

    Args:
      agent: a `graphrl.agents.agent.Agent`.
      eval_env: a batched `PyEnvironment` of `config.eval_episodes` members.
      logdir: directory of the run's records and checkpoints.
      config: a `LoopConfig` (or a loop's subclass of it).
      metadata: JSON-able dict stored with the checkpoints; its 'agent' and
        'env' must match those of an existing run in `logdir`.
      game_scores: for training episodes that are not whole games (an ALE
        game's lives), a function returning the raw scores of the games
        finished since its last call (`graphrl.envs.pop_game_scores`),
        logged to games.csv and TensorBoard; else None.
      cluster: for the chief task of a cluster, its hooks
        (`graphrl.distributed.chief.Chief`): the session's `target` and
        `session_config(threads)`, `start(sess)` after the restore,
        `reports(sess, final)`, the other tasks' finished episodes (dicts
        of `end_episode`'s arguments) to record (at most every second,
        all that are queued when `final`), `extras`, the columns of the
        chief's own episodes, and `finish(sess)` when the run ends,
        however it ends; else None.
    """
    self.agent = agent
    self.config = config
    self.scalar_names = sorted(agent.scalars)
    self._eval_env = eval_env
    self._logdir = logdir
    self._game_scores = game_scores
    self._cluster = cluster
    with tf.variable_scope('loop'):
      self._episodes = tf.Variable(0, dtype=tf.int64, trainable=False,
                                   name='episodes')
      self._episodes_value = tf.placeholder(tf.int64, [])
      self._set_episodes = self._episodes.assign(self._episodes_value)
      # The encoded Python place (`place_codec`), b'' for none.
      self._place = resumable.variable(b'', 'place', tf.string)
      self._place_value = tf.placeholder(tf.string, [])
      self._set_place = self._place.assign(self._place_value)
    self._metadata = metadata
    # Set by `train`.
    self.sess = self.steps = self.episodes = self._checkpoints = None
    self.place = self._loop = self._summary_due = None

  def train(self, loop):
    """Trains with `loop` to `config.num_steps` env steps, resuming from
    `logdir`.

    Args:
      loop: has `iterate(run)` and `place()` (see the module docstring).

    Returns:
      A JSON-able summary: steps, episodes, wall time, the last greedy
      evaluation and why the run stopped (`_finish`).

    Raises:
      graphrl.training.cli.UserError: unusable checkpoints in `logdir`, a
        non-finite loss or a checkpoint that cannot be written (training
        stops; the records are left as of the last checkpoint).
    """
    self._loop = loop
    self._checkpoints = checkpoints.CheckpointManager(
        self._logdir, tf.train.Saver(resumable.weights(), max_to_keep=None),
        self._metadata, keep=self.config.keep_checkpoints,
        must_match=('agent', 'env'),
        place_saver=tf.train.Saver(resumable.variables(), max_to_keep=None))
    cluster = self._cluster
    if cluster is None:
      target, config = '', session_config(self.config.threads)
    else:
      target, config = cluster.target, cluster.session_config(
          self.config.threads)
    with tf.Session(target, config=config) as sess:
      self.sess = sess
      sess.run(tf.global_variables_initializer())
      restored = self._checkpoints.restore(sess)
      if restored is None:
        sess.run(self.agent.sync_target)
      else:
        self.place, fresh = self._restore_place(restored)
      if cluster is not None:
        cluster.start(sess)
      steps, episodes = sess.run([self.agent.env_steps, self._episodes])
      self.steps, self.episodes = int(steps), int(episodes)
      os.makedirs(self._logdir, exist_ok=True)
      step_log = functools.partial(episode_log.StepLog, self._logdir)
      with episode_log.EpisodeLog(self._logdir) as self._log, \
          step_log(episode_log.EVALUATIONS_FILENAME) as self._evals, \
          step_log(episode_log.GAMES_FILENAME) as self._games, \
          summaries.ScalarWriter(self._logdir, restored) as self._writer, \
          signals.StopRequest() as self._stop:
        records = (self._log, self._evals, self._games)
        for record in records:
          record.truncate_after(self.steps)  # Rows a killed run logged later.
        if restored is not None:
          print('Resuming from the checkpoint of step %d.' % self.steps,
                flush=True)
          if self.place is None:
            _say_afresh(fresh)
        self._start()
        try:
          loop.iterate(self)
          return self._finish()
        except cli.UserError:
          self._roll_back(restored, records)
          raise
        finally:
          if cluster is not None:
            cluster.finish(sess)

  def running(self):
    """Whether the loop goes on: steps left, no stop request, not solved."""
    return (self.steps < self.config.num_steps and
            not self._stop.requested and not self._reached)

  def end_episode(self, step, episode_return, length, **extras):
    """Records a training episode that ended at env step `step` in
    episodes.csv (with `extras` columns, e.g. env=member), TensorBoard and
    the progress line."""
    self.episodes += 1
    if self._cluster is not None:
      extras = dict(self._cluster.extras, **extras)
    self._log.append(step, self.episodes, episode_return, length,
                     train_s=round(self._train_seconds(), 4), **extras)
    self._writer.scalars({'episode/return': episode_return,
                          'episode/length': length}, step)
    self._meter.update(step, episode_return)

  def check_loss(self, loss, step):
    """Stops the run with a user error when the loss is not finite."""
    if not math.isfinite(loss):
      raise cli.UserError(
          'the loss became %s at step %d; stopped without saving, the last '
          'good checkpoint is step %s' % (
              loss, step, (self._checkpoints.steps() or ['none'])[-1]))

  def train_fetches(self, op, loss, scalars):
    """[op, loss, *scalars]: what a loop fetches for a train step, the
    scalars in the order `summarize` reads them."""
    return [op, loss] + [scalars[name] for name in self.scalar_names]

  def summarize(self, values, step):
    """Writes a train step's values [loss, *scalars] (`scalar_names`) to
    TensorBoard, if a summary is due at `step`."""
    if not self._due('summary', step):
      return
    scalars = dict(zip(self.scalar_names, values[1:]))
    scalars['train/loss'] = values[0]
    scalars['speed/steps_per_sec'] = (
        (step - self._start_steps) / max(time.time() - self._start_time,
                                         1e-9))
    self._writer.scalars(scalars, step)

  def after_step(self, step, drain=None):
    """Ends an iteration at env step `step`: logs finished games, evaluates
    and checkpoints when due (first calling `drain`, if given, so that due
    train steps are done) and updates the progress line."""
    self.steps = step
    self._record_reports()
    if self._game_scores is not None:
      for score in self._game_scores():
        self._games.append(step, score=score)
        self._writer.scalars({'episode/game_score': score}, step)
    if drain is not None and any(
        step >= self._due_at[name] for name in ('eval', 'checkpoint')):
      drain()
    if self._due('eval', step):
      self._evaluate(step)
    if self._due('checkpoint', step):
      self._save(step)
    self._meter.update(step)

  def saves_state_of(self, env):
    """Whether the state of the loop's Python environment `env` can be
    saved in checkpoints; says why not, if not."""
    try:
      env.get_state()
    except envs.StateNotSavableError as error:
      print('Note: %s A resumed run will start its environments afresh.'
            % _sentence(error), flush=True)
      return False
    return True

  def restored_env(self, env):
    """Whether the loop's Python environment `env` goes on where the
    checkpoint left it: restores the state of `run.place['env']` into it.
    False, saying why, for a run without a place or a state that does not
    fit `env` (e.g. after --allow_changed_settings)."""
    if self.place is None:
      return False
    try:
      env.set_state(self.place['env'])
    except ValueError as error:
      _say_afresh(error)
      self.place = None
      return False
    return True

  def next_due(self):
    """The env step at which the next evaluation or checkpoint is due, or a
    summary after the current step (one already due waits for a train
    step)."""
    return min(at for name, at in self._due_at.items()
               if name != 'summary' or at > self.steps)

  def _start(self):
    """Starts this process's clocks, schedules and progress line."""
    c = self.config
    self._start_steps, self._start_time = self.steps, time.time()
    self._eval_s = 0.0
    self._due_at = {name: _next_multiple(self.steps,
                                         getattr(c, name + '_every'))
                    for name in _PERIODIC}
    if self._summary_due is not None:
      self._due_at['summary'] = self._summary_due
    self._last_eval, self._reached = None, False
    self._meter = progress.Progress(c.num_steps, interval_s=c.progress_every_s,
                                    start_step=self.steps)

  def _record_reports(self, final=False):
    """Records the episodes a cluster's other tasks finished."""
    if self._cluster is not None:
      for row in self._cluster.reports(self.sess, final):
        self.end_episode(**row)

  def _due(self, name, step):
    """Whether the periodic `name` of `_PERIODIC` is due at `step`."""
    if step < self._due_at[name]:
      return False
    self._due_at[name] = _next_multiple(
        step, getattr(self.config, name + '_every'))
    return True

  def _roll_back(self, restored, records):
    """Leaves the step logs as of the last checkpoint, for a run stopped by
    a user error (e.g. a non-finite loss); one that saved no checkpoint
    since `restored` also deletes its event file, leaving the logdir of an
    existing run as it found it."""
    steps = self._checkpoints.steps()
    last = steps[-1] if steps else None
    for record in records:
      record.truncate_after(last or 0)
    if last == restored:
      self._writer.discard()

  def _finish(self):
    """Evaluates (unless just done), saves, says in words how the run ended
    and returns its summary.

    The summary's `stop_reason` is 'solved' (a greedy evaluation reached
    `stop_eval_return`, the final one included), 'signal' (SIGTERM or
    SIGINT) or 'num_steps'; `stopped_early` and `reached_stop_eval_return`
    are derived from it.
    """
    self._record_reports(final=True)
    steps, stop = self.steps, self._stop
    if stop.requested:
      print('Stop requested: saving the checkpoint of step %d.' % steps,
            flush=True)
    elif not self._reached and (self._last_eval is None or
                                self._last_eval['step'] != steps):
      self._evaluate(steps)
    self._save(steps)
    self._meter.close()
    reason = ('solved' if self._reached else
              'signal' if stop.requested else 'num_steps')
    print(self._ending(reason, steps, stop.signal_name), flush=True)
    return {
        'steps': steps,
        'episodes': self.episodes,
        'wall_s': round(time.time() - self._start_time, 3),
        'eval_s': round(self._eval_s, 3),
        'stop_reason': reason,
        'stopped_early': reason != 'num_steps',
        'eval': self._last_eval,
        'reached_stop_eval_return': reason == 'solved',
    }

  def _ending(self, reason, steps, signal_name):
    """The line saying how the run ended, its checkpoint and what next."""
    c, last = self.config, self._last_eval
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

  def _evaluate(self, step):
    """Greedy episodes, one per member of the evaluation environment: sets
    the last evaluation and whether it reached `stop_eval_return`."""
    agent, sess = self.agent, self.sess

    def policy(observ):
      return sess.run(agent.greedy_action, {agent.observ: observ})

    train_s = self._train_seconds()
    started = time.time()
    if agent.acts_with_state:
      sess.run(agent.eval_reset)
    returns, lengths = evaluation.run_episodes(self._eval_env, policy)
    self._eval_s += time.time() - started
    result = dict(step=step, train_s=round(train_s, 4),
                  **evaluation.summarize(returns, lengths))
    self._writer.scalars({'eval/mean_return': result['mean_return'],
                          'eval/min_return': result['min_return']}, step)
    self._evals.append(**result)
    print('Greedy evaluation at step %d: mean return %.1f over %d episodes '
          '(min %.1f, max %.1f).' % (
              step, result['mean_return'], result['episodes'],
              result['min_return'], result['max_return']), flush=True)
    target = self.config.stop_eval_return
    self._last_eval = result
    self._reached = target is not None and result['mean_return'] >= target

  def _restore_place(self, step):
    """Restores the place of the checkpoint of `step`, for a checkpoint of
    this loop.

    Returns:
      (the loop's place, None), or (None, why not).
    """
    loop = type(self._loop).__name__
    if not self._checkpoints.restore_place(self.sess, step):
      return None, 'the checkpoint holds no place of the %s' % loop
    data = self.sess.run(self._place)
    if not data:
      return None, "the run's environments could not be saved"
    saved = place_codec.decode(data)
    if saved['loop'] != loop:
      return None, 'the checkpoint is one of the %s' % saved['loop']
    if saved['eval_env'] is not None:
      try:
        self._eval_env.set_state(saved['eval_env'])
      except ValueError:
        pass  # Other evaluation settings: it starts afresh, as it may.
    # A summary due before the checkpoint may wait for a train step after.
    self._summary_due = saved['summary_due']
    return saved['place'], None

  def _encoded_place(self):
    """The loop's and the evaluation environment's place, in bytes."""
    place = self._loop.place()
    if place is None:
      return b''
    try:
      eval_env = self._eval_env.get_state()
    except envs.StateNotSavableError:
      eval_env = None
    return place_codec.encode({'loop': type(self._loop).__name__,
                               'eval_env': eval_env, 'place': place,
                               'summary_due': self._due_at['summary']})

  def _save(self, step):
    """Checkpoints the run, ranked by the evaluation of `step` if any."""
    self.sess.run([self._set_episodes, self._set_place],
                  {self._episodes_value: self.episodes,
                   self._place_value: self._encoded_place()})
    evaluated = self._last_eval is not None and self._last_eval['step'] == step
    self._checkpoints.save(
        self.sess, step,
        score=self._last_eval['mean_return'] if evaluated else None)
    self._writer.flush()


def _sentence(error):
  """The message of `error`, ending in one full stop."""
  return str(error).rstrip('.') + '.'


def _say_afresh(why):
  print('The environments start afresh: %s' % _sentence(why), flush=True)


def _next_multiple(step, every):
  """The first multiple of `every` after `step` (never, for every <= 0)."""
  if every <= 0:
    return float('inf')
  return (step // every + 1) * every
