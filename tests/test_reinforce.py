"""Tests of the REINFORCE agent's graph: returns, masks, loss, buffer."""

import sys

import numpy as np
import pytest

from graphrl import envs
from graphrl.agents import reinforce
from graphrl.compat import session_config
from graphrl.compat import tf

FIRST, MID, LAST = 0, 1, 2
LN2 = np.log(2.)


def _agent(obs_size=5, **overrides):
  """A linear policy (no hidden layers) over one-hot observations."""
  config = dict(hidden_sizes=(), gamma=0.5, baseline=False,
                normalize_returns=False, num_envs=2, max_episode_steps=5)
  config.update(overrides)
  return reinforce.ReinforceAgent(
      envs.ArraySpec((obs_size,), np.float32),
      envs.BoundedArraySpec((), np.int64, 0, 1),
      reinforce.ReinforceConfig(**config))


def _feeds(agent, observs, actions, rewards, discounts, step_types):
  """The feeds of storing T steps of N streams, one per `Session.run`.

  Time-step arrays are [N, T + 1] (observs [N, T + 1, D]); reward and
  discount at t belong to the step into time step t. actions are [N, T].
  """
  feeds = []
  for t in range(np.shape(actions)[1]):
    feed = dict(zip(agent.transition, (
        observs[:, t], actions[:, t], rewards[:, t + 1], discounts[:, t + 1],
        step_types[:, t])))
    feed.update({agent.observ: observs[:, t + 1],
                 agent.step_type: step_types[:, t + 1]})
    feeds.append(feed)
  return feeds


def _set(sess, name, value):
  variable, = [v for v in tf.global_variables() if v.op.name == name]
  variable.load(np.asarray(value, np.float32), sess)


# Two streams of 5 steps (6 time steps), observation t = one-hot e_t:
#   stream 0: FIRST -r1-> MID -r2-> LAST (terminated, d = 0) -> FIRST
#             (auto-reset: not a transition) -r4-> MID -r8-> LAST (truncated)
#   stream 1: FIRST -r3-> LAST (terminated) -> FIRST -r1-> MID -r1-> MID
#             -r1-> MID (unfinished tail)
_STEP_TYPES = np.array([[FIRST, MID, LAST, FIRST, MID, LAST],
                        [FIRST, LAST, FIRST, MID, MID, MID]])
_REWARDS = np.array([[0., 1., 2., 0., 4., 8.], [0., 3., 0., 1., 1., 1.]],
                    np.float32)
_DISCOUNTS = np.array([[1., 1., 0., 1., 1., 1.], [1., 0., 1., 1., 1., 1.]],
                      np.float32)
_OBSERVS = np.stack([np.eye(6, 5, dtype=np.float32)] * 2)
_ACTIONS = np.ones((2, 5), np.int64)
# gamma = 0.5, no baseline (truncation bootstraps from 0):
#   stream 0: G1 = 2, G0 = 1 + 0.5 * 2 = 2; slot 2 is the auto-reset;
#             G4 = 8, G3 = 4 + 0.5 * 8 = 8.
#   stream 1: G0 = 3; slot 1 is the auto-reset; slots 2-4 are the tail.
_KEPT_RETURNS = [2., 2., 8., 8., 3.]
# Policy logits [0, ln(t + 1)] at observation e_t, so pi(1 | e_t) =
# (t + 1) / (t + 2); the kept steps (slots 0, 1, 3, 4 and 0) took action 1.
_KEPT_LOG_PI = np.log([1. / 2, 2. / 3, 4. / 5, 5. / 6, 1. / 2])


def _store_all_and_get(sess, agent, fetch):
  """Stores the streams above; fetches `fetch` in the run of the last."""
  feeds = _feeds(agent, _OBSERVS, _ACTIONS, _REWARDS, _DISCOUNTS,
                 _STEP_TYPES)
  for feed in feeds[:-1]:
    sess.run(agent.store, feed)
  return sess.run(fetch, feeds[-1])


def _set_policy(sess):
  _set(sess, 'reinforce/policy/output/weights',
       np.stack([np.zeros(5), np.log(np.arange(1, 6))], axis=1))
  _set(sess, 'reinforce/policy/output/biases', [0., 0.])


def test_returns_and_masks_of_complete_episodes(graph, sess):
  del graph
  agent = _agent()
  sess.run(tf.global_variables_initializer())
  _set_policy(sess)
  loss, mean_return = _store_all_and_get(
      sess, agent, [agent.loss, agent.scalars['train/mean_return']])
  # mean G = 23 / 5 = 4.6. loss = -mean(G log pi)
  # = (5 ln 2 + 2 ln 1.5 + 8 ln(5/4) + 8 ln(6/5)) / 5 = ln 2 + 2 ln 1.5
  # = ln 4.5.
  np.testing.assert_allclose(mean_return, 4.6, rtol=1e-6)
  np.testing.assert_allclose(loss, np.log(4.5), rtol=1e-6)


def test_normalized_returns(graph, sess):
  del graph
  agent = _agent(normalize_returns=True)
  sess.run(tf.global_variables_initializer())
  _set_policy(sess)
  loss = _store_all_and_get(sess, agent, agent.loss)
  # G = [2, 2, 8, 8, 3]: mean 4.6, std sqrt((2 * 2.6^2 + 2 * 3.4^2 +
  # 1.6^2) / 5) = sqrt(7.84) = 2.8; w = (G - 4.6) / 2.8.
  weights = (np.array(_KEPT_RETURNS) - 4.6) / 2.8
  np.testing.assert_allclose(loss, -np.mean(weights * _KEPT_LOG_PI),
                             rtol=1e-5)


def test_erratum_normalized_returns_weight_the_loss(graph, sess):
  del graph
  # Seed 003 normalizes the returns after it computed the policy weights
  # from them, so the normalization has no effect. Under a uniform policy
  # (log pi = -ln 2) the loss is ln 2 * mean(w): 0 for normalized weights,
  # ln 2 * 4.6 for the raw returns the lecture uses.
  agent = _agent(normalize_returns=True)
  sess.run(tf.global_variables_initializer())
  _set(sess, 'reinforce/policy/output/weights', np.zeros((5, 2)))
  loss = _store_all_and_get(sess, agent, agent.loss)
  assert abs(loss) < 1e-6
  assert not np.isclose(loss, LN2 * 4.6)


def _truncated_episode(discount):
  """One stream: FIRST -r1-> MID -r2-> LAST with `discount`, obs e_0..e_2."""
  return (np.eye(3, dtype=np.float32)[None], np.ones((1, 2), np.int64),
          np.array([[0., 1., 2.]], np.float32),
          np.array([[1., 1., discount]], np.float32),
          np.array([[FIRST, MID, LAST]]))


def _returns_with_constant_baseline(sess, agent, discount):
  _set(sess, 'reinforce/value/output/biases', [10.])
  _set(sess, 'reinforce/value/output/weights', np.zeros((3, 1)))
  sess.run(agent.clear)
  feeds = _feeds(agent, *_truncated_episode(discount))
  sess.run(agent.store, feeds[0])
  return sess.run(agent.scalars['train/mean_return'], feeds[1])


def test_erratum_truncated_episode_bootstraps_from_the_baseline(graph, sess):
  del graph
  # Seed 003 masks the return with `not done`, and gym's done includes the
  # time limit. With V = 10 and gamma = 0.5, a truncated episode (d = 1)
  # gives G1 = 2 + 0.5 * V(s_2) = 7, G0 = 1 + 0.5 * 7 = 4.5 (mean 5.75);
  # only a termination (d = 0) gives G1 = 2, G0 = 2 (mean 2).
  agent = _agent(obs_size=3, baseline=True, num_envs=1)
  sess.run(tf.global_variables_initializer())
  np.testing.assert_allclose(
      _returns_with_constant_baseline(sess, agent, 1.0), 5.75, rtol=1e-6)
  np.testing.assert_allclose(
      _returns_with_constant_baseline(sess, agent, 0.0), 2.0, rtol=1e-6)


def test_baseline_loss(graph, sess):
  del graph
  # V = 10, uniform policy, truncated episode: G = [4.5, 7], w = G - V =
  # [-5.5, -3]. policy = -mean(w * -ln 2) = ln 2 * -4.25; value =
  # mean(0.5 (G - V)^2) = 0.5 * (30.25 + 9) / 2 = 9.8125.
  agent = _agent(obs_size=3, baseline=True, num_envs=1)
  sess.run(tf.global_variables_initializer())
  _set(sess, 'reinforce/policy/output/weights', np.zeros((3, 2)))
  _set(sess, 'reinforce/value/output/biases', [10.])
  _set(sess, 'reinforce/value/output/weights', np.zeros((3, 1)))
  feeds = _feeds(agent, *_truncated_episode(1.0))
  sess.run(agent.store, feeds[0])
  loss, value = sess.run([agent.loss, agent.scalars['train/value_loss']],
                         feeds[1])
  np.testing.assert_allclose(value, 9.8125, rtol=1e-6)
  np.testing.assert_allclose(loss, -4.25 * LN2 + 9.8125, rtol=1e-6)


def test_train_steps_once_and_clears_the_buffer(graph, sess):
  del graph
  agent = _agent()
  sess.run(tf.global_variables_initializer())
  weights = tf.trainable_variables()
  before = sess.run(weights)
  _store_all_and_get(sess, agent, agent.train)
  assert sess.run(agent.buffer.size()) == 0
  assert sess.run(agent.train_steps) == 1
  assert any(not np.array_equal(a, b)
             for a, b in zip(before, sess.run(weights)))


def test_same_seed_same_actions():
  # Two graphs with graph seed 3 sample the same actions.
  def sample():
    with tf.Graph().as_default():
      tf.set_random_seed(3)
      agent = _agent()
      with tf.Session(config=session_config()) as session:
        session.run(tf.global_variables_initializer())
        return session.run(agent.explore_action, {
            agent.observ: np.eye(5, dtype=np.float32)[[0] * 20],
            agent.step_type: [MID] * 20})
  np.testing.assert_array_equal(sample(), sample())


def test_acting_counts_steps_except_after_last(graph, sess):
  del graph
  # A LAST time step's next step is the auto-reset: 2 of 3 members count.
  agent = _agent()
  sess.run(tf.global_variables_initializer())
  observ = np.zeros((3, 5), np.float32)
  sess.run(agent.explore_action,
           {agent.observ: observ, agent.step_type: [FIRST, MID, LAST]})
  assert sess.run(agent.env_steps) == 2
  sess.run(agent.greedy_action, {agent.observ: observ})
  assert sess.run(agent.env_steps) == 2


def test_full_buffer_fails_loudly(graph, sess):
  del graph
  agent = _agent(max_episode_steps=2)
  sess.run(tf.global_variables_initializer())
  feeds = _feeds(agent, _OBSERVS, _ACTIONS, _REWARDS, _DISCOUNTS,
                 _STEP_TYPES)
  sess.run(agent.store, feeds[0])
  sess.run(agent.store, feeds[1])
  with pytest.raises(tf.errors.InvalidArgumentError,
                     match='an episode ran longer than max_episode_steps'):
    sess.run(agent.store, feeds[2])


def test_training_without_a_complete_episode_fails_loudly(graph, sess):
  del graph
  agent = _agent()
  sess.run(tf.global_variables_initializer())
  # Both streams MID -> MID: no episode finished.
  feeds = _feeds(agent, _OBSERVS, _ACTIONS, _REWARDS, _DISCOUNTS,
                 np.full((2, 6), MID))
  with pytest.raises(tf.errors.InvalidArgumentError,
                     match='REINFORCE trains on complete episodes'):
    sess.run(agent.train, feeds[0])


def test_one_step_batch_normalizes_to_a_finite_loss(graph, sess):
  del graph
  # One kept step: mean = G, std = 0, so w = 0 / (0 + eps) = 0 and loss 0.
  agent = _agent(obs_size=3, normalize_returns=True, num_envs=1)
  sess.run(tf.global_variables_initializer())
  feeds = _feeds(agent, np.eye(2, 3, dtype=np.float32)[None],
                 np.ones((1, 1), np.int64), np.array([[0., 5.]], np.float32),
                 np.array([[1., 0.]], np.float32), np.array([[FIRST, LAST]]))
  assert sess.run(agent.loss, feeds[0]) == 0.0


def test_discrete_actions_from_zero_are_required(graph):
  del graph
  spec = envs.ArraySpec((3,), np.float32)
  config = reinforce.ReinforceConfig()
  with pytest.raises(ValueError, match='discrete action space'):
    reinforce.ReinforceAgent(
        spec, envs.BoundedArraySpec((1,), np.float32, -1, 1), config)
  with pytest.raises(ValueError, match='must start at 0'):
    reinforce.ReinforceAgent(
        spec, envs.BoundedArraySpec((), np.int64, 1, 3), config)


@pytest.mark.parametrize('field, value, message', [
    ('gamma', 1.5, 'gamma'), ('learning_rate', 0.0, 'learning_rate'),
    ('num_envs', 0, 'num_envs'), ('max_episode_steps', 0, 'max_episode'),
    ('hidden_sizes', [32], 'hidden_sizes'), ('grad_clip', -1., 'grad_clip'),
    ('entropy_coef', -0.1, 'entropy_coef'),
])
def test_bad_config_is_refused(field, value, message):
  with pytest.raises(ValueError, match=message):
    reinforce.ReinforceConfig(**{field: value}).validate()


if __name__ == '__main__':
  sys.exit(pytest.main([__file__]))
