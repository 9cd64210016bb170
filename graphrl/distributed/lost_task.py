"""The one line a task says when it loses the shared task of its cluster.

A session whose remote task has gone raises one of `worker_run.LOST`
("From /job:ps/replica:0/task:0: failed to connect to all addresses ...").
A3C's shared parameters live only on the ps tasks, so losing one ends the
run; `user_error` turns the error into the one line that names the task,
its address and the last checkpoint, from which a rerun resumes.
"""

import re

from graphrl.training import checkpoints
from graphrl.training import cli


def user_error(error, topology, logdir):
  """A `cli.UserError` for `error`, raised on losing a task of `topology`'s
  shared job (the first such task the message names, else task 0)."""
  job = topology.shared_job
  found = re.search(r'/job:%s/replica:\d+/task:(\d+)' % job, str(error))
  index = int(found.group(1)) if found else 0
  hosts = topology.hosts(job)
  address = hosts[index] if index < len(hosts) else '?'
  return cli.UserError(
      'lost %s:%d (%s), so the run stopped on %s; last checkpoint: %s; '
      'restart the %s task and rerun the same command to resume' % (
          job, index, address, topology.task_name,
          checkpoints.last_checkpoint_dir(logdir), job))
