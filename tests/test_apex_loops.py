"""Tests of Ape-X's loops: a learner and an actor on CartPole-v1, each in
its own graph and session on an in-process cluster, with stand-in runs;
and their settings."""

import dataclasses
import math
import threading
import time

import numpy as np
import pytest

import apex_testing
import toy_envs
from graphrl import envs
from graphrl.agents import apex_actor
from graphrl.agents import dqn
from graphrl.compat import tf
from graphrl.distributed import apex_learner
from graphrl.distributed import apex_actor_loop
from graphrl.distributed.apex_settings import ApexConfig
from graphrl.distributed.transition_queue import TransitionQueue
from graphrl.training import cli
from graphrl.training.learner_thread import due_train_steps
from graphrl.training.step_callable import StepCallable

STEPS = 3000
SETTINGS = ApexConfig(num_steps=STEPS, learning_starts=300, train_every=4,
                      refresh_every=100, push_every=25, queue_capacity=4)
CONFIG = dqn.DQNConfig(hidden_sizes=(32,), batch_size=32, n_step=3,
                       replay='prioritized', replay_capacity=4000)


class StandInRun:
  """The part of `graphrl.training.run.Run` (or a worker's run) that the
  loops read, recording what they report."""

  def __init__(self, sess, scalar_names, running, task_index=0):
    self.sess, self.steps = sess, 0
    self.task_index = task_index
    self.scalar_names = sorted(scalar_names)
    self._running = running
    self.episodes, self.summaries, self.losses = [], [], []

  def running(self):
    return self._running(self)

  def end_episode(self, step, episode_return, length, **extras):
    self.episodes.append((step, episode_return, length, extras))

  def after_step(self, step, drain=None):
    del drain  # No learner thread.
    assert step >= self.steps
    self.steps = step

  def check_loss(self, loss, step):
    assert math.isfinite(loss), step
    self.losses.append(loss)

  def summarize(self, values, step):
    self.summaries.append((step, values))

  def train_fetches(self, op, loss, scalars):
    return [op, loss] + [scalars[name] for name in self.scalar_names]


def _learner(server, env, settings=SETTINGS, config=CONFIG, num_actors=1):
  graph = tf.Graph()
  with graph.as_default(), tf.device(apex_testing.LEARNER):
    tf.set_random_seed(0)
    agent = dqn.DQNAgent(env.observation_spec(), env.action_spec(),
                         apex_learner.learner_config(config, num_actors))
    queue = TransitionQueue(env.observation_spec(),
                            settings.queue_transitions, apex_testing.LEARNER)
    loop = apex_learner.ApexLearnerLoop(agent, queue, settings)
    with tf.variable_scope('dqn', reuse=True):
      q = dqn.q_network(agent.config, 2, agent.observ, 'q')
    init = tf.global_variables_initializer()
  sess = apex_testing.session(server, graph)
  sess.run(init)
  sess.run(agent.sync_target)
  return sess, agent, loop, q


def _actor(server, env, index, count, settings=SETTINGS, config=CONFIG):
  graph = tf.Graph()
  with graph.as_default():
    tf.set_random_seed(1 + index)
    actor = apex_actor.ApexActor(
        env.observation_spec(), env.action_spec(), config,
        apex_actor.actor_epsilon(index, count),
        apex_testing.actor_device(index), apex_testing.LEARNER)
    queue = TransitionQueue(env.observation_spec(),
                            settings.queue_transitions, apex_testing.LEARNER)
    loop = apex_actor_loop.ApexActorLoop(actor, queue, env, settings, index)
    init = tf.global_variables_initializer()
  sess = apex_testing.session(server, graph)
  sess.run(init)
  return sess, actor, loop


def _start(errors, function, *args):
  thread = threading.Thread(target=_recording(errors, function), args=args)
  thread.start()
  return thread


@pytest.mark.parametrize('count', [1, 2])
def test_actors_feed_a_learner_that_trains_at_the_due_ratio(count):
  learner_server, actor_servers = apex_testing.start_cluster(count)
  env = envs.make('CartPole-v1', seed=0)
  sess, agent, learner_loop, learner_q = _learner(learner_server, env)
  actors = [_actor(server, envs.make('CartPole-v1', seed=i), i, count)
            for i, server in enumerate(actor_servers)]
  observ = np.array(
      [env.reset().observation for _ in range(5)], np.float32)
  initial = sess.run(learner_q, {agent.observ: observ})
  learner_run = StandInRun(sess, agent.scalars,
                           lambda run: run.steps < STEPS)
  errors = []
  learner = _start(errors, learner_loop.iterate, learner_run)
  actor_runs = [StandInRun(actor_sess, (), lambda run: learner.is_alive(), i)
                for i, (actor_sess, _, _) in enumerate(actors)]
  threads = [_start(errors, loop.iterate, run)
             for (_, _, loop), run in zip(actors, actor_runs)]
  for thread in [learner] + threads:
    thread.join()
  assert not errors
  received, train_steps = sess.run([agent.env_steps, agent.train_steps])
  # Whole pushes of 25 arrive; the actors have stepped at least as far.
  assert STEPS <= received == learner_run.steps <= sum(
      run.steps for run in actor_runs)
  assert received % SETTINGS.push_every == 0
  assert train_steps == due_train_steps(received, 300, 4) > 400
  assert len(learner_run.losses) == train_steps
  assert learner_run.summaries[-1][0] == received
  with sess.graph.as_default():
    size, priorities = sess.run([agent.buffer.size(),
                                 agent.buffer.priorities()])
  assert size == received
  assert len(np.unique(priorities)) > size // 2  # Not the default 1s.
  for index, run in enumerate(actor_runs):
    assert run.steps >= SETTINGS.push_every and run.episodes
    assert all(extras == {'task': index} for *_, extras in run.episodes)
    assert sum(length for _, _, length, _ in run.episodes) <= run.steps
  learned = sess.run(learner_q, {agent.observ: observ})
  for actor_sess, actor, _ in actors:
    feed = {actor.observ: observ}
    # Refreshed during the run, with trained weights.
    assert not np.allclose(actor_sess.run(actor.q_values, feed), initial)
    actor_sess.run(actor.refresh)
    np.testing.assert_array_equal(actor_sess.run(actor.q_values, feed),
                                  learned)
    assert actor_sess.run(actor.learner_env_steps) == received


def _recording(errors, function):
  """`function`, appending what it raises to `errors` (for a thread)."""
  def recorded(*args):
    try:
      function(*args)
    except Exception as error:  # pylint: disable=broad-except
      errors.append(error)
      raise
  return recorded


def test_an_actor_waits_on_a_full_queue_until_the_run_ends(monkeypatch):
  monkeypatch.setattr(apex_actor_loop, 'PUSH_TIMEOUT_MS', 100)
  learner_server, (actor_server,) = apex_testing.start_cluster(1)
  env = envs.make('CartPole-v1', seed=0)
  sess, _, _, _ = _learner(learner_server, env)  # It does not drain.
  actor_sess, _, loop = _actor(actor_server, env, 0, 1)
  deadline = time.monotonic() + 1.0
  run = StandInRun(actor_sess, (), lambda _: time.monotonic() < deadline)
  calls = []
  after_step = run.after_step
  run.after_step = lambda step: calls.append(step) or after_step(step)
  loop.iterate(run)
  with sess.graph.as_default():
    size = TransitionQueue(env.observation_spec(), SETTINGS.queue_transitions,
                           apex_testing.LEARNER).size()
  assert sess.run(size) == SETTINGS.queue_transitions  # Full: 4 pushes.
  assert run.steps < 200 and calls.count(run.steps) > 3  # Timeouts.


class _SlowTraining(StepCallable):
  """A `StepCallable` whose train steps (fetches beyond one op) take
  another 5 ms: a learner slower than its actor."""

  def __init__(self, session, fetches, feeds):
    super().__init__(session, fetches, feeds)
    self._trains = len(fetches) > 1

  def __call__(self, *feeds):
    if self._trains:
      time.sleep(0.005)
    return super().__call__(*feeds)


def test_a_slow_learner_holds_its_actor_to_the_replay_ratio(monkeypatch):
  monkeypatch.setattr(apex_learner, 'StepCallable', _SlowTraining)
  # A drained queue brings 250 train steps, more than a burst takes.
  settings = dataclasses.replace(SETTINGS, num_steps=1500, learning_starts=100,
                                 train_every=2, queue_capacity=20)
  learner_server, (actor_server,) = apex_testing.start_cluster(1)
  env = envs.make('CartPole-v1', seed=0)
  sess, agent, learner_loop, _ = _learner(learner_server, env, settings)
  actor_sess, _, actor_loop = _actor(actor_server, env, 0, 1, settings)
  learner_run = StandInRun(sess, agent.scalars, lambda run: run.steps < 1500)
  errors = []
  learner = _start(errors, learner_loop.iterate, learner_run)
  actor_run = StandInRun(actor_sess, (), lambda _: learner.is_alive())
  actor = _start(errors, actor_loop.iterate, actor_run)
  learner.join()
  actor.join()
  assert not errors
  received, train_steps = sess.run([agent.env_steps, agent.train_steps])
  # Every transition counted was trained on at the ratio, and the actor,
  # ~5x faster alone, got no further ahead than the queue, one push being
  # assembled and one waiting, and the n - 1 steps of its assembler.
  assert train_steps == due_train_steps(received, 100, 2) >= 700
  assert learner_run.steps == received
  assert actor_run.steps <= received + settings.queue_transitions + (
      2 * settings.push_every + CONFIG.n_step - 1)


def test_the_learner_needs_prioritized_replay():
  for replay in ('uniform', 'frames'):
    with pytest.raises(cli.UserError, match='--replay=%s' % replay):
      apex_learner.learner_config(dqn.DQNConfig(replay=replay), 2)
  assert apex_learner.learner_config(CONFIG, 3) == dataclasses.replace(
      CONFIG, n_step=1)
  frames = dataclasses.replace(CONFIG, replay='prioritized_frames',
                               replay_capacity=1000)
  # One stream per actor; the frame replay rebuilds the n-step returns.
  assert apex_learner.learner_config(frames, 3) == dataclasses.replace(
      frames, num_envs=3, replay_capacity=999)


@pytest.mark.parametrize('field, value', [
    ('refresh_every', 0), ('push_every', 2.5), ('queue_capacity', -1),
    ('train_every', 0), ('epsilon_base', 0.0), ('epsilon_alpha', -1.0),
    ('learner_thread', True)])
def test_settings_name_the_bad_field(field, value):
  with pytest.raises(ValueError, match=field):
    ApexConfig(**{field: value}).validate()
  ApexConfig().validate()


FRAME_STEPS = 600
FRAME_SETTINGS = ApexConfig(num_steps=FRAME_STEPS, learning_starts=100,
                            train_every=4, refresh_every=50, push_every=10,
                            queue_capacity=2)
FRAME_CONFIG = dqn.DQNConfig(network='a3c', batch_size=16, n_step=3,
                             gamma=0.9, replay='prioritized_frames',
                             replay_capacity=2001)


def test_actors_fill_their_own_streams_of_a_frame_replay():
  """Two actors push one-step transitions of stacked frames; the learner's
  frame replay keeps one chain per actor and rebuilds the actors' n-step
  transitions exactly."""
  learner_server, actor_servers = apex_testing.start_cluster(2)
  env = toy_envs.FrameCorridor()
  sess, agent, learner_loop, _ = _learner(learner_server, env, FRAME_SETTINGS,
                                          FRAME_CONFIG, 2)
  assert agent.buffer.capacity == 2000 and agent.buffer.num_streams == 2
  with sess.graph.as_default(), tf.device(apex_testing.LEARNER):
    before = set(tf.global_variables())
    sample = agent.buffer.sample(256)
    size, steps = agent.buffer.size(), agent.buffer._steps  # pylint: disable=protected-access
    sess.run(tf.variables_initializer(
        [v for v in tf.global_variables() if v not in before]))
  learner_run = StandInRun(sess, agent.scalars,
                           lambda run: run.steps < FRAME_STEPS)
  errors = []
  learner = _start(errors, learner_loop.iterate, learner_run)
  sent = [[], []]  # Per actor: the (one-step, n-step) pairs it pushed.
  threads, actor_runs = [], []
  for index, server in enumerate(actor_servers):
    actor_sess, actor, loop = _actor(server, toy_envs.FrameCorridor(), index,
                                     2, FRAME_SETTINGS, FRAME_CONFIG)
    assert actor.sends_steps
    send = loop._send  # pylint: disable=protected-access
    loop._send = (lambda run, pairs, step, send=send, log=sent[index]:  # pylint: disable=protected-access
                  log.extend(pairs) or send(run, pairs, step))
    actor_runs.append(StandInRun(actor_sess, (), lambda _: learner.is_alive(),
                                 index))
    threads.append(_start(errors, loop.iterate, actor_runs[-1]))
  for thread in [learner] + threads:
    thread.join()
  assert not errors
  received, train_steps = sess.run([agent.env_steps, agent.train_steps])
  assert train_steps == due_train_steps(received, 100, 4)
  per_stream = sess.run(steps)
  # Each actor's transitions went to its own stream, all of them stored
  # (the pushes that reached the queue: the last may have been dropped).
  assert sess.run(size) == received == per_stream.sum()
  for index in range(2):
    assert per_stream[index] in (len(sent[index]),
                                 len(sent[index]) - FRAME_SETTINGS.push_every)
    assert per_stream[index] >= FRAME_SETTINGS.push_every
  # A sampled transition that is whole (n steps, d = gamma^(n-1)) or
  # terminal is one an actor assembled, rebuilt from its stream's frames
  # (but a terminal s', which the replay does not store: d = 0 masks it).
  assembled = {_key(n_step) for log in sent for _, n_step in log}
  checked = 0
  for _ in range(4):
    observ, action, reward, next_observ, discount = sess.run(sample)
    for transition in zip(observ, action, reward, next_observ, discount):
      if transition[4] in (0., np.float32(0.9 ** 2)):
        assert _key(transition) in assembled
        checked += 1
  assert checked > 900


def _key(transition):
  observ, action, reward, next_observ, discount = transition
  return (observ.tobytes(), int(action), round(float(reward), 5),
          next_observ.tobytes() if discount else None,
          round(float(discount), 5))
