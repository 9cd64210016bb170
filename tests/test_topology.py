"""Tests of graphrl.distributed.topology: the cluster flags' refusals, the
topology's devices and configs, and two real servers on loopback."""

import socket

import pytest

from graphrl.compat import tf
from graphrl.distributed import topology
from graphrl.training import cli

A3C = {'ps': '127.0.0.1:2222', 'worker': '127.0.0.1:2223,127.0.0.1:2224'}
APEX = {'learner': ['127.0.0.1:2222'],
        'actor': ['127.0.0.1:2223', '127.0.0.1:2224', '127.0.0.1:2225']}


def _free_port():
  with socket.socket() as probe:
    probe.bind(('127.0.0.1', 0))
    return probe.getsockname()[1]


def test_agent_mode():
  assert topology.agent_mode('a2c') == 'a3c'
  assert topology.agent_mode('dqn') == 'apex'
  with pytest.raises(cli.UserError, match=r'^--agent=ddpg has no '
                     r'distributed mode \(a2c runs as A3C, dqn as Ape-X\)'):
    topology.agent_mode('ddpg')


@pytest.mark.parametrize('mode, hosts, job, index, message', [
    ('a3c', A3C, 'learner', 0,
     "--job_name=learner: A3C's jobs are ps and worker"),
    ('a3c', A3C, 'chief', 0, "--job_name=chief: A3C's jobs are ps and worker"),
    ('apex', APEX, 'ps', 0,
     "--job_name=ps: Ape-X's jobs are learner and actor"),
    ('a3c', A3C, None, 0, "--job_name is missing; A3C's jobs are ps"),
    ('a3c', A3C, 'worker', None, '--task_index is missing'),
    ('a3c', dict(A3C, actor='127.0.0.1:2230'), 'worker', 0,
     '--actor_hosts: not a job of A3C'),
    ('apex', dict(APEX, ps=['127.0.0.1:2230']), 'actor', 0,
     '--ps_hosts: not a job of Ape-X'),
    ('a3c', {'worker': A3C['worker']}, 'worker', 0, 'A3C needs --ps_hosts'),
    ('a3c', dict(A3C, worker=''), 'worker', 0, 'A3C needs --worker_hosts'),
    ('apex', dict(APEX, actor=[]), 'actor', 0, 'Ape-X needs --actor_hosts'),
    ('a3c', dict(A3C, ps='127.0.0.1'), 'ps', 0,
     "--ps_hosts: '127.0.0.1' is not host:port"),
    ('a3c', dict(A3C, ps=':2222'), 'ps', 0,
     "--ps_hosts: ':2222' is not host:port"),
    ('a3c', dict(A3C, ps='127.0.0.1:http'), 'ps', 0,
     "--ps_hosts: '127.0.0.1:http' is not host:port"),
    ('a3c', dict(A3C, worker='127.0.0.1:2223, 127.0.0.1:2224'), 'worker', 0,
     "--worker_hosts: ' 127.0.0.1:2224' is not host:port"),
    ('a3c', dict(A3C, worker='127.0.0.1:2223,'), 'worker', 0,
     "--worker_hosts: '' is not host:port"),
    ('a3c', dict(A3C, worker='127.0.0.1:0'), 'worker', 0,
     '--worker_hosts: 127.0.0.1:0: the port must be in 1..65535'),
    ('apex', dict(APEX, actor=['127.0.0.1:65536']), 'actor', 0,
     '--actor_hosts: 127.0.0.1:65536: the port must be in 1..65535'),
    ('a3c', dict(A3C, worker='127.0.0.1:2223,127.0.0.1:2223'), 'worker', 0,
     '--worker_hosts: 127.0.0.1:2223 is listed twice (also in '
     '--worker_hosts)'),
    ('a3c', dict(A3C, worker='127.0.0.1:2222'), 'worker', 0,
     '--worker_hosts: 127.0.0.1:2222 is listed twice (also in --ps_hosts)'),
    ('a3c', A3C, 'worker', 2,
     '--task_index=2: --worker_hosts lists 2 workers (0..1)'),
    ('a3c', A3C, 'worker', -1,
     '--task_index=-1: --worker_hosts lists 2 workers (0..1)'),
    ('a3c', A3C, 'ps', 1,
     '--task_index=1: --ps_hosts lists 1 ps task (0..0)'),
    ('apex', APEX, 'learner', 1,
     '--task_index=1: --learner_hosts lists 1 learner (0..0)'),
    ('apex', dict(APEX, learner='127.0.0.1:2230,127.0.0.1:2231'), 'actor', 0,
     '--learner_hosts lists 2 learners; Ape-X has exactly one'),
])
def test_parse_refuses(mode, hosts, job, index, message):
  with pytest.raises(cli.UserError) as raised:
    topology.parse(mode, hosts, job, index)
  assert str(raised.value).startswith(message), raised.value


def test_a3c_topology():
  worker = topology.parse('a3c', dict(A3C, learner=None, actor=''),
                          'worker', 1)
  assert worker.jobs == (('ps', ('127.0.0.1:2222',)),
                         ('worker', ('127.0.0.1:2223', '127.0.0.1:2224')))
  assert worker.cluster_spec().as_dict() == {
      'ps': ['127.0.0.1:2222'],
      'worker': ['127.0.0.1:2223', '127.0.0.1:2224']}
  assert worker.hosts('worker') == ('127.0.0.1:2223', '127.0.0.1:2224')
  assert (worker.shared_job, worker.acting_job) == ('ps', 'worker')
  assert worker.num_acting == 2
  assert worker.task_name == 'worker:1'
  assert worker.address == '127.0.0.1:2224'
  assert worker.device() == '/job:worker/task:1'
  assert worker.device('ps') == '/job:ps/task:0'
  assert worker.device('worker', 0) == '/job:worker/task:0'
  assert worker.shared_device == '/job:ps/task:0'
  assert not worker.is_chief and not worker.is_server_only
  assert topology.parse('a3c', A3C, 'worker', 0).is_chief
  ps = topology.parse('a3c', A3C, 'ps', 0)
  assert ps.is_server_only and not ps.is_chief


def test_apex_topology():
  learner = topology.parse('apex', APEX, 'learner', 0)
  actor = topology.parse('apex', APEX, 'actor', 2)
  assert learner.is_chief and not actor.is_chief
  assert not learner.is_server_only and not actor.is_server_only
  assert (actor.shared_job, actor.acting_job) == ('learner', 'actor')
  assert actor.num_acting == 3
  assert actor.shared_device == '/job:learner/task:0'
  assert actor.device() == '/job:actor/task:2'
  assert actor.task_name == 'actor:2'


@pytest.mark.parametrize('mode, hosts, job, index, filters', [
    ('a3c', A3C, 'worker', 1, ['/job:ps', '/job:worker/task:1']),
    ('a3c', A3C, 'ps', 0, ['/job:ps']),
    ('apex', APEX, 'actor', 2, ['/job:learner', '/job:actor/task:2']),
    ('apex', APEX, 'learner', 0, ['/job:learner']),
])
def test_session_config(mode, hosts, job, index, filters):
  config = topology.parse(mode, hosts, job, index).session_config(2)
  assert list(config.device_filters) == filters
  assert config.intra_op_parallelism_threads == 2
  assert config.inter_op_parallelism_threads == 2
  assert config.allow_soft_placement


def test_start_server_refuses_a_port_in_use():
  with socket.socket() as other:
    other.bind(('127.0.0.1', 0))
    other.listen()
    port = other.getsockname()[1]
    hosts = {'ps': '127.0.0.1:%d' % _free_port(),
             'worker': '127.0.0.1:%d,127.0.0.1:%d' % (_free_port(), port)}
    with pytest.raises(cli.UserError, match=(
        r'^--worker_hosts: 127\.0\.0\.1:%d \(worker:1\) is in use by '
        r'another process$' % port)):
      topology.start_server(topology.parse('a3c', hosts, 'worker', 1))


def test_start_server_refuses_an_address_of_another_machine():
  # 192.0.2.0/24 is TEST-NET-1 (RFC 5737): no machine's address.
  hosts = {'learner': '192.0.2.1:%d' % _free_port(),
           'actor': '127.0.0.1:%d' % _free_port()}
  with pytest.raises(cli.UserError, match=(
      r'^--learner_hosts: 192\.0\.2\.1:\d+ \(learner:0\): 192\.0\.2\.1 is '
      r'not an address of this machine$')):
    topology.start_server(topology.parse('apex', hosts, 'learner', 0))


def test_servers_share_a_variable_on_loopback():
  # worker:1 never starts: the device filters spare the session from it.
  hosts = {'ps': '127.0.0.1:%d' % _free_port(),
           'worker': ['127.0.0.1:%d' % _free_port(),
                      '127.0.0.1:%d' % _free_port()]}
  topology.start_server(topology.parse('a3c', hosts, 'ps', 0))
  worker = topology.parse('a3c', hosts, 'worker', 0)
  server = topology.start_server(worker)
  with tf.Graph().as_default():
    with tf.device(worker.shared_device):
      variable = tf.Variable(3.0)
    with tf.Session(server.target,
                    config=worker.session_config(1)) as session:
      session.run(variable.initializer)
      assert session.run(variable.assign_add(2.0)) == 5.0
  assert variable.device == '/job:ps/task:0'
