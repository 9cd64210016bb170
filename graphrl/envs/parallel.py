"""`ParallelPyEnvironment`: N environments in worker processes as one batch.

Each environment lives in its own process, started with 'spawn' (or
'forkserver'), never 'fork': forking a process that has TensorFlow loaded
can deadlock the child. A spawned worker imports the parent's main module
afresh, so scripts must keep their top-level work under
`if __name__ == '__main__':`.

Environments reach their workers pickled, so pass picklable constructors:
module-level functions or classes, or `functools.partial` of them such as
`functools.partial(gym_suite.load, 'CartPole-v1', seed=s)`; lambdas and
local functions do not pickle. An environment instance (the lecture's
`ParallelPyEnvironment([BreakoutEnv() for _ in range(4)])`) is pickled into
its worker and closed here.

A worker that raises, dies or stops answering makes the next call raise
`EnvironmentWorkerError` (and shuts the other workers down) instead of
hanging; only the ValueError of a member's `get_state`/`set_state` (such as
`StateNotSavableError`) is raised as it is, its worker serving on. Workers
exit when the parent process dies (their pipe closes); `close()`, the context
manager, garbage collection and interpreter exit all shut them down.
"""

import multiprocessing
from multiprocessing import connection
import pickle
import signal
import traceback
import weakref

import numpy as np

from graphrl.envs import batched
from graphrl.envs import py_environment
from graphrl.envs import time_step as ts

_START_METHODS = ('spawn', 'forkserver')
# Commands whose ValueError (a state not savable or not of this environment)
# leaves the environment intact: the parent raises it, the worker serves on.
_STATE_COMMANDS = ('get_state', 'set_state')


class EnvironmentWorkerError(RuntimeError):
  """A worker of a `ParallelPyEnvironment` raised, died or timed out."""


class _Raised:
  """The ValueError a worker returned for a state command."""

  def __init__(self, error):
    self.error = error


def _worker(conn, env_or_constructor):
  """Builds the environment, then serves commands until told to close.

  Sends `('ok', result)` for each `(command, args)` received, `('raise',
  error)` for a ValueError of a state command, or once `('error',
  traceback)` when the environment raises otherwise. Exits on 'close' or when
  the parent's end of the pipe closes.
  """
  signal.signal(signal.SIGINT, signal.SIG_IGN)  # The parent shuts us down.
  env = None
  try:
    if isinstance(env_or_constructor, py_environment.PyEnvironment):
      env = env_or_constructor
    else:
      env = env_or_constructor()
    conn.send(('ok', (env.observation_spec(), env.action_spec())))
    while True:
      command, args = conn.recv()
      if command == 'close':
        break
      try:
        result = getattr(env, command)(*args)
      except ValueError as error:
        if command not in _STATE_COMMANDS:
          raise
        conn.send(('raise', error))
      else:
        conn.send(('ok', result))
  except (EOFError, ConnectionError):
    pass  # The parent is gone.
  except Exception:  # pylint: disable=broad-except
    try:
      conn.send(('error', traceback.format_exc()))
    except OSError:
      pass  # The parent is gone.
  finally:
    if env is not None:
      env.close()
    conn.close()


def _shutdown(conns, processes, grace_s=5.):
  """Asks every worker to close, then terminates and kills stragglers."""
  for conn in conns:
    try:
      conn.send(('close', ()))
    except (OSError, ValueError):
      pass  # Already dead or closed.
  for process in processes:
    process.join(grace_s)
    if process.is_alive():
      process.terminate()
      process.join(1.)
    if process.is_alive():
      process.kill()
      process.join()
  for conn in conns:
    conn.close()


def _death_note(process):
  """'exit code C' (and the signal that killed it) of a dead process."""
  process.join(1.)
  code = process.exitcode
  if code is not None and code < 0:
    return f'exit code {code}, killed by {signal.Signals(-code).name}'
  return f'exit code {code}'


class ParallelPyEnvironment(py_environment.PyEnvironment):
  """Steps `N` environments in `N` processes as one batch.

  Same batched API as `BatchedPyEnvironment`: `step(actions)` sends
  `actions[i]` to worker `i` for all workers, then collects the `N` time
  steps, stacked along a leading dim; each member auto-resets on its own.
  """

  def __init__(self, env_constructors, start_method='spawn', timeout=60.,
               start_timeout=120.):
    """Starts one worker per environment and waits until all are built.

    Args:
      env_constructors: picklable callables that return an unbatched
        `PyEnvironment`, or picklable `PyEnvironment` instances.
      start_method: 'spawn' or 'forkserver'.
      timeout: seconds one worker may take to answer a call before
        `EnvironmentWorkerError`; None waits without limit (a dead worker
        is still noticed at once).
      start_timeout: seconds one worker may take to start and build its
        environment.

    Raises:
      ValueError: for no environments, another start method, or unequal
        specs.
      TypeError: for an entry that is neither picklable callable nor
        environment.
      EnvironmentWorkerError: if a worker fails while building its
        environment.
    """
    env_constructors = list(env_constructors)
    if not env_constructors:
      raise ValueError('ParallelPyEnvironment needs at least one environment.')
    if start_method not in _START_METHODS:
      raise ValueError(f'start_method must be one of {_START_METHODS}, got '
                       f'{start_method!r}: forking a process that has '
                       f'TensorFlow loaded can deadlock.')
    for index, entry in enumerate(env_constructors):
      _check_picklable(index, entry)
    self._conns, self._processes = [], []
    self._finalizer = weakref.finalize(self, _shutdown, self._conns,
                                       self._processes)
    context = multiprocessing.get_context(start_method)
    try:
      for index, entry in enumerate(env_constructors):
        parent_conn, child_conn = context.Pipe()
        process = context.Process(
            target=_worker, args=(child_conn, entry), daemon=True,
            name=f'{type(self).__name__}-worker-{index}')
        process.start()
        child_conn.close()
        self._conns.append(parent_conn)
        self._processes.append(process)
      env_specs = [self._receive(index, start_timeout)
                   for index in range(len(self._conns))]
      batched.check_same_specs(env_specs)
    except BaseException:
      self.close()
      raise
    for entry in env_constructors:
      if isinstance(entry, py_environment.PyEnvironment):
        entry.close()
    self._observation_spec, self._action_spec = env_specs[0]
    self._timeout = timeout

  def observation_spec(self):
    return self._observation_spec

  def action_spec(self):
    return self._action_spec

  @property
  def batched(self):
    return True

  @property
  def batch_size(self):
    return len(self._processes)

  @property
  def processes(self):
    """The worker `multiprocessing.Process`es."""
    return list(self._processes)

  def _send(self, index, command, args):
    try:
      self._conns[index].send((command, args))
    except OSError:
      self._fail(index, f'died ({_death_note(self._processes[index])})')

  def _receive(self, index, timeout):
    """The result of worker `index`'s pending call, or `_Raised`."""
    conn, process = self._conns[index], self._processes[index]
    ready = connection.wait([conn, process.sentinel], timeout)
    if not ready:
      self._fail(index, f'did not answer within {timeout} s')
    if conn not in ready:
      self._fail(index, f'died ({_death_note(process)})')
    try:
      status, payload = conn.recv()
    except (EOFError, OSError):  # OSError: reset by a peer that died.
      self._fail(index, f'died ({_death_note(process)})')
    if status == 'error':
      self._fail(index, f'raised:\n{payload}')
    if status == 'raise':
      return _Raised(payload)
    return payload

  def _fail(self, index, what):
    self.close()
    raise EnvironmentWorkerError(
        f'{type(self).__name__} worker {index} {what}')

  def _call(self, command, args_per_worker):
    """Sends `command` to every worker, then collects all the results;
    raises the first ValueError a state command returned."""
    if not self._finalizer.alive:
      raise ValueError(f'{type(self).__name__} is closed.')
    for index, args in enumerate(args_per_worker):
      self._send(index, command, args)
    results = [self._receive(index, self._timeout)
               for index in range(self.batch_size)]
    for result in results:
      if isinstance(result, _Raised):
        raise result.error
    return results

  def seed(self, seed):
    """Seeds member `i` with `seed + i`."""
    self._call('seed', [(seed + i,) for i in range(self.batch_size)])

  def _get_state(self):
    """The list of the members' `get_state()`s, from their workers."""
    return self._call('get_state', [()] * self.batch_size)

  def _set_state(self, state):
    batched.check_member_states(state, self.batch_size, type(self).__name__)
    self._call('set_state', [(member,) for member in state])

  def _reset(self):
    return ts.stack(self._call('reset', [()] * self.batch_size))

  def _step(self, action):
    return ts.stack(self._call('step', [(a,) for a in action]))

  def render(self):
    """The frames of all members, `[N, H, W, 3]`."""
    return np.stack(self._call('render', [()] * self.batch_size))

  def close(self):
    """Shuts every worker down; safe to call more than once."""
    self._finalizer()


def _check_picklable(index, entry):
  """Raises TypeError unless `entry` is a picklable constructor or env."""
  if not (callable(entry) or
          isinstance(entry, py_environment.PyEnvironment)):
    raise TypeError(f'env_constructors[{index}] is {entry!r}, neither a '
                    f'callable nor a PyEnvironment.')
  try:
    pickle.dumps(entry)
  except Exception as e:  # pylint: disable=broad-except
    raise TypeError(
        f'env_constructors[{index}] cannot be pickled into a worker ({e}); '
        f'use a module-level function or class or functools.partial of one, '
        f"e.g. functools.partial(load, 'CartPole-v1', seed=0).") from e
