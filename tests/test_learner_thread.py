"""Tests for graphrl.training.learner_thread: the serial loop's cadence,
the bounded lag, draining and errors, on a fake train function."""

import threading

import pytest

from graphrl.training import learner_thread


@pytest.mark.parametrize('learning_starts, train_every, due', [
    # The serial loop trains at steps s >= max(1, learning_starts) with
    # s mod E = 0, after storing transition s.
    (0, 1, {0: 0, 1: 1, 5: 5}),
    (3, 2, {3: 0, 4: 1, 5: 1, 6: 2, 10: 4}),     # s = 4, 6, 8, 10
    (4, 4, {3: 0, 4: 1, 7: 1, 8: 2, 100: 25}),   # s = 4, 8, ...
    (10, 4, {11: 0, 12: 1, 15: 1, 16: 2}),       # s = 12, 16, ...
])
def test_due_train_steps_follow_the_serial_loop(learning_starts, train_every,
                                                due):
  for stored, count in due.items():
    assert learner_thread.due_train_steps(
        stored, learning_starts, train_every) == count
  # Against the serial loop's rule, step by step.
  count = 0
  for stored in range(1, 60):
    count += stored >= learning_starts and stored % train_every == 0
    assert learner_thread.due_train_steps(
        stored, learning_starts, train_every) == count


def test_train_steps_are_taken_once_each_with_their_env_step():
  steps = []
  learner = learner_thread.LearnerThread(
      lambda step: steps.append(step) or [float(step)], learning_starts=3,
      train_every=2)
  for stored in range(1, 12):
    learner.stored(stored)
  learner.drain()
  learner.stop()
  assert steps == [4, 6, 8, 10]
  assert learner.latest == [10.0]


def test_acting_waits_while_more_than_max_lag_steps_are_due():
  release = threading.Event()
  started = threading.Event()

  def train(step):
    started.set()
    release.wait(10)
    return [step]

  learner = learner_thread.LearnerThread(train, learning_starts=1,
                                         train_every=1, max_lag=1)
  learner.stored(1)  # One due step in flight: no wait.
  assert started.wait(10)
  blocked = threading.Thread(target=learner.stored, args=(2,))
  blocked.start()
  blocked.join(0.2)
  assert blocked.is_alive()  # Two due, none done: waits.
  release.set()
  blocked.join(10)
  assert not blocked.is_alive()
  learner.drain()
  learner.stop()
  assert learner.latest == [2]


def test_an_error_in_the_thread_reaches_the_acting_thread():
  def train(step):
    raise ValueError('loss is nan at %d' % step)

  learner = learner_thread.LearnerThread(train, learning_starts=0,
                                         train_every=1)
  with pytest.raises(ValueError, match='loss is nan at 1'):
    learner.stored(1)
    learner.drain()
  learner.stop()


def test_stop_ends_an_idle_thread():
  learner = learner_thread.LearnerThread(lambda step: [step], 10, 4)
  learner.stored(5)  # Nothing due yet.
  learner.stop()
  assert learner.latest is None


def test_a_resumed_run_takes_the_steps_due_after_its_start():
  # Resumed at env step 6 (train steps 4 and 6 taken, as far as the serial
  # loop's count goes); its first step stores nothing, so the next are the
  # steps of 8 and 10.
  steps = []
  learner = learner_thread.LearnerThread(
      lambda step: steps.append(step) or [step], learning_starts=3,
      train_every=2, start=6)
  for stored in range(7, 12):
    learner.stored(stored)
  learner.drain()
  learner.stop()
  assert steps == [8, 10]
