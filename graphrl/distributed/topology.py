"""The cluster of a distributed run: `parse` the cluster flags into a
`Topology`, and `start_server` for this task.

A3C (`--agent=a2c`) has jobs ps (the shared variables) and worker (acting
and learning; worker 0 is the chief, which checkpoints and evaluates);
Ape-X (`--agent=dqn`) has jobs learner (exactly one: the shared variables
and the training, the chief) and actor. Each job's tasks are listed by a
host flag, e.g. `--worker_hosts=10.0.0.1:2222,10.0.0.2:2222`; a task is
`--job_name` and `--task_index`, its place in that list.
"""

import dataclasses
import errno
import re
import socket

from graphrl import compat
from graphrl.compat import tf
from graphrl.training import cli

MODES = {'a3c': ('ps', 'worker'), 'apex': ('learner', 'actor')}
HOST_FLAGS = {'ps': 'ps_hosts', 'worker': 'worker_hosts',
              'learner': 'learner_hosts', 'actor': 'actor_hosts'}
AGENT_MODES = {'a2c': 'a3c', 'dqn': 'apex'}
MODE_NAMES = {'a3c': 'A3C', 'apex': 'Ape-X'}
_CHIEF_JOBS = {'a3c': 'worker', 'apex': 'learner'}
# A host name or IPv4 address, or an IPv6 address in brackets; a port.
_ADDRESS = re.compile(r'^([^\s:\[\]]+|\[[0-9a-fA-F:.]+\]):([0-9]+)$')


def agent_mode(agent):
  """The distributed mode ('a3c' or 'apex') of agent name `agent`.

  Raises:
    cli.UserError: the agent has no distributed mode.
  """
  cli.require(agent in AGENT_MODES, '--agent=%s has no distributed mode '
              '(a2c runs as A3C, dqn as Ape-X); drop the cluster flags'
              % agent)
  return AGENT_MODES[agent]


@dataclasses.dataclass(frozen=True)
class Topology:
  """The cluster of a run and the task of this process in it.

  Attributes:
    mode: 'a3c' or 'apex'.
    jobs: ((job, (address, ...)), ...) of the mode's jobs, in `MODES` order;
      an address is 'host:port'.
    job_name: this task's job.
    task_index: this task's index in its job.
  """
  mode: str
  jobs: tuple
  job_name: str
  task_index: int

  def hosts(self, job):
    """The addresses of `job`'s tasks, a tuple."""
    return dict(self.jobs)[job]

  def cluster_spec(self):
    """The `tf.train.ClusterSpec` of every job's tasks."""
    return tf.train.ClusterSpec({job: list(hosts) for job, hosts in self.jobs})

  @property
  def is_chief(self):
    """Whether this task is the chief: worker 0 (A3C), the learner (Ape-X)."""
    return (self.job_name == _CHIEF_JOBS[self.mode] and
            self.task_index == 0)

  @property
  def shared_job(self):
    """The job holding the shared variables: 'ps' or 'learner'."""
    return MODES[self.mode][0]

  @property
  def acting_job(self):
    """The job stepping environments: 'worker' or 'actor'."""
    return MODES[self.mode][1]

  @property
  def num_acting(self):
    """The number of tasks of the acting job."""
    return len(self.hosts(self.acting_job))

  def device(self, job=None, task=None):
    """'/job:J/task:I' of task `task` of `job`.

    Args:
      job: a job of the mode; this task's by default.
      task: a task index; by default this task's in its own job, 0 in
        another.
    """
    job = job or self.job_name
    if task is None:
      task = self.task_index if job == self.job_name else 0
    return '/job:%s/task:%d' % (job, task)

  @property
  def shared_device(self):
    """The first task of the shared job: '/job:ps/task:0' or
    '/job:learner/task:0'."""
    return self.device(self.shared_job, 0)

  @property
  def task_name(self):
    """This task as 'job:index', e.g. 'worker:1'."""
    return '%s:%d' % (self.job_name, self.task_index)

  @property
  def address(self):
    """This task's 'host:port'."""
    return self.hosts(self.job_name)[self.task_index]

  @property
  def is_server_only(self):
    """Whether this task only serves variables (a ps task) and runs no
    session of its own."""
    return self.job_name == 'ps'

  def session_config(self, threads):
    """`compat.session_config(threads)` whose device filters are the tasks
    this one's sessions use: the shared job and itself.

    A session then never waits for the other acting tasks, so a killed
    worker or actor does not stall the rest.
    """
    config = compat.session_config(threads)
    config.device_filters.append('/job:%s' % self.shared_job)
    if self.job_name != self.shared_job:
      config.device_filters.append(self.device())
    return config


def _noun(job, count):
  """'1 worker', '2 actors', '1 ps task', ..."""
  noun = 'ps task' if job == 'ps' else job
  return '%d %s%s' % (count, noun, '' if count == 1 else 's')


def _host_list(value):
  """The entries of a host flag's value: a comma-separated string, a list
  of strings, or None."""
  if not value:
    return []
  return value.split(',') if isinstance(value, str) else list(value)


def _check_address(flag, entry):
  """Refuses an `entry` of --`flag` that is not 'host:port'."""
  match = _ADDRESS.match(entry)
  cli.require(match, '--%s: %r is not host:port' % (flag, entry))
  port = int(match.group(2))
  cli.require(1 <= port <= 65535, '--%s: %s: the port must be in 1..65535'
              % (flag, entry))


def _jobs(mode, hosts):
  """((job, addresses), ...) of `mode` from the host flags' `hosts`."""
  name = MODE_NAMES[mode]
  for job, flag in HOST_FLAGS.items():
    cli.require(job in MODES[mode] or not _host_list(hosts.get(job)),
                '--%s: not a job of %s, whose jobs are %s; drop it' % (
                    flag, name, ' and '.join(MODES[mode])))
  jobs, seen = [], {}
  for job in MODES[mode]:
    flag = HOST_FLAGS[job]
    entries = _host_list(hosts.get(job))
    cli.require(entries, '%s needs --%s: a comma-separated list of '
                'host:port, one per %s task' % (name, flag, job))
    for entry in entries:
      _check_address(flag, entry)
      cli.require(entry not in seen, '--%s: %s is listed twice (also in '
                  '--%s)' % (flag, entry, seen.get(entry)))
      seen[entry] = flag
    jobs.append((job, tuple(entries)))
  return tuple(jobs)


def parse(mode, hosts, job_name, task_index):
  """The `Topology` of the cluster flags.

  Args:
    mode: 'a3c' or 'apex' (`agent_mode`).
    hosts: {job: its host flag's value}: a comma-separated string of
      'host:port', a list of them, or None; jobs of the other mode must have
      none.
    job_name: --job_name, a job of `mode`.
    task_index: --task_index, an index into that job's hosts.

  Raises:
    cli.UserError: a flag is missing or wrong, naming it.
  """
  jobs = _jobs(mode, hosts)
  name, counts = MODE_NAMES[mode], {job: len(h) for job, h in jobs}
  learners = counts.get('learner', 1)
  cli.require(learners == 1, '--learner_hosts lists %s; Ape-X has exactly '
              'one' % _noun('learner', learners))
  jobs_text = "%s's jobs are %s" % (name, ' and '.join(MODES[mode]))
  cli.require(job_name, '--job_name is missing; %s' % jobs_text)
  cli.require(job_name in MODES[mode], '--job_name=%s: %s' % (job_name,
                                                               jobs_text))
  count = counts[job_name]
  cli.require(task_index is not None, '--task_index is missing')
  cli.require(0 <= task_index < count, '--task_index=%d: --%s lists %s '
              '(0..%d)' % (task_index, HOST_FLAGS[job_name],
                           _noun(job_name, count), count - 1))
  return Topology(mode, jobs, job_name, task_index)


def _check_bindable(topology):
  """Refuses a task whose address another process listens on, or that is
  not an address of this machine, by binding a socket to it."""
  host, port = topology.address.rsplit(':', 1)
  where = '--%s: %s (%s)' % (HOST_FLAGS[topology.job_name],
                              topology.address, topology.task_name)
  try:
    family, kind, proto, _, sockaddr = socket.getaddrinfo(
        host.strip('[]'), int(port), type=socket.SOCK_STREAM)[0]
  except socket.gaierror as error:
    raise cli.UserError('%s: unknown host %s (%s)' % (where, host,
                                                      error.strerror))
  probe = socket.socket(family, kind, proto)
  # As gRPC does, so connections of an earlier server on the port that are
  # still in TIME_WAIT do not count; a listening socket still does.
  probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
  try:
    probe.bind(sockaddr)
  except OSError as error:
    if error.errno == errno.EADDRINUSE:
      raise cli.UserError('%s is in use by another process' % where)
    if error.errno == errno.EADDRNOTAVAIL:
      raise cli.UserError('%s: %s is not an address of this machine'
                          % (where, host))
    raise cli.UserError('%s: cannot listen there (%s)' % (where,
                                                          error.strerror))
  finally:
    probe.close()


def start_server(topology, threads=1):
  """Starts the gRPC `tf.train.Server` of this task.

  The server runs any graph that any client that reaches its port sends
  it, with no authentication, and listens on every interface of the port
  (0.0.0.0), whichever host the cluster lists: only trusted machines may
  reach the port (a private network, firewall rules).

  Args:
    topology: this task's `Topology`.
    threads: the server's intra- and inter-op threads, which the sessions
      that run on it use.

  Returns:
    The started `tf.train.Server`; its `target` is this task's master.

  Raises:
    cli.UserError: another process listens on this task's address, or its
      host is not an address of this machine.
  """
  _check_bindable(topology)
  return tf.train.Server(topology.cluster_spec(),
                         job_name=topology.job_name,
                         task_index=topology.task_index,
                         config=topology.session_config(threads),
                         start=True)
