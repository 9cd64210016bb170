"""Runs `python -m graphrl.cluster` for end-to-end tests, with a way to
SIGKILL its tasks and to wait for lines of its output."""

import os
import signal
import subprocess
import sys
import threading
import time

from graphrl.training import checkpoints

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class Cluster:
  """A `graphrl.cluster` process whose output lines are collected; a
  context manager that kills it on exit."""

  def __init__(self, args, logdir):
    self.logdir = logdir
    self.lines = []
    self._process = subprocess.Popen(
        [sys.executable, '-m', 'graphrl.cluster', '--logdir=%s' % logdir] +
        list(args), cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True)
    self._readers = [threading.Thread(target=self._read, args=(pipe,),
                                      daemon=True)
                     for pipe in (self._process.stdout, self._process.stderr)]
    for reader in self._readers:
      reader.start()

  def _read(self, pipe):
    for line in pipe:
      self.lines.append(line.rstrip('\n'))

  def wait_for(self, predicate, timeout_s=120):
    """Waits until `predicate()` holds; fails the test past the timeout."""
    deadline = time.monotonic() + timeout_s
    while not predicate():
      assert self._process.poll() is None or predicate(), (
          'the cluster ended early:\n' + '\n'.join(self.lines[-30:]))
      assert time.monotonic() < deadline, '\n'.join(self.lines[-30:])
      time.sleep(0.2)

  def wait_for_line(self, text, timeout_s=120):
    """The first output line containing `text`, once there is one."""
    self.wait_for(lambda: any(text in line for line in self.lines),
                  timeout_s)
    return next(line for line in self.lines if text in line)

  def kill_task(self, job, index):
    """SIGKILLs the task's process."""
    pattern = '--logdir=%s --job_name=%s --task_index=%d ' % (
        self.logdir, job, index)
    for pid in os.listdir('/proc'):
      if not pid.isdigit():
        continue
      try:
        with open('/proc/%s/cmdline' % pid, 'rb') as f:
          command = f.read().replace(b'\0', b' ').decode()
      except OSError:
        continue
      if pattern in command:
        os.kill(int(pid), signal.SIGKILL)
        return
    raise AssertionError('no process of %s:%d' % (job, index))

  def __enter__(self):
    return self

  def __exit__(self, *unused):
    """Kills a launcher still running (a failed test): its tasks die with
    it."""
    if self._process.poll() is None:
      self._process.kill()
      self._process.wait()

  def kill_and_restart(self, acting_job, chief_job):
    """SIGKILLs acting task 1, then, after a checkpoint, the chief; waits
    for their restarts. Returns (the last checkpoint's step before the
    chief's kill, the step it resumed from)."""
    self.wait_for_line('%s:1: ' % acting_job)  # It is acting.
    self.kill_task(acting_job, 1)
    self.wait_for_line('restarting %s:1 (killed by SIGKILL)' % acting_job)
    self.wait_for(lambda: checkpoints.committed_steps(self.logdir))
    saved = checkpoints.committed_steps(self.logdir)[-1]
    self.kill_task(chief_job, 0)
    resumed = self.wait_for_line('Resuming from the checkpoint of step')
    return saved, int(resumed.rstrip('.').split()[-1])

  def finish(self, timeout_s=300):
    """Waits for the launcher's end: its exit status."""
    try:
      status = self._process.wait(timeout_s)
    finally:
      if self._process.poll() is None:
        self._process.kill()
    for reader in self._readers:
      reader.join(5)
    return status

