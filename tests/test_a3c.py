"""Tests of one A3C worker's graph on an in-process cluster (loopback).

A ps and two workers run as `tf.train.Server`s of this process; each
worker's graph is its own `tf.Graph`, so the shared parameters are found by
name on the ps, as separate processes find them.
"""

import numpy as np

from graphrl import cluster as graphrl_cluster
from graphrl import envs
from graphrl.agents import a2c
from graphrl.agents import a3c
from graphrl.compat import session_config
from graphrl.compat import tf

FIRST, MID = 0, 1
OBSERVATIONS = envs.ArraySpec((2,), np.float32)
ACTIONS = envs.BoundedArraySpec((), np.int64, 0, 1)
CONFIG = a2c.A2CConfig(hidden_sizes=(4,), n_steps=3, num_envs=1,
                       learning_rate=0.1)


def _cluster():
  """A started ps and two workers; returns (spec, [worker servers])."""
  ps, *workers = ['127.0.0.1:%d' % port
                   for port in graphrl_cluster.free_ports(3)]
  spec = tf.train.ClusterSpec({'ps': [ps], 'worker': workers})
  servers = [tf.train.Server(spec, job, task, config=session_config())
             for job, task in (('ps', 0), ('worker', 0), ('worker', 1))]
  return spec, servers[1:]


def _worker_graph(spec, task, seed):
  """Worker `task`'s graph: (graph, agent); `agent.copies` holds theta'."""
  graph = tf.Graph()
  device = '/job:worker/task:%d' % task
  with graph.as_default(), tf.device(device):
    tf.set_random_seed(seed)
    setter = tf.train.replica_device_setter(
        ps_device='/job:ps', worker_device=device, cluster=spec)
    agent = a3c.A3CAgent(OBSERVATIONS, ACTIONS, CONFIG, shared_device=setter)
    agent.copies = agent.policy_variables
  return graph, agent


def _rollout_feeds(agent):
  """Three stored steps of one stream; the last feed trains."""
  xs = [[1., 0.], [0., 1.], [1., 1.], [0., 0.]]
  feeds = []
  for t in range(3):
    feed = dict(zip(agent.transition, (
        [xs[t]], [t % 2], [1.], [1.], [FIRST if t == 0 else MID])))
    feed.update({agent.observ: [xs[t + 1]], agent.step_type: [MID]})
    feeds.append(feed)
  return feeds


def _train(sess, agent):
  feeds = _rollout_feeds(agent)
  for feed in feeds[:-1]:
    sess.run(agent.store, feed)
  return sess.run([agent.train, agent.steps_after_train], feeds[-1])[1]


def _values(sess, variables):
  return [sess.run(v) for v in variables]


def test_shared_parameters_live_on_the_ps_and_the_copies_on_the_worker():
  spec = tf.train.ClusterSpec({'ps': ['127.0.0.1:1', '127.0.0.1:2'],
                               'worker': ['127.0.0.1:3']})
  graph, agent = _worker_graph(spec, 0, seed=0)
  copies = agent.copies
  with graph.as_default():
    trainable = tf.trainable_variables()
  assert len(agent.shared_variables) == len(copies)
  for copy, shared in zip(copies, agent.shared_variables):
    assert copy.device == '/job:worker/task:0'
    assert shared.op.name == 'a2c/shared/' + copy.op.name[len('a2c/'):]
    assert shared.device.startswith('/job:ps/task:')
    assert shared not in trainable
  # replica_device_setter shards the shared variables over both ps tasks.
  assert {v.device for v in agent.shared_variables} == {
      '/job:ps/task:0', '/job:ps/task:1'}
  for counter in (agent.env_steps, agent.train_steps):
    assert counter.device.startswith('/job:ps/task:')
  assert agent.local_env_steps.device == '/job:worker/task:0'


def test_an_update_trains_the_shared_parameters_and_every_worker_syncs():
  spec, (server0, server1) = _cluster()
  graph0, agent0 = _worker_graph(spec, 0, seed=0)
  graph1, agent1 = _worker_graph(spec, 1, seed=1)
  config = session_config()
  with tf.Session(server0.target, graph=graph0, config=config) as sess0, \
      tf.Session(server1.target, graph=graph1, config=config) as sess1:
    with graph0.as_default():
      sess0.run(tf.global_variables_initializer())
    with graph1.as_default():  # A non-chief initializes its own only.
      own = [v for v in tf.global_variables() + tf.local_variables()
             if not v.device.startswith('/job:ps')]
      sess1.run(tf.variables_initializer(own))
    sess0.run(agent0.sync_target)
    before = _values(sess0, agent0.shared_variables)
    assert all(np.array_equal(a, b) for a, b in zip(
        before, _values(sess0, agent0.copies)))
    # Worker 0's rollout of 3 steps: the shared parameters move, its copy
    # follows them, T counts the 3 steps.
    assert _train(sess0, agent0) == 3
    after = _values(sess0, agent0.shared_variables)
    assert any(not np.array_equal(a, b) for a, b in zip(before, after))
    assert all(np.array_equal(a, b) for a, b in zip(
        after, _values(sess0, agent0.copies)))
    # Worker 1 sees the same shared variables by name; its sync copies them.
    assert all(np.array_equal(a, b) for a, b in zip(
        after, _values(sess1, agent1.shared_variables)))
    sess1.run(agent1.sync_target)
    assert all(np.array_equal(a, b) for a, b in zip(
        after, _values(sess1, agent1.copies)))
    assert _train(sess1, agent1) == 6
    assert sess0.run(agent0.train_steps) == 2
    # Acting counts this worker's own steps; the shared T counts at updates.
    for _ in range(2):
      sess1.run(agent1.explore_action, {agent1.observ: [[0., 1.]],
                                        agent1.step_type: [MID]})
    assert sess1.run(agent1.local_env_steps) == 2
    assert sess1.run(agent1.env_steps) == 6


def test_the_shared_update_is_the_a2c_update_of_the_same_weights():
  # Applied to theta with theta' = theta, A3C's step is A2C's: the gradient
  # of the same loss, the same optimizer.
  spec, (server0, _) = _cluster()
  graph, agent = _worker_graph(spec, 0, seed=0)
  with tf.Session(server0.target, graph=graph,
                  config=session_config()) as sess:
    with graph.as_default():
      sess.run(tf.global_variables_initializer())
    sess.run(agent.sync_target)
    start = _values(sess, agent.shared_variables)
    _train(sess, agent)
    a3c_after = _values(sess, agent.shared_variables)
  plain = tf.Graph()
  with plain.as_default():
    agent2 = a2c.A2CAgent(OBSERVATIONS, ACTIONS, CONFIG)
    with tf.Session(config=session_config()) as sess:
      sess.run(tf.global_variables_initializer())
      for variable, value in zip(agent2.policy_variables, start):
        variable.load(value, sess)
      _train_plain(sess, agent2)
      a2c_after = _values(sess, agent2.policy_variables)
  for ours, theirs in zip(a3c_after, a2c_after):
    np.testing.assert_allclose(ours, theirs, rtol=1e-6, atol=1e-7)


def _train_plain(sess, agent):
  feeds = _rollout_feeds(agent)
  for feed in feeds[:-1]:
    sess.run(agent.store, feed)
  sess.run(agent.train, feeds[-1])
