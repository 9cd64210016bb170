"""Tests of graphrl.agents.apex_actor: epsilons, the refresh from the
learner's variables across graphs, acting and priorities."""

import numpy as np
import pytest

import apex_testing
from graphrl import envs
from graphrl.agents import apex_actor
from graphrl.agents import dqn
from graphrl.compat import session_config
from graphrl.compat import tf

OBSERVATION_SPEC = envs.ArraySpec([2], np.float32)
ACTION_SPEC = envs.BoundedArraySpec([], np.int64, 0, 1)
OBSERV = np.array([[0.1, -0.2], [1.0, 2.0], [-3.0, 0.5]], np.float32)


@pytest.mark.parametrize('count, expected', [
    (1, [0.4]),
    (2, [0.4, 0.4 ** 8]),  # 0.4^(1 + 7 * 1 / 1) = 0.00065536
    (8, [0.4 ** (1 + i) for i in range(8)]),  # alpha i / 7 = i
])
def test_actor_epsilon_follows_ape_x(count, expected):
  epsilons = [apex_actor.actor_epsilon(i, count) for i in range(count)]
  np.testing.assert_allclose(epsilons, expected, rtol=1e-12)
  assert apex_actor.actor_epsilon(1, 2) == pytest.approx(0.00065536)


def _learner_graph(config):
  """A learner graph on its device: (graph, agent)."""
  graph = tf.Graph()
  with graph.as_default(), tf.device(apex_testing.LEARNER):
    tf.set_random_seed(0)
    agent = dqn.DQNAgent(OBSERVATION_SPEC, ACTION_SPEC, config)
  return graph, agent


def _learner_q(config, agent):
  """The learner's Q(s, .) [B, A] of `agent.observ`, as the agent's."""
  with tf.variable_scope('dqn', reuse=True):
    return dqn.mean_q(config, dqn.q_network(config, 2, agent.observ, 'q'))


def _actor_graph(config, epsilon=0.0, seed=1, local='/job:actor/task:0',
                 learner=apex_testing.LEARNER):
  graph = tf.Graph()
  with graph.as_default():
    tf.set_random_seed(seed)
    actor = apex_actor.ApexActor(OBSERVATION_SPEC, ACTION_SPEC, config,
                                 epsilon, local, learner)
    init = tf.global_variables_initializer()
  return graph, actor, init


def test_refresh_copies_the_learners_live_variables():
  config = dqn.DQNConfig(hidden_sizes=(8,), replay='prioritized')
  learner_server, (actor_server,) = apex_testing.start_cluster(1)
  learner_graph, agent = _learner_graph(config)
  with learner_graph.as_default():
    learner_q = _learner_q(config, agent)
    init = tf.global_variables_initializer()
  learner = apex_testing.session(learner_server, learner_graph)
  learner.run(init)
  before = learner.run(learner_q, {agent.observ: OBSERV})
  actor_graph, actor, actor_init = _actor_graph(config)
  with actor_graph.as_default():
    assert not [v for v in tf.global_variables()
                if v.op.name.startswith('dqn/')]  # The mirror is detached.
    assert all(v.device == '/job:actor/task:0'
               for v in tf.global_variables())
  sess = apex_testing.session(actor_server, actor_graph)
  sess.run(actor_init)  # Initializes the actor's variables only.
  np.testing.assert_array_equal(
      learner.run(learner_q, {agent.observ: OBSERV}), before)
  assert not np.allclose(sess.run(actor.q_values, {actor.observ: OBSERV}),
                         before)
  sess.run(actor.refresh)
  np.testing.assert_array_equal(
      sess.run(actor.q_values, {actor.observ: OBSERV}), before)
  np.testing.assert_array_equal(
      sess.run(actor.greedy_action, {actor.observ: OBSERV}),
      learner.run(agent.greedy_action, {agent.observ: OBSERV}))
  with learner_graph.as_default():  # The learner's weights move on.
    for variable in agent.policy_variables:
      variable.load(learner.run(variable) + 0.5, learner)
    agent.env_steps.load(7, learner)
  assert sess.run(actor.learner_env_steps) == 7
  after = learner.run(learner_q, {agent.observ: OBSERV})
  np.testing.assert_array_equal(  # Acting reads no remote variable.
      sess.run(actor.q_values, {actor.observ: OBSERV}), before)
  sess.run(actor.refresh)
  np.testing.assert_array_equal(
      sess.run(actor.q_values, {actor.observ: OBSERV}), after)


def _set_linear(sess, actor, weights, biases):
  """Q(s) = s W + b for the local network of hidden_sizes ()."""
  for variable in actor.local_variables:
    variable.load(weights if variable.op.name.endswith('weights') else biases,
                  sess)


def test_priorities_are_hand_computed_absolute_td_errors():
  config = dqn.DQNConfig(hidden_sizes=(), gamma=0.5, priority_epsilon=0.01)
  graph, actor, init = _actor_graph(config, local='/cpu:0',
                                    learner='/cpu:0')
  with tf.Session(graph=graph, config=session_config()) as sess:
    sess.run(init)
    # Q(s) = (s_0 + s_1, s_0 - s_1).
    _set_linear(sess, actor, [[1., 1.], [1., -1.]], [0., 0.])
    # s = (1, 2): Q = (3, -1); s' = (2, 0): Q = (2, 2), max 2.
    #   a = 0, R = 1, d = 0.25: |1 + 0.5 * 0.25 * 2 - 3| + 0.01 = 1.76
    #   a = 1, R = 1, d = 0:    |1 - (-1)| + 0.01 = 2.01
    priority = sess.run(actor.priority, dict(zip(actor.transition, (
        [[1., 2.], [1., 2.]], [0, 1], [1., 1.], [[2., 0.], [2., 0.]],
        [0.25, 0.]))))
    np.testing.assert_allclose(priority, [1.76, 2.01], rtol=1e-6)


def test_quantile_priorities_use_the_mean_over_quantiles():
  config = dqn.DQNConfig(hidden_sizes=(4,), head='quantile', num_quantiles=3,
                         gamma=0.9)
  graph, actor, init = _actor_graph(config, local='/cpu:0',
                                    learner='/cpu:0')
  with tf.Session(graph=graph, config=session_config()) as sess:
    sess.run(init)
    observ, next_observ = OBSERV, OBSERV[::-1]
    action, reward, discount = [0, 1, 1], [1., 0., -1.], [0.9, 0.81, 0.]
    priority = sess.run(actor.priority, dict(zip(actor.transition, (
        observ, action, reward, next_observ, discount))))
    q = sess.run(actor.q_values, {actor.observ: observ})
    next_q = sess.run(actor.q_values, {actor.observ: next_observ})
  expected = np.abs(np.array(reward) + 0.9 * np.array(discount) *
                    next_q.max(1) - q[np.arange(3), action]) + 1e-6
  np.testing.assert_allclose(priority, expected, rtol=1e-5)


def test_exploring_counts_steps_and_reproduces_with_a_seed():
  config = dqn.DQNConfig(hidden_sizes=(4,))
  observ = np.repeat(OBSERV, 100, axis=0)
  results = []
  for _ in range(2):
    graph, actor, init = _actor_graph(config, epsilon=0.5, local='/cpu:0',
                                      learner='/cpu:0')
    with tf.Session(graph=graph, config=session_config()) as sess:
      sess.run(init)
      actions = sess.run(actor.explore_action, {actor.observ: observ})
      greedy = sess.run(actor.greedy_action, {actor.observ: observ})
      assert sess.run(actor.env_steps) == 300
    results.append(actions)
  np.testing.assert_array_equal(results[0], results[1])
  # epsilon 0.5 of 2 actions: a quarter of the actions are not greedy.
  assert 0.15 < np.mean(results[0] != greedy) < 0.35


def test_refuses_a_continuous_action_space():
  spec = envs.BoundedArraySpec([1], np.float32, -1., 1.)
  with tf.Graph().as_default(), pytest.raises(ValueError, match='discrete'):
    apex_actor.ApexActor(OBSERVATION_SPEC, spec, dqn.DQNConfig(), 0.1,
                         '/cpu:0', '/cpu:0')
