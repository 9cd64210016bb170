"""Tests of the A2C agent's graph: n-step returns, loss, acting after train."""

import sys

import numpy as np
import pytest

from graphrl import envs
from graphrl.agents import a2c
from graphrl.compat import tf

FIRST, MID, LAST = 0, 1, 2


def _agent(num_envs=1, **overrides):
  """A2C on scalar observations x >= 0 with a one-unit torso."""
  config = dict(hidden_sizes=(1,), gamma=0.5, n_steps=3, num_envs=num_envs)
  config.update(overrides)
  return a2c.A2CAgent(envs.ArraySpec((1,), np.float32),
                      envs.BoundedArraySpec((), np.int64, 0, 1),
                      a2c.A2CConfig(**config))


def _set(sess, name, value):
  variable, = [v for v in tf.global_variables() if v.op.name == name]
  variable.load(np.asarray(value, np.float32), sess)


def _set_network(sess, policy_weights=(0., 1.)):
  """features = relu(x) = x, V(s) = x, logits = x * policy_weights."""
  for name, value in [('torso/output/weights', [[1.]]),
                      ('torso/output/biases', [0.]),
                      ('heads/value/weights', [[1.]]),
                      ('heads/value/biases', [0.]),
                      ('heads/policy/weights', [policy_weights]),
                      ('heads/policy/biases', [0., 0.])]:
    _set(sess, 'a2c/' + name, value)


def _feeds(agent, xs, actions, rewards, discounts, step_types):
  """Feeds storing one stream's steps; time-step arrays are [T + 1]."""
  feeds = []
  for t in range(len(actions)):
    feed = dict(zip(agent.transition, (
        [[xs[t]]], [actions[t]], [rewards[t + 1]], [discounts[t + 1]],
        [step_types[t]])))
    feed.update({agent.observ: [[xs[t + 1]]],
                 agent.step_type: [step_types[t + 1]]})
    feeds.append(feed)
  return feeds


def _fetch_at_last_store(sess, agent, feeds, fetch):
  for feed in feeds[:-1]:
    sess.run(agent.store, feed)
  return sess.run(fetch, feeds[-1])


def _truncated_rollout(discount):
  # FIRST x=1 -r1-> MID x=2 -r2-> LAST x=10 (d = discount) -> FIRST x=0
  # (the auto-reset, not a transition).
  return ([1., 2., 10., 0.], [1, 1, 1], [0., 1., 2., 0.],
          [1., 1., discount, 1.], [FIRST, MID, LAST, FIRST])


def test_erratum_truncation_bootstraps_from_the_final_observation(graph,
                                                                 sess):
  del graph
  # Seed 003 masks returns with `not done`, which gym sets at the time limit
  # too. gamma = 0.5, V(s) = x: a truncated episode (d = 1) bootstraps from
  # the final observation x = 10: G1 = 2 + 0.5 * 10 = 7, G0 = 1 + 0.5 * 7
  # = 4.5, mean 5.75; a termination (d = 0) gives G1 = 2, G0 = 2, mean 2.
  # The auto-reset slot is not trained on.
  agent = _agent()
  mean_return = agent.scalars['train/mean_return']
  sess.run(tf.global_variables_initializer())
  _set_network(sess)
  for discount, expected in ((1., 5.75), (0., 2.)):
    sess.run(agent.clear)
    got = _fetch_at_last_store(
        sess, agent, _feeds(agent, *_truncated_rollout(discount)),
        mean_return)
    np.testing.assert_allclose(got, expected, rtol=1e-6)


# A rollout within one episode: x = 1, 2, 3, then s_{t+n} has x = 6.
_ROLLOUT = ([1., 2., 3., 6.], [1, 0, 1], [0., 1., 1., 1.], [1.] * 4,
            [FIRST, MID, MID, MID])


def test_n_step_returns_bootstrap_from_the_next_observation(graph, sess):
  del graph
  # gamma = 0.5, V(s_3) = 6: G2 = 1 + 3 = 4, G1 = 1 + 2 = 3,
  # G0 = 1 + 1.5 = 2.5; mean 9.5 / 3.
  agent = _agent()
  sess.run(tf.global_variables_initializer())
  _set_network(sess)
  got = _fetch_at_last_store(sess, agent, _feeds(agent, *_ROLLOUT),
                             agent.scalars['train/mean_return'])
  np.testing.assert_allclose(got, 9.5 / 3, rtol=1e-6)


def test_loss_of_a_fixed_network_matches_numpy(graph, sess):
  del graph
  # logits = [0, x], so pi(1|x) = sigmoid(x); V = x = [1, 2, 3];
  # G = [2.5, 3, 4] (above), advantages G - V = [1.5, 1, 1]; actions
  # [1, 0, 1]. policy = -mean(adv * log pi(a|x)), value = mean((G - V)^2)
  # = 4.25 / 3, entropy = mean(-p ln p - (1 - p) ln(1 - p)), total =
  # policy + 0.5 value - 0.01 entropy.
  agent = _agent()
  sess.run(tf.global_variables_initializer())
  _set_network(sess)
  got = _fetch_at_last_store(
      sess, agent, _feeds(agent, *_ROLLOUT),
      [agent.loss, agent.scalars['train/policy_loss'],
       agent.scalars['train/value_loss'], agent.scalars['train/entropy']])
  x = np.array([1., 2., 3.])
  p1 = 1. / (1. + np.exp(-x))
  log_pi = np.log([p1[0], 1. - p1[1], p1[2]])
  policy = -np.mean(np.array([1.5, 1., 1.]) * log_pi)
  value = 4.25 / 3
  entropy = np.mean(-p1 * np.log(p1) - (1. - p1) * np.log(1. - p1))
  np.testing.assert_allclose(got[1:], [policy, value, entropy], rtol=1e-5)
  np.testing.assert_allclose(got[0], policy + 0.5 * value - 0.01 * entropy,
                             rtol=1e-5)


def test_act_after_train_samples_from_the_updated_policy(graph, sess):
  del graph
  # 64 members, one step each: x = 1, action 1, r = 1, next x = 1, so
  # G = 1 + 0.5 * V(1) = 1.5 > V(1) = 1: the update favours action 1. The
  # policy starts at pi(1|1) = sigmoid(-1) = 0.27; one Adam step of 100
  # makes it ~deterministic, so all 64 actions sampled after it are 1
  # (all 64 from the old policy: probability 0.27^64).
  n = 64
  agent = _agent(num_envs=n, n_steps=1, learning_rate=100.,
                 entropy_coef=0.)
  sess.run(tf.global_variables_initializer())
  _set_network(sess, policy_weights=(0., -1.))
  ones = np.ones([n, 1], np.float32)
  feed = dict(zip(agent.transition, (ones, np.ones(n, np.int64),
                                     np.ones(n), np.ones(n),
                                     np.full(n, MID))))
  feed.update({agent.observ: ones, agent.step_type: np.full(n, MID)})
  actions = sess.run(agent.act_after_train, feed)
  np.testing.assert_array_equal(actions, np.ones(n))
  assert sess.run(agent.train_steps) == 1
  assert sess.run(agent.buffer.size()) == 0
  assert sess.run(agent.env_steps) == n


@pytest.mark.parametrize('optimizer', a2c.OPTIMIZERS)
def test_a_train_step_moves_the_shared_torso(graph, sess, optimizer):
  del graph
  agent = _agent(optimizer=optimizer)
  torso = [v for v in agent.policy_variables if '/torso/' in v.name]
  assert len(agent.policy_variables) == 6 and len(torso) == 2
  sess.run(tf.global_variables_initializer())
  _set_network(sess)
  before = sess.run(torso)
  _fetch_at_last_store(sess, agent, _feeds(agent, *_ROLLOUT), agent.train)
  assert not np.array_equal(before[0], sess.run(torso)[0])


def test_full_rollout_buffer_fails_loudly(graph, sess):
  del graph
  agent = _agent(n_steps=2)
  sess.run(tf.global_variables_initializer())
  feeds = _feeds(agent, *_ROLLOUT)
  sess.run(agent.store, feeds[0])
  sess.run(agent.store, feeds[1])
  with pytest.raises(tf.errors.InvalidArgumentError,
                     match='run train after n_steps stores'):
    sess.run(agent.store, feeds[2])


@pytest.mark.parametrize('field, value, message', [
    ('torso', 'lstm', 'torso must be one of'),
    ('network', 'nature', 'network must be one of'),
    ('hidden_sizes', (), 'at least one torso layer'),
    ('optimizer', 'sgd', 'optimizer'), ('n_steps', 0, 'n_steps'),
    ('value_coef', -1., 'value_coef'), ('gamma', -0.1, 'gamma'),
    ('num_envs', 2.5, 'num_envs'),
])
def test_bad_config_is_refused(field, value, message):
  with pytest.raises(ValueError, match=message):
    a2c.A2CConfig(**{field: value}).validate()


def test_a3c_network_needs_frames(graph):
  del graph
  with pytest.raises(ValueError, match=r"network 'a3c' needs frame "
                     r"observations \[H, W, C\], got shape \(1,\)"):
    _agent(network='a3c')


def test_a3c_network_shares_its_conv_torso_between_the_heads(graph):
  del graph
  agent = a2c.A2CAgent(envs.ArraySpec((84, 84, 4), np.uint8),
                       envs.BoundedArraySpec((), np.int64, 0, 5),
                       a2c.A2CConfig(network='a3c', num_envs=2))
  shapes = {v.op.name: v.shape.as_list() for v in agent.policy_variables}
  # conv1 16x8x8/4 -> 20x20x16, conv2 32x4x4/2 -> 9x9x32 = 2592 -> 256.
  assert shapes['a2c/torso/conv1/weights'] == [8, 8, 4, 16]
  assert shapes['a2c/torso/fc/weights'] == [2592, 256]
  assert shapes['a2c/heads/policy/weights'] == [256, 6]
  assert shapes['a2c/heads/value/weights'] == [256, 1]
  assert len(shapes) == 10


if __name__ == '__main__':
  sys.exit(pytest.main([__file__]))
