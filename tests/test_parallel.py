"""Tests for graphrl.envs.parallel (2 spawned workers each, ~1 s per start)."""

import functools
import gc
import multiprocessing
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from graphrl.envs import batched
from graphrl.envs import gym_suite
from graphrl.envs import parallel
from graphrl.envs import py_environment
from graphrl.envs import specs
from graphrl.envs import time_step as ts


class Failing(py_environment.PyEnvironment):
  """Raises in `_step` number `fail_at`, or sleeps `sleep_s` in each step."""

  def __init__(self, fail_at=None, sleep_s=0.):
    self._fail_at = fail_at
    self._sleep_s = sleep_s
    self._t = 0

  def observation_spec(self):
    return specs.ArraySpec((), np.int64)

  def action_spec(self):
    return specs.ArraySpec((), np.int64)

  def _reset(self):
    return ts.restart(np.int64(0))

  def _step(self, action):
    self._t += 1
    if self._t == self._fail_at:
      raise RuntimeError(f'boom at step {self._t}')
    time.sleep(self._sleep_s)
    return ts.transition(np.int64(self._t), 0.)


def _raise_in_constructor():
  raise OSError('no ROM here')


def _cartpoles(seeds, **kwargs):
  return [functools.partial(gym_suite.load, 'CartPole-v1', seed=s, **kwargs)
          for s in seeds]


def _assert_same_episodes(env_a, env_b, num_steps):
  """Steps both with action 1 (the pole falls in ~10 steps, so episodes end
  and auto-reset) and compares every field."""
  pairs = [(env_a.reset(), env_b.reset())]
  pairs += [(env_a.step(np.ones(2, np.int64)), env_b.step(np.ones(2, np.int64)))
            for _ in range(num_steps)]
  for step_a, step_b in pairs:
    for field_a, field_b in zip(step_a, step_b):
      np.testing.assert_array_equal(field_a, field_b)
  assert sum(int(np.sum(a.is_first())) for a, _ in pairs) > 2  # Resets seen.


def _assert_all_dead(env):
  assert not any(p.is_alive() for p in env.processes)
  assert not multiprocessing.active_children()


def test_same_results_as_batched_and_close_leaves_no_children():
  env = parallel.ParallelPyEnvironment(_cartpoles([0, 1]))
  assert env.batched and env.batch_size == 2
  assert env.action_spec() == specs.BoundedArraySpec((), np.int64, 0, 1,
                                                     name='action')
  in_process = batched.BatchedPyEnvironment(
      [constructor() for constructor in _cartpoles([0, 1])])
  _assert_same_episodes(env, in_process, num_steps=30)
  env.close()
  _assert_all_dead(env)
  env.close()  # A second close is harmless.
  with pytest.raises(ValueError, match='closed'):
    env.step(np.ones(2, np.int64))


def test_erratum_env_instances_run_in_workers():
  # Seed 001 passes environment instances, `[BreakoutEnv() for _ in
  # range(4)]`, where TF-Agents calls each entry as a constructor in the
  # worker, which fails. graphrl pickles an instance into its worker.
  instances = [gym_suite.load('CartPole-v1', seed=s) for s in (0, 1)]
  with parallel.ParallelPyEnvironment(instances) as env:
    in_process = batched.BatchedPyEnvironment(
        [constructor() for constructor in _cartpoles([0, 1])])
    _assert_same_episodes(env, in_process, num_steps=15)
    seen = {os.getpid()}
    assert all(p.pid not in seen for p in env.processes)
  _assert_all_dead(env)


def test_worker_exception_names_worker_and_message():
  env = parallel.ParallelPyEnvironment(
      [Failing(), functools.partial(Failing, fail_at=2)])
  env.reset()
  env.step(np.zeros(2, np.int64))
  with pytest.raises(parallel.EnvironmentWorkerError,
                     match=r'(?s)worker 1 raised:.*boom at step 2'):
    env.step(np.zeros(2, np.int64))
  _assert_all_dead(env)


def test_render_then_killed_worker_raises_instead_of_hanging():
  env = parallel.ParallelPyEnvironment(
      _cartpoles([0, 1], render_mode='rgb_array'))
  env.reset()
  assert env.render().shape == (2, 400, 600, 3)  # CartPole draws 600 x 400.
  os.kill(env.processes[0].pid, signal.SIGKILL)
  with pytest.raises(parallel.EnvironmentWorkerError,
                     match=r'worker 0 died \(exit code -9, killed by SIGKILL'):
    env.step(np.zeros(2, np.int64))
  _assert_all_dead(env)


def test_garbage_collection_shuts_workers_down():
  env = parallel.ParallelPyEnvironment([Failing, Failing])
  processes = env.processes
  del env
  gc.collect()
  assert not any(p.is_alive() for p in processes)


def test_constructor_failure_raises_at_construction():
  with pytest.raises(parallel.EnvironmentWorkerError,
                     match=r'(?s)worker 1 raised:.*no ROM here'):
    parallel.ParallelPyEnvironment([Failing, _raise_in_constructor])
  assert not multiprocessing.active_children()


def test_slow_worker_times_out():
  env = parallel.ParallelPyEnvironment(
      [Failing, functools.partial(Failing, sleep_s=1.5)], timeout=0.2)
  env.reset()
  with pytest.raises(parallel.EnvironmentWorkerError,
                     match=r'worker 1 did not answer within 0.2 s'):
    env.step(np.zeros(2, np.int64))
  _assert_all_dead(env)


def test_bad_arguments_raise_before_starting_workers():
  with pytest.raises(TypeError, match=r'env_constructors\[1\] cannot be '
                     r'pickled.*functools.partial'):
    parallel.ParallelPyEnvironment([Failing, lambda: Failing()])
  with pytest.raises(TypeError, match='neither a callable'):
    parallel.ParallelPyEnvironment([Failing, 3])
  with pytest.raises(ValueError, match='fork'):
    parallel.ParallelPyEnvironment([Failing], start_method='fork')
  with pytest.raises(ValueError, match='at least one'):
    parallel.ParallelPyEnvironment([])
  assert not multiprocessing.active_children()


def _alive(pid):
  """Whether `pid` runs (a zombie, dead but not reaped, does not)."""
  try:
    with open(f'/proc/{pid}/stat') as f:
      return f.read().rsplit(')', 1)[1].split()[0] != 'Z'
  except FileNotFoundError:
    return False


@pytest.mark.skipif(not os.path.isdir('/proc'), reason='needs /proc')
def test_workers_exit_when_the_parent_is_killed():
  parent = subprocess.run(
      [sys.executable, '-c',
       'import os, signal\n'
       'from graphrl.envs import parallel\n'
       'from test_parallel import Failing\n'
       'env = parallel.ParallelPyEnvironment([Failing])\n'
       'print(env.processes[0].pid, flush=True)\n'
       'os.kill(os.getpid(), signal.SIGKILL)\n'],
      capture_output=True, text=True, timeout=30,
      env=dict(os.environ, PYTHONPATH=os.path.dirname(__file__)))
  assert parent.returncode == -signal.SIGKILL, parent.stderr
  worker = int(parent.stdout)
  deadline = time.monotonic() + 10.
  while _alive(worker) and time.monotonic() < deadline:
    time.sleep(0.05)
  assert not _alive(worker)


if __name__ == '__main__':
  sys.exit(pytest.main([__file__]))
