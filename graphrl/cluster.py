r"""Runs a distributed training run on this machine, each task a process:

  python -m graphrl.cluster --flagfile=flags/a2c_cartpole.flags --workers=4

A2C runs as A3C (`--ps_tasks` ps tasks and `--workers` workers), DQN as
Ape-X (one learner and `--workers` actors); every task is
`python -m graphrl.train` with this command's training flags, one
`--logdir` and the cluster flags of its place, on free ports of the
loopback addresses (127.0.0.1). TensorFlow's servers run any graph sent to
them and listen on every interface of their port whatever address the
cluster lists, so on a machine that others can reach, firewall the ports.
Each
line a task prints comes out on stdout prefixed with its name, e.g.
`[worker:1] `.

The run ends when its chief (worker 0, or the learner) exits 0; a task
that crashes or is killed is restarted with its command, up to
`--max_restarts` times. A ps task holds the shared variables and cannot be
restarted: its death stops the run, which the same command resumes from
the last checkpoint. So does a user error of the chief. SIGTERM or Ctrl-C
asks the chief to save a checkpoint and stop, and then stops the rest.
"""

import ctypes
import functools
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time

from absl import flags

from graphrl import train
from graphrl.distributed import topology as topology_lib
from graphrl.training import checkpoints
from graphrl.training import cli
from graphrl.training import signals

FLAGS = flags.FLAGS
OWN_FLAGS = ('workers', 'ps_tasks', 'max_restarts')
CLUSTER_FLAGS = tuple(topology_lib.HOST_FLAGS.values()) + ('job_name',
                                                           'task_index')
POLL_S = 0.2
STOP_GRACE_S = 10  # From SIGTERM to SIGKILL when the run stops its tasks.
CHIEF_STOP_S = 60  # For the chief's last checkpoint after a SIGTERM.
READER_JOIN_S = 5  # For the last lines of a task that exited.
_PR_SET_PDEATHSIG = 1

flags.DEFINE_integer('workers', 2, 'Acting tasks: A3C workers or Ape-X '
                     'actors.', lower_bound=1)
flags.DEFINE_integer('ps_tasks', 1, 'A3C: ps tasks, over which the shared '
                     'variables are spread.', lower_bound=1)
flags.DEFINE_integer('max_restarts', 3, 'How often each task may be '
                     'restarted after it crashed or was killed.',
                     lower_bound=0)


def free_ports(count):
  """`count` distinct free TCP ports of 127.0.0.1."""
  probes = [socket.socket() for _ in range(count)]
  try:
    for probe in probes:
      probe.bind(('127.0.0.1', 0))
    return [probe.getsockname()[1] for probe in probes]
  finally:
    for probe in probes:
      probe.close()


def loopback_hosts(mode, num_shared, num_acting):
  """{job: ['127.0.0.1:port', ...]} of `mode`'s jobs on free ports."""
  shared, acting = topology_lib.MODES[mode]
  addresses = ['127.0.0.1:%d' % port
               for port in free_ports(num_shared + num_acting)]
  return {shared: addresses[:num_shared], acting: addresses[num_shared:]}


def task_command(forwarded, logdir, hosts, job, index):
  """The argv of the process of task `index` of `job`.

  Args:
    forwarded: the training flags, as given to the launcher.
    logdir: the run's --logdir.
    hosts: {job: [address, ...]} of the cluster (`loopback_hosts`).
    job: the task's job.
    index: the task's index in `job`.
  """
  return ([sys.executable, '-m', 'graphrl.train'] + list(forwarded) +
          ['--logdir=%s' % logdir, '--job_name=%s' % job,
           '--task_index=%d' % index] +
          ['--%s=%s' % (topology_lib.HOST_FLAGS[name], ','.join(addresses))
           for name, addresses in hosts.items()])


def forwarded_flags(argv):
  """`argv` (the launcher's arguments) without the launcher's own flags,
  and the names of those it held."""
  own = re.compile(r'^--?(%s)(=.*)?$' % '|'.join(OWN_FLAGS))
  kept, removed, args = [], set(), iter(argv)
  for arg in args:
    match = own.match(arg)
    if not match:
      kept.append(arg)
      continue
    removed.add(match.group(1))
    if match.group(2) is None:  # '--workers 4': the value comes next.
      next(args, None)
  return kept, removed


def describe_exit(status):
  """'exit status 1' or 'killed by SIGKILL', of a Popen returncode."""
  if status < 0:
    return 'killed by %s' % signal.Signals(-status).name
  return 'exit status %d' % status


def _die_with_launcher(prctl, launcher_pid):
  """Makes this (forked, not yet exec'd) child get SIGTERM when the thread
  that started it ends; if the launcher already died, SIGTERMs itself.

  Args:
    prctl: libc's `prctl`, looked up before the fork.
    launcher_pid: the process id of the launcher.
  """
  prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
  if os.getppid() != launcher_pid:
    os.kill(os.getpid(), signal.SIGTERM)


class _Task:
  """One task of the cluster: its process and the last `error:` line it
  wrote to stderr."""

  def __init__(self, topology, command, output_lock):
    self.topology = topology
    self.command = command
    self.restarts = 0
    self.last_error = None
    self.process = None
    self._terminated = False
    self._lock = output_lock
    self._readers = []

  @property
  def name(self):
    return self.topology.task_name

  def start(self):
    """Starts the task's process, in a session of its own, and its readers.

    On Linux the process dies with the launcher: call this from the main
    thread, whose end is the launcher's.
    """
    preexec = None
    if sys.platform.startswith('linux'):
      preexec = functools.partial(_die_with_launcher,
                                  ctypes.CDLL(None).prctl, os.getpid())
    self._terminated = False
    self.process = subprocess.Popen(
        self.command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, start_new_session=True, preexec_fn=preexec)
    self._readers = [
        threading.Thread(target=self._copy, args=(pipe, is_stderr),
                         daemon=True)
        for pipe, is_stderr in ((self.process.stdout, False),
                                (self.process.stderr, True))]
    for reader in self._readers:
      reader.start()

  def _copy(self, pipe, is_stderr):
    """Prints each line of `pipe` to stdout, prefixed with the task name."""
    with pipe:
      for raw in iter(pipe.readline, b''):
        line = raw.decode('utf-8', 'replace').rstrip('\r\n')
        if is_stderr and line.startswith('error: '):
          self.last_error = line
        with self._lock:
          sys.stdout.write('[%s] %s\n' % (self.name, line))
          sys.stdout.flush()

  def running(self):
    return self.process is not None and self.process.poll() is None

  def finish_output(self):
    """Waits (a while) for the readers to copy what the process wrote."""
    for reader in self._readers:
      reader.join(READER_JOIN_S)

  def send_signal(self, number, group=False):
    """Sends signal `number` to the process, or to its process group;
    SIGTERM once only (a second one aborts a task's checkpoint)."""
    if number == signal.SIGTERM:
      if self._terminated:
        return
      self._terminated = True
    if self.running():
      try:
        if group:
          os.killpg(self.process.pid, number)
        else:
          self.process.send_signal(number)
      except ProcessLookupError:
        pass


class _Cluster:
  """The processes of a cluster's tasks, supervised from the main thread."""

  def __init__(self, mode, hosts, command, logdir, max_restarts):
    self._lock = threading.Lock()
    self._tasks = [
        _Task(topology_lib.parse(mode, hosts, job, index),
              command(job, index), self._lock)
        for job in topology_lib.MODES[mode]
        for index in range(len(hosts[job]))]
    self._chief = next(task for task in self._tasks
                       if task.topology.is_chief)
    self._mode = mode
    self._logdir = logdir
    self._max_restarts = max_restarts

  def note(self, message):
    """Prints `message` to stdout as the launcher's line."""
    with self._lock:
      sys.stdout.write('[cluster] %s\n' % message)
      sys.stdout.flush()

  def _last_checkpoint(self):
    return checkpoints.last_checkpoint_dir(self._logdir)

  def _failure(self, task, what):
    """The UserError that stops the run after `task` failed as `what`."""
    return cli.UserError(
        '%s (%s) %s; the run stopped; last checkpoint: %s; rerun the same '
        'command to resume' % (task.name, task.topology.address, what,
                               self._last_checkpoint()))

  def _exited(self, task, status):
    """Handles the exit of `task`'s process; True when the run is done.

    Raises:
      cli.UserError: the exit stops the run.
    """
    task.finish_output()
    if task.topology.is_chief and status == 0:
      return True
    if task.topology.is_chief and status == cli.USAGE_EXIT_CODE:
      message = re.sub(r'^error: ', '', task.last_error or '')
      raise cli.UserError('%s: %s' % (task.name, message or
                                      describe_exit(status)))
    if task.topology.is_server_only:
      raise self._failure(task, 'died (%s)' % describe_exit(status))
    if status == 0:
      task.process = None  # Its part is done.
      return False
    if task.restarts == self._max_restarts:
      last = ('; its last error line: %s' % task.last_error
              if task.last_error else '')
      raise self._failure(task, 'died (%s) after %d restarts '
                          '(--max_restarts)%s' % (
                              describe_exit(status), task.restarts, last))
    task.restarts += 1
    self.note('restarting %s (%s), restart %d of %d' % (
        task.name, describe_exit(status), task.restarts, self._max_restarts))
    task.start()
    return False

  def _supervise(self, stop):
    """Polls the tasks until the chief is done or `stop` is requested."""
    while not stop.requested:
      for task in self._tasks:
        status = task.process.poll() if task.process else None
        if status is not None and self._exited(task, status):
          return
      time.sleep(POLL_S)
    self._stop_chief()

  def _stop_chief(self):
    """SIGTERMs the tasks that run sessions, so the chief saves a checkpoint
    and exits, and waits `CHIEF_STOP_S` for it."""
    for task in self._tasks:
      if not task.topology.is_server_only:
        task.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + CHIEF_STOP_S
    while self._chief.running() and time.monotonic() < deadline:
      time.sleep(POLL_S)
    if self._chief.running():
      ending = 'did not stop within %d s' % CHIEF_STOP_S
    else:
      ending = 'ended with %s' % describe_exit(self._chief.process.poll())
    self.note('%s %s; last checkpoint: %s' % (self._chief.name, ending,
                                              self._last_checkpoint()))

  def _stop_all(self):
    """Stops every task: the shared job's last, so that the others do not
    lose it while they stop."""
    shared = [task for task in self._tasks
              if task.topology.job_name == task.topology.shared_job]
    self._stop([task for task in self._tasks if task not in shared])
    self._stop(shared)

  def _stop(self, tasks):
    """SIGTERMs the process groups of `tasks`, SIGKILLs those left after
    `STOP_GRACE_S`, and reaps them all."""
    for task in tasks:
      task.send_signal(signal.SIGTERM, group=True)
    deadline = time.monotonic() + STOP_GRACE_S
    while (any(task.running() for task in tasks) and
           time.monotonic() < deadline):
      time.sleep(POLL_S)
    for task in tasks:
      task.send_signal(signal.SIGKILL, group=True)
    for task in tasks:
      if task.process is not None:
        task.process.wait()
        task.finish_output()

  def run(self):
    """Starts the tasks, the shared job's first, and supervises them; stops
    them all whichever way it ends."""
    self.note('%s on %s; logdir %s' % (
        topology_lib.MODE_NAMES[self._mode],
        ', '.join('%s at %s' % (task.name, task.topology.address)
                  for task in self._tasks), self._logdir))
    with signals.StopRequest() as stop:
      try:
        for task in self._tasks:
          task.start()
        self._supervise(stop)
      finally:
        self._stop_all()


def launch(mode, hosts, logdir, max_restarts, command):
  """Runs a cluster's tasks, a process each, until its chief is done or a
  SIGTERM or SIGINT stops it; leaves no task running.

  Call it from the main thread (it handles SIGTERM and SIGINT).

  Args:
    mode: 'a3c' or 'apex'.
    hosts: {job: [address, ...]} of the mode's jobs.
    logdir: the run's directory, whose last checkpoint error lines name.
    max_restarts: how often each task may be restarted.
    command: function (job, index) -> the argv of that task's process.

  Raises:
    cli.UserError: the run stopped early: on the chief's user error (exit
      status 2), a ps task's death or a task failing past `max_restarts`.
  """
  _Cluster(mode, hosts, command, logdir, max_restarts).run()


def _check_flags():
  """Refuses the cluster flags, which the launcher sets itself."""
  for name in CLUSTER_FLAGS:
    cli.require(not FLAGS[name].present, 'graphrl.cluster picks the hosts '
                'and tasks itself; drop --%s' % name)


def main(argv):
  cli.require_no_arguments(argv)
  _check_flags()
  mode = topology_lib.agent_mode(FLAGS.agent)
  cli.require(mode == 'a3c' or FLAGS.ps_tasks == 1,
              '--ps_tasks=%d: Ape-X has no ps tasks (the learner holds the '
              'shared variables); drop --ps_tasks' % FLAGS.ps_tasks)
  # The command line as given, so that the tasks read the same flagfiles.
  forwarded, removed = forwarded_flags(sys.argv[1:])
  for name in OWN_FLAGS:
    cli.require(not FLAGS[name].present or name in removed,
                '--%s: give it on the command line, not in a flagfile '
                '(every task reads the flagfile)' % name)
  env_id, limit = train.registered_env(FLAGS.env)
  # Every task would refuse a bad setting: refuse it once, before any starts.
  train.build_configs(FLAGS.agent, FLAGS.max_episode_steps or limit, mode)
  logdir = FLAGS.logdir or train.default_logdir(FLAGS.agent, env_id,
                                                FLAGS.seed)
  train.check_logdir(logdir)
  hosts = loopback_hosts(mode, FLAGS.ps_tasks if mode == 'a3c' else 1,
                         FLAGS.workers)
  launch(mode, hosts, logdir, FLAGS.max_restarts,
         functools.partial(task_command, forwarded, logdir, hosts))


def run():
  """Console-script entry point `graphrl-cluster`."""
  cli.run(main)


if __name__ == '__main__':
  run()
