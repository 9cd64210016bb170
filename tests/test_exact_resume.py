"""A run killed and resumed is the uninterrupted run, bit for bit.

For DQN, A2C and DDPG in the Python loop and in the graph loop, A2C with
the GRU torso and DQN on Pong, a short seeded run is trained once without interruption and once killed (SIGKILL at
a random moment after its first checkpoint, or SIGTERM, which saves where
it stops) and rerun to the end. The second run's training episodes,
greedy evaluations, TensorBoard losses and final checkpoint (weights,
optimizer, replay and place) must equal the first's exactly: the
checkpoint holds the counters of the random draws, the environments'
state and the running episodes (`graphrl.training.run`).
"""

import os
import random
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from graphrl.compat import tf
from graphrl.training import checkpoints
from graphrl.training import episode_log

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_COMMON = ('--seed=3', '--eval_episodes=3', '--progress_every_s=1000000',
           '--summary_every=100', '--keep_checkpoints=100')
_CARTPOLE = ('--env=CartPole-v1',)
_PENDULUM = ('--env=Pendulum-v1', '--agent=ddpg', '--num_steps=1000',
             '--learning_starts=200', '--eval_every=500',
             '--checkpoint_every=250')
CASES = {
    'dqn@python': ('--agent=dqn', '--loop=python', '--num_steps=1500',
                   '--learning_starts=200', '--eval_every=500',
                   '--checkpoint_every=300') + _CARTPOLE,
    'dqn@graph': ('--agent=dqn', '--loop=graph', '--num_steps=3000',
                  '--learning_starts=200', '--eval_every=1000',
                  '--checkpoint_every=300', '--steps_per_run=100')
                 + _CARTPOLE,
    'a2c@python': ('--agent=a2c', '--loop=python', '--num_steps=3000',
                   '--eval_every=1000', '--checkpoint_every=500')
                  + _CARTPOLE,
    'a2c@graph': ('--agent=a2c', '--loop=graph', '--num_steps=6000',
                  '--eval_every=2000', '--checkpoint_every=500',
                  '--steps_per_run=100') + _CARTPOLE,
    'a2c_gru@python': ('--agent=a2c', '--torso=gru', '--loop=python',
                       '--env=MaskedCartPole-v1', '--num_steps=2000',
                       '--eval_every=1000', '--checkpoint_every=400'),
    'ddpg@python': ('--loop=python',) + _PENDULUM,
    # The ALE's emulator state, the frame stack and the frame replay.
    'dqn_pong@python': (
        '--flagfile=flags/dqn_pong.flags', '--nolearner_thread',
        '--replay_capacity=400', '--learning_starts=100',
        '--epsilon_steps=200', '--num_steps=500', '--max_episode_steps=300',
        '--threads=1', '--checkpoint_every=120', '--eval_every=250',
        '--eval_episodes=1'),
    'ddpg@graph': ('--loop=graph', '--steps_per_run=50') + _PENDULUM,
}


def _command(flags, logdir):
  return [sys.executable, '-m', 'graphrl.train', '--logdir=' + logdir
          ] + list(_COMMON) + list(flags)


def _train(flags, logdir):
  subprocess.run(_command(flags, logdir), cwd=ROOT, check=True, timeout=600,
                 stdout=subprocess.DEVNULL)


def _interrupt(flags, logdir, number, rng):
  """Starts the run and sends it signal `number` at a random moment after
  one of its first three checkpoints; returns the steps of its checkpoints
  then."""
  process = subprocess.Popen(_command(flags, logdir), cwd=ROOT,
                             stdout=subprocess.DEVNULL)
  try:
    deadline, after, seen = time.time() + 300, rng.randint(1, 3), set()
    while len(seen) < after:  # Old checkpoints may be deleted meanwhile.
      assert process.poll() is None, 'the run ended before its checkpoint'
      assert time.time() < deadline
      time.sleep(0.005)
      seen.update(checkpoints.committed_steps(logdir))
    time.sleep(rng.uniform(0.0, 0.05))
    process.send_signal(number)
    process.wait(timeout=300)
  finally:
    if process.poll() is None:
      process.kill()
  return checkpoints.committed_steps(logdir)


def _losses(logdir):
  """{step: value} of the train/loss scalars, the later files winning."""
  losses = {}
  for name in sorted(os.listdir(logdir), key=lambda name: os.path.getmtime(
      os.path.join(logdir, name))):
    if not name.startswith('events.out.tfevents.'):
      continue
    for event in tf.train.summary_iterator(os.path.join(logdir, name)):
      for value in event.summary.value:
        if value.tag == 'train/loss':
          losses[event.step] = value.simple_value
  return losses


def _records(logdir):
  """The episodes' and evaluations' rows without their clock columns."""
  def without_clock(rows):
    return [{key: value for key, value in row.items()
             if key not in ('train_s', 'wall_time')} for row in rows]
  return (without_clock(episode_log.read_episodes(logdir)),
          without_clock(episode_log.read_rows(os.path.join(
              logdir, episode_log.EVALUATIONS_FILENAME))))


def _final_checkpoint(logdir):
  """{bundle/variable name: value} of the last checkpoint's bundles."""
  step = checkpoints.committed_steps(logdir)[-1]
  directory = os.path.join(logdir, checkpoints.CHECKPOINT_DIR, 'ckpt-%d' % step)
  values = {}
  for bundle in ('ckpt', 'place'):
    reader = tf.train.load_checkpoint(os.path.join(directory, bundle))
    for name in reader.get_variable_to_shape_map():
      values[bundle + '/' + name] = reader.get_tensor(name)
  return step, values


def _assert_same_run(expected, resumed):
  assert _records(resumed) == _records(expected)
  losses = _losses(expected)
  assert len(losses) > 3, 'a run of too few train steps tests little'
  assert _losses(resumed) == losses
  (step, want), (got_step, got) = (_final_checkpoint(expected),
                                   _final_checkpoint(resumed))
  assert got_step == step
  assert sorted(got) == sorted(want)
  differ = [name for name in want
            if not np.array_equal(got[name], want[name])]
  assert not differ, differ


@pytest.mark.parametrize('name', sorted(CASES))
def test_a_killed_run_resumes_as_if_never_stopped(tmp_path, name):
  flags = CASES[name]
  expected, resumed = str(tmp_path / 'expected'), str(tmp_path / 'resumed')
  _train(flags, expected)
  rng = random.Random(name)
  kept = _interrupt(flags, resumed, signal.SIGKILL, rng)
  final = checkpoints.committed_steps(expected)[-1]
  assert kept and kept[-1] < final, 'killed after the end: %s' % kept
  _train(flags, resumed)
  _assert_same_run(expected, resumed)


def test_a_run_stopped_mid_episode_resumes_as_if_never_stopped(tmp_path):
  flags = CASES['dqn@python']
  expected, resumed = str(tmp_path / 'expected'), str(tmp_path / 'resumed')
  _train(flags, expected)
  kept = _interrupt(flags, resumed, signal.SIGTERM, random.Random(1))
  assert kept[-1] % 300, 'SIGTERM saves where it stops, not at a multiple'
  _train(flags, resumed)
  _assert_same_run(expected, resumed)


if __name__ == '__main__':
  sys.exit(pytest.main([__file__]))
