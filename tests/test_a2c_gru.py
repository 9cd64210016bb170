"""Tests of A2C's recurrent (GRU) torso: carried state, rollouts, greedy."""

import sys

import numpy as np
import pytest

from graphrl import envs
from graphrl.agents import a2c
from graphrl.compat import tf
from graphrl.envs import masked
from graphrl.training import episode_log
from graphrl.training import on_policy
from graphrl.training import run as run_lib

FIRST, MID, LAST = 0, 1, 2


def _agent(num_envs=2, obs_size=1, **overrides):
  """A2C with a GRU torso on [obs_size] observations and two actions."""
  config = dict(hidden_sizes=(1,), gru_units=1, gamma=0.5, n_steps=2,
                num_envs=num_envs, torso='gru')
  config.update(overrides)
  return a2c.A2CAgent(envs.ArraySpec((obs_size,), np.float32),
                      envs.BoundedArraySpec((), np.int64, 0, 1),
                      a2c.A2CConfig(**config))


def _set_network(sess):
  """x >= 0: features x; h' = h / 2 + tanh(x) / 2; V = h; logits [0, h].

  Zero gate weights and biases make both gates sigmoid(0) = 1/2, so
  h' = z h + (1 - z) h~ = h / 2 + h~ / 2 with h~ = tanh(1 * x + 0 * r h).
  """
  for name, value in [('torso/output/weights', [[1.]]),
                      ('torso/output/biases', [0.]),
                      ('gru/gates/weights', np.zeros([2, 2])),
                      ('gru/gates/biases', [0., 0.]),
                      ('gru/candidate/weights', [[1.], [0.]]),
                      ('gru/candidate/biases', [0.]),
                      ('heads/value/weights', [[1.]]),
                      ('heads/value/biases', [0.]),
                      ('heads/policy/weights', [[0., 1.]]),
                      ('heads/policy/biases', [0., 0.])]:
    variable, = [v for v in tf.global_variables()
                 if v.op.name == 'a2c/' + name]
    variable.load(np.asarray(value, np.float32), sess)


def _gru(h, x):
  """The hand-set cell of `_set_network`."""
  return 0.5 * np.asarray(h) + 0.5 * np.tanh(x)


def _act(sess, agent, xs, step_types, fetches=None):
  return sess.run(agent.explore_action if fetches is None else fetches, {
      agent.observ: np.reshape(xs, [-1, 1]), agent.step_type: step_types})


def _start(sess):
  sess.run([tf.global_variables_initializer(),
            tf.local_variables_initializer()])
  _set_network(sess)


def _column(values):
  return np.reshape(values, [-1, 1])


def test_erratum_acting_carries_the_gru_state(graph, sess):
  del graph
  # Seed 000 discards the GRU's final state (`h4, _ = dynamic_rnn(...)`), so
  # every acting call starts from h = 0 and would give h2 = tanh(x2) / 2.
  # Carried: h1 = tanh([1, 2]) / 2, h2 = h1 / 2 + tanh([3, 4]) / 2.
  agent = _agent()
  _start(sess)
  _act(sess, agent, [1., 2.], [FIRST, FIRST])
  h1 = _gru(0., [1., 2.])
  np.testing.assert_allclose(sess.run(agent.state), _column(h1), rtol=1e-6)
  _act(sess, agent, [3., 4.], [MID, MID])
  np.testing.assert_allclose(sess.run(agent.state),
                             _column(_gru(h1, [3., 4.])), rtol=1e-6)


def test_state_is_zeroed_where_an_episode_starts(graph, sess):
  del graph
  # Env 0 goes on (h = h1 / 2 + tanh(3) / 2); env 1 starts an episode at
  # x = 4: h = 0 / 2 + tanh(4) / 2.
  agent = _agent()
  _start(sess)
  _act(sess, agent, [1., 2.], [FIRST, MID])
  h1 = _gru(0., [1., 2.])
  _act(sess, agent, [3., 4.], [MID, FIRST])
  np.testing.assert_allclose(
      sess.run(agent.state), _column([_gru(h1[0], 3.), _gru(0., 4.)]),
      rtol=1e-6)


def test_logits_read_the_new_state(graph, sess):
  del graph
  # logits = [0, V] = [0, h] with h = tanh([1, 2]) / 2 from h = 0.
  agent = _agent()
  _start(sess)
  logits = _act(sess, agent, [1., 2.], [FIRST, MID], agent.logits)
  h = _gru(0., [1., 2.])
  np.testing.assert_allclose(logits, np.stack([[0., 0.], h], 1), rtol=1e-6)


def _store_feed(agent, prev_xs, actions, rewards, prev_types, xs, types):
  feed = dict(zip(agent.transition, (
      _column(prev_xs), actions, rewards, np.ones(len(actions)), prev_types)))
  feed.update({agent.observ: _column(xs), agent.step_type: types})
  return feed


def test_storing_reads_the_state_without_advancing_it(graph, sess):
  del graph
  # A train run stores V(s') from the state, then acts from the same state
  # with the new weights: the store alone must leave the state alone.
  agent = _agent()
  _start(sess)
  _act(sess, agent, [1., 2.], [FIRST, FIRST])
  before = sess.run(agent.state)
  sess.run(agent.store, _store_feed(agent, [1., 2.], [0, 1], [1., 1.],
                                    [FIRST, FIRST], [3., 4.], [MID, MID]))
  np.testing.assert_array_equal(sess.run(agent.state), before)


def test_clear_stores_the_rollout_start_state(graph, sess):
  del graph
  agent = _agent()
  _start(sess)
  _act(sess, agent, [1., 2.], [FIRST, FIRST])
  assert not sess.run(agent.rollout_start).any()
  sess.run(agent.clear)
  np.testing.assert_allclose(sess.run(agent.rollout_start),
                             _column(_gru(0., [1., 2.])), rtol=1e-6)


def test_train_bootstraps_from_the_state_after_the_rollout(graph, sess):
  del graph
  # One env, n_steps = 2, gamma = 0.5, r = 1, V = h: x0 = 1 (FIRST), x1 = 2,
  # then s' = x2 = 3. Acting: h0 = tanh(1) / 2, h1 = h0 / 2 + tanh(2) / 2,
  # and the bootstrap V(x2) = h2 = h1 / 2 + tanh(3) / 2 (from h = 0 it
  # would be tanh(3) / 2). G1 = 1 + h2 / 2, G0 = 1 + G1 / 2. The recomputed
  # values from rollout_start = 0 are V(x0) = h0 and V(x1) = h1.
  agent = _agent(num_envs=1, learning_rate=1e-9)
  _start(sess)
  sess.run(agent.clear)
  _act(sess, agent, [1.], [FIRST])
  sess.run([agent.explore_action, agent.store], _store_feed(
      agent, [1.], [1], [1.], [FIRST], [2.], [MID]))
  h0 = _gru(0., 1.)
  h1 = _gru(h0, 2.)
  h2 = _gru(h1, 3.)
  mean_return, mean_value, _ = sess.run(
      [agent.scalars['train/mean_return'], agent.scalars['train/mean_value'],
       agent.act_after_train],
      _store_feed(agent, [2.], [0], [1.], [MID], [3.], [MID]))
  g1 = 1. + 0.5 * h2
  g0 = 1. + 0.5 * g1
  np.testing.assert_allclose(mean_return, (g0 + g1) / 2, rtol=1e-6)
  np.testing.assert_allclose(mean_value, (h0 + h1) / 2, rtol=1e-6)
  # The next rollout starts before x2, at h1; acting after the (tiny)
  # update advanced the state by x2 from h1.
  np.testing.assert_allclose(sess.run(agent.rollout_start), [[h1]],
                             rtol=1e-6)
  np.testing.assert_allclose(sess.run(agent.state), [[h2]], rtol=1e-5)


def test_recomputed_log_probs_equal_those_of_acting(graph, sess):
  del graph
  # Random weights and observations; the acting state is non-zero when the
  # rollout starts, and env 1 starts an episode within it. The train graph's
  # logits of the stored steps, unrolled from rollout_start, must equal the
  # logits the actions were sampled from.
  n, steps = 2, 4
  agent = _agent(num_envs=n, obs_size=3, hidden_sizes=(8,), gru_units=4,
                 n_steps=steps)
  sess.run([tf.global_variables_initializer(),
            tf.local_variables_initializer()])
  rng = np.random.RandomState(0)
  xs = rng.normal(size=[steps + 3, n, 3]).astype(np.float32)
  types = np.array([[FIRST, FIRST], [MID, MID], [MID, MID], [MID, MID],
                    [MID, FIRST], [MID, MID], [MID, MID]], np.int32)

  def feed(t):
    return {agent.observ: xs[t], agent.step_type: types[t]}

  sess.run(agent.explore_action, feed(0))  # Warm up the state.
  sess.run(agent.explore_action, feed(1))
  sess.run(agent.clear)
  acting_logits, actions = [], []
  for t in range(2, 2 + steps + 1):
    step = feed(t)
    if actions:
      step.update(zip(agent.transition, (
          xs[t - 1], actions[-1], np.ones(n), np.ones(n), types[t - 1])))
    fetch = (agent.rollout_logits if t == 2 + steps
             else [agent.logits, agent.explore_action])
    if t < 2 + steps and actions:
      fetch = fetch + [agent.store]
    result = sess.run(fetch, step)
    if t < 2 + steps:
      acting_logits.append(result[0])
      actions.append(result[1])
  acting_logits = np.stack(acting_logits, 1)  # [N, T, A]
  actions = np.stack(actions, 1)

  def log_probs(logits):
    shifted = logits - logits.max(-1, keepdims=True)
    log_pi = shifted - np.log(np.exp(shifted).sum(-1, keepdims=True))
    return np.take_along_axis(log_pi, actions[..., None], -1)[..., 0]

  assert sess.run(agent.train_steps) == 0
  assert np.abs(sess.run(agent.rollout_start)).max() > 0.01
  np.testing.assert_allclose(result, acting_logits, rtol=1e-5, atol=1e-6)
  np.testing.assert_allclose(log_probs(result), log_probs(acting_logits),
                             rtol=1e-5, atol=1e-6)


def test_greedy_carries_its_own_state(graph, sess):
  del graph
  # Three evaluation envs: after eval_reset h = tanh(x) / 2, then
  # h / 2 + tanh(1) / 2; the training state stays 0.
  agent = _agent()
  _start(sess)
  sess.run(agent.eval_reset)
  greedy = {agent.observ: _column([1., 2., 3.])}
  sess.run(agent.greedy_action, greedy)
  sess.run(agent.greedy_action, {agent.observ: _column([1., 1., 1.])})
  np.testing.assert_allclose(
      sess.run(agent.eval_state), _column(_gru(_gru(0., [1., 2., 3.]), 1.)),
      rtol=1e-6)
  assert not sess.run(agent.state).any()
  with pytest.raises(tf.errors.InvalidArgumentError,
                     match='run eval_reset before a new batch'):
    sess.run(agent.greedy_action, {agent.observ: _column([1., 1.])})
  sess.run(agent.eval_reset)
  sess.run(agent.greedy_action, {agent.observ: _column([2., 2.])})
  np.testing.assert_allclose(sess.run(agent.eval_state),
                             _column(_gru(0., [2., 2.])), rtol=1e-6)


def test_explore_takes_num_envs_observations(graph, sess):
  del graph
  agent = _agent(num_envs=2)
  _start(sess)
  with pytest.raises(tf.errors.InvalidArgumentError,
                     match='acts on num_envs=2 observations'):
    _act(sess, agent, [1., 2., 3.], [MID, MID])


def test_checkpoints_hold_the_training_state_only(graph):
  del graph
  agent = _agent()
  saved = {v.op.name for v in tf.global_variables()}
  assert {'a2c/recurrent/state', 'a2c/recurrent/rollout_start'} <= saved
  assert agent.eval_state.op.name not in saved
  assert not {'a2c/recurrent/state', 'a2c/eval_state'} & {
      v.op.name for v in tf.trainable_variables()}
  assert any('/gru/' in v.name for v in agent.policy_variables)


@pytest.mark.parametrize('value', [0, 1.5])
def test_bad_gru_units_are_refused(value):
  with pytest.raises(ValueError, match='gru_units'):
    a2c.A2CConfig(torso='gru', gru_units=value).validate()


def _loop_returns(logdir):
  """A short seeded run on MaskedCartPole: its episodes and evaluations."""
  def batch(seed, size):
    return envs.BatchedPyEnvironment([
        envs.load(masked.MASKED_CARTPOLE_ID, seed=seed + i)
        for i in range(size)])
  with tf.Graph().as_default():
    tf.set_random_seed(0)
    env = batch(0, 2)
    agent = a2c.A2CAgent(env.observation_spec(), env.action_spec(),
                         a2c.A2CConfig(hidden_sizes=(8,), gru_units=4,
                                       num_envs=2, n_steps=4, torso='gru'))
    config = on_policy.LoopConfig(
        num_steps=300, eval_every=150, eval_episodes=2, checkpoint_every=150,
        progress_every_s=1e6)
    stepping = on_policy.OnPolicyLoop(agent, env, config)
    result = run_lib.Run(
        agent, batch(100, 2), str(logdir), config,
        {'agent': 'a2c', 'env': masked.MASKED_CARTPOLE_ID}).train(stepping)
  episodes = [(row['step'], row['return'], row['env'])
              for row in episode_log.read_episodes(str(logdir))]
  return episodes, result['eval']['mean_return']


def test_same_seed_same_returns(tmp_path):
  first, second = (_loop_returns(tmp_path / 'a'),
                   _loop_returns(tmp_path / 'b'))
  assert len(first[0]) > 10
  assert first == second


if __name__ == '__main__':
  sys.exit(pytest.main([__file__]))
