"""Tests of graphrl.cluster: its supervision of fake tasks (a small script in
place of graphrl.train) and the refusals of the binary."""

import os
import signal
import sys
import threading
import time

import pytest

from graphrl import cluster
from graphrl.training import cli
import cli_assertions

# A fake task: `task.py JOB INDEX DIR ACTION` appends its pid to
# DIR/JOB-INDEX.pids after printing a line to stdout and one to stderr,
# then, by ACTION:
#   serve        runs until a signal kills it
#   die-once     SIGKILLs itself on its first start, serves after
#   exit=N       prints an error line to stderr and exits N
#   wait=A:n,... exits 0 half a second after DIR/A.pids has n lines, for
#                each A
#   term-saves   serves; on SIGTERM prints 'saved' and exits 0
FAKE_TASK = r'''
import os, signal, sys, time
job, index, directory, action = sys.argv[1:]
print('hello from %s:%s' % (job, index), flush=True)
print('a stderr line', file=sys.stderr, flush=True)

def pids(name):
  path = os.path.join(directory, name + '.pids')
  return open(path).read().split() if os.path.exists(path) else []

name = '%s-%s' % (job, index)
with open(os.path.join(directory, name + '.pids'), 'a') as f:
  f.write('%d\n' % os.getpid())
if action == 'die-once' and len(pids(name)) == 1:
  os.kill(os.getpid(), signal.SIGKILL)
if action.startswith('exit='):
  print('error: --foo is bad', file=sys.stderr, flush=True)
  sys.exit(int(action[5:]))
if action == 'term-saves':
  def save(*unused):
    print('saved', flush=True)
    sys.exit(0)
  signal.signal(signal.SIGTERM, save)
if action.startswith('wait='):
  for other in action[5:].split(','):
    other, count = other.split(':')
    while len(pids(other)) < int(count):
      time.sleep(0.02)
  time.sleep(0.5)
  sys.exit(0)
while True:
  time.sleep(0.02)
'''


@pytest.fixture(name='fake')
def _fake(tmp_path):
  """launch(mode, num_shared, num_acting, actions, max_restarts) runs
  `cluster.launch` on fake tasks; actions {task name: ACTION}, 'serve' by
  default. Returns the logdir, and checks that no task is left running."""
  script = tmp_path / 'task.py'
  script.write_text(FAKE_TASK)
  logdir = tmp_path / 'logdir'

  def launch(mode, num_shared, num_acting, actions, max_restarts=3):
    hosts = cluster.loopback_hosts(mode, num_shared, num_acting)

    def command(job, index):
      action = actions.get('%s:%d' % (job, index), 'serve')
      return [sys.executable, str(script), job, str(index), str(tmp_path),
              action]

    launch.hosts = hosts
    cluster.launch(mode, hosts, str(logdir), max_restarts, command)

  yield launch, tmp_path
  for path in tmp_path.glob('*.pids'):
    for pid in path.read_text().split():
      with pytest.raises(ProcessLookupError):
        os.kill(int(pid), 0)


def _pids(directory, name):
  path = directory / (name + '.pids')
  return path.read_text().split() if path.exists() else []


def test_output_is_prefixed_and_the_chief_ends_the_run(fake, capsys):
  launch, directory = fake
  launch('a3c', 1, 3, {'worker:0': 'wait=ps-0:1,worker-1:1,worker-2:1'})
  lines = capsys.readouterr().out.splitlines()
  hosts = launch.hosts
  assert lines[0] == (
      '[cluster] A3C on ps:0 at %s, worker:0 at %s, worker:1 at %s, '
      'worker:2 at %s; logdir %s' % (hosts['ps'][0], *hosts['worker'],
                                     directory / 'logdir'))
  for name in ('ps:0', 'worker:0', 'worker:1', 'worker:2'):
    assert '[%s] hello from %s' % (name, name) in lines
    assert '[%s] a stderr line' % name in lines
  assert len(_pids(directory, 'worker-2')) == 1


def test_a_killed_task_is_restarted(fake, capsys):
  launch, directory = fake
  launch('a3c', 1, 3, {'worker:0': 'wait=worker-1:2,worker-2:1',
                       'worker:1': 'die-once'})
  out = capsys.readouterr().out
  assert ('[cluster] restarting worker:1 (killed by SIGKILL), restart 1 of 3'
          in out.splitlines())
  assert out.count('[worker:1] hello from worker:1') == 2
  assert len(_pids(directory, 'worker-1')) == 2
  assert len(_pids(directory, 'worker-2')) == 1  # It went on.


def test_a_task_that_finishes_is_not_restarted(fake, capsys):
  launch, directory = fake
  launch('apex', 1, 2, {'learner:0': 'wait=actor-0:1,actor-1:1',
                        'actor:1': 'exit=0'})
  assert '[cluster] restarting' not in capsys.readouterr().out
  assert len(_pids(directory, 'actor-1')) == 1


@pytest.mark.parametrize('action, died, checkpoints, last', [
    ('die-once', 'killed by SIGKILL', [100, 200], 'ckpt-200'),
    ('exit=1', 'exit status 1', [], None),
])
def test_a_ps_death_stops_the_run(fake, action, died, checkpoints, last):
  launch, directory = fake
  for step in checkpoints:
    (directory / 'logdir' / 'checkpoints' / ('ckpt-%d' % step)).mkdir(
        parents=True)
  with pytest.raises(cli.UserError) as raised:
    launch('a3c', 1, 2, {'ps:0': action})
  last = directory / 'logdir' / 'checkpoints' / last if last else 'none'
  assert str(raised.value) == (
      'ps:0 (%s) died (%s); the run stopped; last checkpoint: %s; rerun the '
      'same command to resume' % (launch.hosts['ps'][0], died, last))
  assert len(_pids(directory, 'worker-0')) <= 1  # Not restarted.


def test_max_restarts(fake, capsys):
  launch, directory = fake
  with pytest.raises(cli.UserError) as raised:
    launch('a3c', 1, 2, {'worker:1': 'exit=1'}, max_restarts=2)
  assert str(raised.value) == (
      'worker:1 (%s) died (exit status 1) after 2 restarts (--max_restarts); '
      'its last error line: error: --foo is bad; the run stopped; last '
      'checkpoint: none; rerun the same command to resume'
      % launch.hosts['worker'][1])
  lines = capsys.readouterr().out.splitlines()
  assert [line for line in lines if line.startswith('[cluster] restarting')] \
      == ['[cluster] restarting worker:1 (exit status 1), restart %d of 2' % i
          for i in (1, 2)]
  assert len(_pids(directory, 'worker-1')) == 3


def test_a_user_error_of_the_chief_stops_the_run(fake):
  launch, _ = fake
  with pytest.raises(cli.UserError, match=r'^learner:0: --foo is bad$'):
    launch('apex', 1, 2, {'learner:0': 'exit=2'})


def test_sigterm_lets_the_chief_save_and_stops_all(fake, capsys):
  launch, directory = fake
  names = ('ps-0', 'worker-0', 'worker-1')

  def terminate_when_up():
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
      if all(_pids(directory, name) for name in names):
        os.kill(os.getpid(), signal.SIGTERM)
        return
      time.sleep(0.02)

  thread = threading.Thread(target=terminate_when_up)
  thread.start()
  launch('a3c', 1, 2, {'worker:0': 'term-saves'})
  thread.join()
  lines = capsys.readouterr().out.splitlines()
  assert '[worker:0] saved' in lines
  assert ('[cluster] worker:0 ended with exit status 0; last checkpoint: '
          'none' in lines)


def test_forwarded_flags():
  assert cluster.forwarded_flags([
      '--flagfile=a.flags', '--workers=3', '--seed', '1', '-ps_tasks', '2',
      '--max_restarts=0', '--num_steps=10']) == (
          ['--flagfile=a.flags', '--seed', '1', '--num_steps=10'],
          {'workers', 'ps_tasks', 'max_restarts'})


def test_task_command():
  hosts = {'ps': ['127.0.0.1:1'], 'worker': ['127.0.0.1:2', '127.0.0.1:3']}
  assert cluster.task_command(['--flagfile=a.flags'], 'runs/x', hosts,
                              'worker', 1) == [
      sys.executable, '-m', 'graphrl.train', '--flagfile=a.flags',
      '--logdir=runs/x', '--job_name=worker', '--task_index=1',
      '--ps_hosts=127.0.0.1:1', '--worker_hosts=127.0.0.1:2,127.0.0.1:3']


def test_loopback_hosts():
  hosts = cluster.loopback_hosts('apex', 1, 3)
  assert sorted(hosts) == ['actor', 'learner']
  addresses = hosts['learner'] + hosts['actor']
  assert len(hosts['actor']) == 3 and len(set(addresses)) == 4
  assert all(address.startswith('127.0.0.1:') for address in addresses)


@pytest.mark.parametrize('args, message', [
    (['--agent=ddpg'], '--agent=ddpg has no distributed mode'),
    (['--agent=a2c', '--workers=0'], 'flag --workers=0'),
    (['--agent=a2c', '--worker_hosts=127.0.0.1:2222'],
     'graphrl.cluster picks the hosts and tasks itself; drop --worker_hosts'),
    (['--agent=dqn', '--ps_tasks=2'], '--ps_tasks=2: Ape-X has no ps tasks'),
    # Settings every task would refuse are refused before any starts.
    (['--agent=a2c', '--learning_rate=0'], 'learning_rate must be positive'),
    (['--agent=dqn', '--replay=uniform'],
     '--replay=uniform: Ape-X needs --replay=prioritized'),
    (['--agent=dqn', '--replay=prioritized', '--epsilon_steps=5'],
     '--epsilon_steps: not a setting of Ape-X'),
    (['--agent=dqn', '--replay=prioritized', '--push_every=0'],
     'push_every must be a positive int'),
])
def test_binary_refuses(tmp_path, args, message):
  process = cli_assertions.run_python(
      '-m', 'graphrl.cluster', '--logdir=%s' % tmp_path, *args, timeout=60)
  cli_assertions.assert_one_line_error(process, message)
  assert process.stdout == ''  # No task started.


def test_binary_refuses_its_own_flags_in_a_flagfile(tmp_path):
  flagfile = tmp_path / 'a3c.flags'
  flagfile.write_text('--agent=a2c\n--workers=3\n')
  process = cli_assertions.run_python(
      '-m', 'graphrl.cluster', '--flagfile=%s' % flagfile,
      '--logdir=%s' % tmp_path, timeout=60)
  cli_assertions.assert_one_line_error(
      process, '--workers: give it on the command line, not in a flagfile')
  assert process.stdout == ''


@pytest.mark.parametrize('args, message', [
    (['--task_index=1'], '--task_index needs the cluster flags'),
    (['--agent=ddpg', '--job_name=worker', '--ps_hosts=127.0.0.1:2222',
      '--worker_hosts=127.0.0.1:2223'], '--agent=ddpg has no distributed'),
    (['--agent=a2c', '--job_name=worker', '--task_index=2',
      '--ps_hosts=127.0.0.1:2222', '--worker_hosts=127.0.0.1:2223'],
     '--task_index=2'),
    (['--agent=a2c', '--job_name=worker', '--task_index=0', '--loop=graph',
      '--ps_hosts=127.0.0.1:2222', '--worker_hosts=127.0.0.1:2223'],
     '--loop=graph: a cluster runs the Python loops'),
])
def test_train_refuses_bad_cluster_flags_before_any_server(tmp_path, args,
                                                             message):
  process = cli_assertions.run_python(
      '-m', 'graphrl.train', '--logdir=%s' % tmp_path, *args, timeout=60)
  cli_assertions.assert_one_line_error(process, message)
  assert 'serving at' not in process.stdout
