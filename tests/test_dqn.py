"""Tests of the DQN agent's graph and its training loop on a user env."""

import csv
import sys

import numpy as np
import pytest

from graphrl.agents import dqn
from graphrl.compat import tf
from graphrl import envs
from graphrl import networks
from graphrl.training import checkpoints
from graphrl.training import off_policy
from graphrl.training import run as run_lib
from toy_envs import Corridor
from toy_envs import CORRIDOR_LENGTH


def _train_on_the_corridor(logdir, every, **overrides):
  """Trains DQN (seed 0) 1500 steps on the corridor, evaluating and
  checkpointing every `every` steps; returns the run's summary."""
  tf.set_random_seed(0)
  env = Corridor()
  config = dqn.DQNConfig(hidden_sizes=(16,), gamma=0.9, batch_size=16,
                         replay_capacity=1000, epsilon_steps=600,
                         target_decay=0.9, **overrides)
  agent = dqn.DQNAgent(env.observation_spec(), env.action_spec(), config)
  eval_env = envs.BatchedPyEnvironment([Corridor() for _ in range(3)])
  loop = off_policy.LoopConfig(num_steps=1500, learning_starts=100,
                               eval_every=every, eval_episodes=3,
                               checkpoint_every=every, keep_checkpoints=1,
                               progress_every_s=1e6)
  stepping = off_policy.OffPolicyLoop(agent, env, loop)
  return run_lib.Run(agent, eval_env, str(logdir), loop,
                     {'agent': 'dqn', 'env': 'corridor'}).train(stepping)


def test_trains_on_a_user_environment(tmp_path, graph):
  del graph
  result = _train_on_the_corridor(tmp_path, 500)
  # Greedy episodes walk straight right: return 1 after 4 steps.
  assert result['eval']['min_return'] == 1.0
  assert result['eval']['mean_length'] == CORRIDOR_LENGTH - 1
  # Besides the latest checkpoint, that of the first best evaluation stays.
  with open(tmp_path / 'evaluations.csv', encoding='utf-8') as f:
    evals = [(float(row['mean_return']), -int(row['step']))
             for row in csv.DictReader(f)]
  assert [-step for _, step in evals] == [500, 1000, 1500]
  score, step = max(evals)
  manager = checkpoints.CheckpointManager(str(tmp_path), None, {})
  assert manager.best() == (-step, score)
  assert manager.steps() == sorted({-step, 1500})


@pytest.mark.parametrize('overrides', [
    {},
    dict(double_q=True, dueling=True, n_step=3, replay='prioritized'),
    dict(target_update='hard', target_update_period=50, kappa=2.0),
], ids=['plain', 'double_dueling_3step_prioritized', 'hard_target_kappa2'])
def test_quantile_head_trains_on_a_user_environment(tmp_path, graph,
                                                    overrides):
  del graph
  result = _train_on_the_corridor(tmp_path, 1500, head='quantile',
                                  num_quantiles=11, **overrides)
  assert result['eval']['min_return'] == 1.0
  assert result['eval']['mean_length'] == CORRIDOR_LENGTH - 1


def test_continuous_actions_are_refused(graph):
  del graph
  with pytest.raises(ValueError, match='discrete action space'):
    dqn.DQNAgent(envs.ArraySpec((3,), np.float32),
                 envs.BoundedArraySpec((1,), np.float32, -1, 1),
                 dqn.DQNConfig())


@pytest.mark.parametrize('field, value, message', [
    ('gamma', 1.5, 'gamma'), ('learning_rate', 0.0, 'learning_rate'),
    ('replay_capacity', 8, 'replay_capacity'), ('tau', 0.0, 'tau'),
    ('num_envs', 0, 'num_envs'), ('num_envs', 3, 'multiple of num_envs'),
    ('n_step', 0, 'n_step must be a positive int'),
    ('network', 'nature2', 'network must be one of'),
    ('head', 'iqn', 'head must be one of'),
    ('num_quantiles', 0, 'num_quantiles must be a positive int'),
    ('num_quantiles', 2.5, 'num_quantiles must be a positive int'),
    ('kappa', 0.0, 'kappa must be positive'),
])
def test_bad_config_is_refused(field, value, message):
  config = dqn.DQNConfig(**{field: value, 'batch_size': 16})
  with pytest.raises(ValueError, match=message):
    config.validate()


def test_several_envs_have_no_single_transition_store(graph):
  # The Python loop's store appends one transition; N > 1 envs store
  # through store_batch (the in-graph loop).
  agent = _agent(num_envs=2, replay_capacity=4)
  assert agent.store is None and agent.buffer.num_streams == 2
  with tf.Graph().as_default():
    assert _agent().store is not None


def _agent(**overrides):
  spec = envs.ArraySpec((2,), np.float32)
  actions = envs.BoundedArraySpec((), np.int64, 0, 2)
  config = dqn.DQNConfig(**dict(dict(hidden_sizes=(4,), batch_size=1,
                                     replay_capacity=1), **overrides))
  return dqn.DQNAgent(spec, actions, config)


def _feed(agent, s, a, r, s2, discount):
  """Feeds one transition; storing it also acts (control dependency)."""
  feed = dict(zip(agent.transition, (s, a, r, s2, discount)))
  feed[agent.observ] = s[None]
  return feed


def _numpy_q(sess, scope, observ):
  """Q-values of the MLP under `scope`, computed with numpy."""
  w1, b1, w2, b2 = sess.run(
      tf.get_collection(tf.GraphKeys.GLOBAL_VARIABLES, scope + '/'))
  return np.maximum(observ @ w1 + b1, 0) @ w2 + b2


def _numpy_theta(sess, scope, observ, num_quantiles):
  """Quantiles [B, A, N] of the MLP quantile head under `scope`."""
  out = _numpy_q(sess, scope, observ)
  return out.reshape(len(observ), -1, num_quantiles)


def _numpy_quantile_loss(theta, target, kappa=1.):
  """sum_i mean_j |tau_i - 1{u_ij < 0}| L_kappa(u_ij) / kappa of one sample,
  theta [N], target [M]."""
  tau = (2. * np.arange(len(theta)) + 1.) / (2. * len(theta))
  u = target[None, :] - theta[:, None]
  huber = np.where(np.abs(u) <= kappa, 0.5 * u ** 2,
                   kappa * (np.abs(u) - 0.5 * kappa))
  return (np.abs(tau[:, None] - (u < 0)) * huber / kappa).mean(1).sum()


def test_quantile_q_values_are_the_means_of_the_quantiles(graph, sess):
  del graph
  agent = _agent(head='quantile', num_quantiles=4)
  sess.run(tf.global_variables_initializer())
  observ = np.array([[1.0, -2.0], [0.5, 3.0]], np.float32)
  theta = _numpy_theta(sess, 'dqn/q', observ, 4)
  assert theta.shape == (2, 3, 4)
  with tf.variable_scope('dqn'):  # The agent's variables.
    q_values = agent.q_values(agent.observ)
  q, greedy = sess.run([q_values, agent.greedy_action],
                       {agent.observ: observ})
  np.testing.assert_allclose(q, theta.mean(axis=2), rtol=1e-5, atol=1e-6)
  np.testing.assert_array_equal(greedy, theta.mean(axis=2).argmax(axis=1))


def test_quantile_loss_of_a_terminal_transition(graph, sess):
  del graph
  # Terminal (discount 0): every target sample is T_j = r = 1.5; kappa = 0.5.
  agent = _agent(head='quantile', num_quantiles=3, kappa=0.5)
  sess.run(tf.global_variables_initializer())
  s = np.array([0.5, -1.0], np.float32)
  feed = _feed(agent, s, 2, 1.5, np.zeros(2, np.float32), 0.0)
  theta = _numpy_theta(sess, 'dqn/q', s[None], 3)[0, 2]
  np.testing.assert_allclose(
      sess.run(agent.loss, feed),
      _numpy_quantile_loss(theta, np.full(3, 1.5), 0.5), rtol=1e-5)


def test_quantile_loss_bootstraps_from_the_target_quantiles(graph, sess):
  del graph
  # T_j = r + gamma * theta_T,j(s', a*), a* = argmax_a mean_j theta_T,j(s',
  # a), with theta_T = theta at the start (EMA shadows).
  agent = _agent(head='quantile', num_quantiles=5, gamma=0.9)
  sess.run(tf.global_variables_initializer())
  s = np.array([1.0, 2.0], np.float32)
  s2 = np.array([-1.0, 0.5], np.float32)
  feed = _feed(agent, s, 0, 0.25, s2, 1.0)
  theta = _numpy_theta(sess, 'dqn/q', np.stack([s, s2]), 5)
  target = 0.25 + 0.9 * theta[1, theta[1].mean(axis=1).argmax()]
  np.testing.assert_allclose(sess.run(agent.loss, feed),
                             _numpy_quantile_loss(theta[0, 0], target),
                             rtol=1e-5)


@pytest.mark.parametrize('double_q', [False, True])
def test_quantile_target_action_is_the_argmax_of_the_mean(graph, sess,
                                                          double_q):
  del graph
  # Hard targets, synced, then the online biases of the target network's
  # worst action at s' raised by 10: the online and target networks prefer
  # other actions. T_j = r + gamma * theta_T,j(s', a*) with a* = argmax_a
  # mean_j theta_T,j(s', a), or with Double DQN of the online theta_j.
  agent = _agent(head='quantile', num_quantiles=3, gamma=0.5,
                 double_q=double_q, target_update='hard',
                 target_update_period=100)
  sess.run(tf.global_variables_initializer())
  sess.run(agent.sync_target)
  s = np.array([1.0, -1.0], np.float32)
  s2 = np.array([0.3, 0.8], np.float32)
  target_theta = _numpy_theta(sess, 'dqn/q_target', s2[None], 3)[0]
  best, worst = (target_theta.mean(axis=1).argmax(),
                 target_theta.mean(axis=1).argmin())
  biases, = [v for v in networks.get_variables('dqn/q')
             if v.op.name == 'dqn/q/quantiles/biases']
  raise_worst = np.zeros(9, np.float32)
  raise_worst[3 * worst:3 * worst + 3] = 10.
  sess.run(biases.assign_add(raise_worst))
  online = _numpy_theta(sess, 'dqn/q', np.stack([s, s2]), 3)
  assert online[1].mean(axis=1).argmax() == worst != best
  feed = _feed(agent, s, 1, 1.0, s2, 1.0)
  loss = sess.run(agent.loss, feed)
  for action in (best, worst):
    expected = _numpy_quantile_loss(online[0, 1],
                                    1.0 + 0.5 * target_theta[action])
    if action == (worst if double_q else best):
      np.testing.assert_allclose(loss, expected, rtol=1e-5)
    else:
      assert not np.isclose(loss, expected, rtol=1e-3)


def test_quantile_priorities_are_the_per_sample_losses(graph, sess):
  del graph
  agent = _agent(head='quantile', num_quantiles=3, replay='prioritized',
                 priority_epsilon=0.0, learning_rate=1e-9)
  sess.run(tf.global_variables_initializer())
  s = np.array([0.5, 0.5], np.float32)
  feed = _feed(agent, s, 0, 2.0, s, 0.0)
  theta = _numpy_theta(sess, 'dqn/q', s[None], 3)[0, 0]
  sess.run(agent.train, feed)
  # p = l = the quantile Huber loss of T_j = 2 (learning rate ~0).
  np.testing.assert_allclose(sess.run(agent.buffer.priorities()),
                             [_numpy_quantile_loss(theta, np.full(3, 2.0))],
                             rtol=1e-4)


def test_loss_of_a_terminal_transition(graph, sess):
  del graph
  # One stored terminal transition (s, a=2, r=1.5, discount 0): the target is
  # y = r = 1.5 (the lecture's tf.where would make it 0), and with MSE the
  # loss is 0.5 * (1.5 - Q(s, 2))^2 for the online network's Q(s, 2).
  agent = _agent(loss='mse', gamma=0.9)
  sess.run(tf.global_variables_initializer())
  s = np.array([0.5, -1.0], np.float32)
  feed = _feed(agent, s, 2, 1.5, np.zeros(2, np.float32), 0.0)
  q = _numpy_q(sess, 'dqn/q', s[None])[0]
  loss = sess.run(agent.loss, feed)
  np.testing.assert_allclose(loss, 0.5 * (1.5 - q[2]) ** 2, rtol=1e-5)


def test_loss_bootstraps_from_the_target_network(graph, sess):
  del graph
  # Non-terminal (discount 1): y = r + gamma * max_a' Q_T(s', a'), with
  # Q_T = Q at the start (EMA shadows start at the weights).
  agent = _agent(loss='mse', gamma=0.9)
  sess.run(tf.global_variables_initializer())
  s = np.array([1.0, 2.0], np.float32)
  s2 = np.array([-1.0, 0.5], np.float32)
  feed = _feed(agent, s, 0, 0.25, s2, 1.0)
  q = _numpy_q(sess, 'dqn/q', np.stack([s, s2]))
  target = 0.25 + 0.9 * q[1].max()
  np.testing.assert_allclose(sess.run(agent.loss, feed),
                             0.5 * (target - q[0, 0]) ** 2, rtol=1e-5)


def test_double_q_evaluates_the_online_argmax_with_the_target(graph, sess):
  del graph
  # Hard targets: after one train step the online net moved but the target
  # did not (period 100), so y = r + gamma * Q_T(s', argmax_a Q(s', a)).
  agent = _agent(loss='mse', gamma=0.5, double_q=True, target_update='hard',
                 target_update_period=100, learning_rate=0.1)
  sess.run(tf.global_variables_initializer())
  sess.run(agent.sync_target)
  s = np.array([1.0, -1.0], np.float32)
  s2 = np.array([0.3, 0.8], np.float32)
  feed = _feed(agent, s, 1, 1.0, s2, 1.0)
  sess.run(agent.train, feed)
  q_online = _numpy_q(sess, 'dqn/q', np.stack([s, s2]))
  q_target = _numpy_q(sess, 'dqn/q_target', s2[None])[0]
  assert not np.allclose(q_online[1], q_target)
  target = 1.0 + 0.5 * q_target[np.argmax(q_online[1])]
  np.testing.assert_allclose(sess.run(agent.loss, feed),
                             0.5 * (target - q_online[0, 1]) ** 2, rtol=1e-5)


def test_hard_target_copies_every_period(graph, sess):
  del graph
  agent = _agent(target_update='hard', target_update_period=3,
                 learning_rate=0.1)
  sess.run(tf.global_variables_initializer())
  sess.run(agent.sync_target)
  feed = _feed(agent, np.ones(2, np.float32), 1, 1.0, np.zeros(2, np.float32),
               0.0)
  online = tf.get_collection(tf.GraphKeys.GLOBAL_VARIABLES, 'dqn/q/')
  target = tf.get_collection(tf.GraphKeys.GLOBAL_VARIABLES, 'dqn/q_target/')
  initial = sess.run(target)
  for step in (1, 2, 3):
    sess.run(agent.train, feed)
    same = all(np.array_equal(a, b) for a, b in zip(sess.run(target), initial))
    assert same == (step < 3)
  for a, b in zip(sess.run(online), sess.run(target)):
    np.testing.assert_array_equal(a, b)


def test_prioritized_replay_sets_priorities_to_td_errors(graph, sess):
  del graph
  agent = _agent(replay='prioritized', loss='mse', priority_epsilon=0.0,
                 learning_rate=1e-9)
  sess.run(tf.global_variables_initializer())
  s = np.array([0.5, 0.5], np.float32)
  feed = _feed(agent, s, 0, 2.0, s, 0.0)
  q = _numpy_q(sess, 'dqn/q', s[None])[0]
  sess.run(agent.train, feed)
  # p = |y - Q(s, a)| = |2 - Q(s, 0)| (learning rate ~0: Q unchanged).
  np.testing.assert_allclose(sess.run(agent.buffer.priorities()),
                             [abs(2.0 - q[0])], rtol=1e-4)


def test_acting_counts_env_steps_and_decays_epsilon(graph, sess):
  del graph
  agent = _agent(epsilon_schedule='linear', epsilon_steps=10,
                 epsilon_initial=1.0, epsilon_final=0.0)
  sess.run(tf.global_variables_initializer())
  assert sess.run(agent.epsilon) == 1.0
  observ = np.zeros((4, 2), np.float32)
  sess.run(agent.explore_action, {agent.observ: observ})
  # 4 steps of a linear 1 -> 0 schedule over 10 steps: 0.6.
  assert sess.run(agent.env_steps) == 4
  np.testing.assert_allclose(sess.run(agent.epsilon), 0.6, rtol=1e-6)
  sess.run(agent.greedy_action, {agent.observ: observ})
  assert sess.run(agent.env_steps) == 4


if __name__ == '__main__':
  sys.exit(pytest.main([__file__]))
