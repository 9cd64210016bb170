"""Tests of the DDPG agent's graph and its training loop on a user env.

Most tests hand-set tiny networks (`ddpg_testing`: mu(s) = tanh(b) and
Q(s, a) = slope * relu(a + 1) + c) so that the expected numbers follow by
hand.
"""

import csv
import os
import sys

import numpy as np
import pytest

from graphrl.agents import ddpg
from graphrl.compat import tf
from graphrl import envs
from graphrl.envs import time_step as ts
from graphrl.training import off_policy
from graphrl.training import run as run_lib
import ddpg_testing

TARGET_ACTION = 0.5
EPISODE_LENGTH = 5


class Target(envs.PyEnvironment):
  """A user environment: reward -(a - 0.5)^2 per step, whatever the state.

  Observations are uniform in [-1, 1]; an episode terminates (or, with
  `truncate`, hits a time limit) after 5 steps. The greedy policy
  mu(s) = 0.5 earns the best return, 0.
  """

  def __init__(self, seed=0, truncate=False):
    self._rng = np.random.default_rng(seed)
    self._end = ts.truncation if truncate else ts.termination
    self._steps = 0

  def observation_spec(self):
    return envs.BoundedArraySpec((1,), np.float32, -1, 1)

  def action_spec(self):
    return envs.BoundedArraySpec((1,), np.float32, -1, 1)

  def _observation(self):
    return self._rng.uniform(-1, 1, size=1).astype(np.float32)

  def _reset(self):
    self._steps = 0
    return ts.restart(self._observation())

  def _step(self, action):
    self._steps += 1
    reward = -float((action[0] - TARGET_ACTION) ** 2)
    if self._steps == EPISODE_LENGTH:
      return self._end(self._observation(), reward)
    return ts.transition(self._observation(), reward)


def _agent(**overrides):
  config = ddpg.DDPGConfig(**dict(dict(
      actor_hidden_sizes=(2,), critic_hidden_sizes=(2, 2), batch_size=1,
      replay_capacity=1, gamma=0.9), **overrides))
  return ddpg.DDPGAgent(envs.ArraySpec((1,), np.float32),
                        envs.BoundedArraySpec((1,), np.float32, -1, 1), config)


def _variable(name):
  variable, = [v for v in tf.global_variables() if v.op.name == name]
  return variable


def _hand_set(sess, agent):
  """Online: mu = -0.5, Q = 0.5; target: mu_T = 0.5, Q_T = 2 relu(a+1) + .25."""
  sess.run(tf.global_variables_initializer())
  sess.run(agent.sync_target)
  ddpg_testing.set_actor(sess, 'ddpg/actor', -TARGET_ACTION)
  ddpg_testing.set_critic(sess, 'ddpg/critic', 0., 0.5)
  ddpg_testing.set_actor(sess, 'ddpg/actor_target', TARGET_ACTION)
  ddpg_testing.set_critic(sess, 'ddpg/critic_target', 2., 0.25)


def test_critic_loss_bootstraps_from_the_target_actor_and_critic(sess):
  # Non-terminal (discount 1), r = 1, gamma = 0.9: the target actor picks
  # mu_T(s') = 0.5, valued Q_T(s', 0.5) = 2 * relu(1.5) + 0.25 = 3.25, so
  # y = 1 + 0.9 * 3.25 = 3.925 and L = 0.5 * (3.925 - 0.5)^2 = 5.8653125.
  # (The online actor's -0.5 would give Q_T = 1.25 and L = 2.3653125.)
  agent = _agent()
  _hand_set(sess, agent)
  feed = ddpg_testing.feed(agent, [0.3], [0.2], 1.0, [-0.7], 1.0)
  np.testing.assert_allclose(sess.run(agent.loss, feed), 5.8653125, rtol=1e-6)


def test_erratum_stored_termination_stops_bootstrapping(sess):
  # Seed 004 stores (s, a, r, s') without a terminal flag (line 61) although
  # its critic target needs one. graphrl stores discount = 0 at a
  # termination: y = r = 1 and L = 0.5 * (1 - 0.5)^2 = 0.125 (bootstrapping
  # as above would give 5.8653125).
  agent = _agent()
  _hand_set(sess, agent)
  feed = ddpg_testing.feed(agent, [0.3], [0.2], 1.0, [-0.7], 0.0)
  np.testing.assert_allclose(sess.run(agent.loss, feed), 0.125, rtol=1e-6)


def test_erratum_critic_regresses_the_stored_action(sess):
  # Seed 000, 3.3 (lines 288-289, 301) fits qvalue = Q(s, mu(s)), the
  # policy's action, to r + ... . The critic must value the stored action:
  # online Q(s, a) = 2 relu(a + 1) + 0.25 with a = 0.9 gives 4.05, and for a
  # terminal r = 1, L = 0.5 * (1 - 4.05)^2 = 4.65125; Q(s, mu(s) = -0.5)
  # = 1.25 would give 0.03125.
  agent = _agent()
  _hand_set(sess, agent)
  ddpg_testing.set_critic(sess, 'ddpg/critic', 2., 0.25)
  feed = ddpg_testing.feed(agent, [0.3], [0.9], 1.0, [-0.7], 0.0)
  np.testing.assert_allclose(sess.run(agent.loss, feed), 4.65125, rtol=1e-6)


def test_critic_l2_adds_half_the_squared_weights(sess):
  # The hand-set online critic's weights: one 1 (fc2, action row), all else
  # 0; biases are not decayed. L = 0.125 + 0.1 * 1^2 / 2 = 0.175.
  agent = _agent(critic_l2=0.1)
  _hand_set(sess, agent)
  feed = ddpg_testing.feed(agent, [0.3], [0.2], 1.0, [-0.7], 0.0)
  np.testing.assert_allclose(sess.run(agent.loss, feed), 0.175, rtol=1e-6)


@pytest.mark.parametrize('dpg_update, actor_loss', [
    # -Q(s, mu(s)) = -(2 relu(0 + 1) + 0.25) = -2.25.
    ('standard', -2.25),
    # d = clip(dQ/da = 2, -1, 1) = 1; L = (a + d - a)^2 = 1.
    ('lecture', 1.0),
])
def test_actor_ascends_the_critic(sess, dpg_update, actor_loss):
  # Online mu(s) = tanh(0) = 0 and Q(s, a) = 2 relu(a + 1) + 0.25, so
  # dQ/da = 2 > 0: both updates push mu up. Only the final bias b gets a
  # gradient (the hidden activations are 0): dL/db = -2 (standard) or
  # -2 * d = -2 (lecture), and Adam's first step is lr * sign: b = +0.01.
  # The stored terminal transition has r = Q(s, 0) = 2.25, so the critic's
  # TD error and gradient are 0: a change of the critic could only come
  # from the actor's loss, which must not train it.
  agent = _agent(dpg_update=dpg_update, actor_learning_rate=0.01)
  sess.run(tf.global_variables_initializer())
  ddpg_testing.set_actor(sess, 'ddpg/actor', 0.)
  ddpg_testing.set_critic(sess, 'ddpg/critic', 2., 0.25)
  critic = [v for v in tf.trainable_variables() if 'critic/' in v.op.name]
  before = sess.run(critic)
  feed = ddpg_testing.feed(agent, [0.3], [0.0], 2.25, [-0.7], 0.0)
  _, loss = sess.run([agent.train, agent.scalars['train/actor_loss']], feed)
  np.testing.assert_allclose(loss, actor_loss, rtol=1e-6)
  np.testing.assert_allclose(
      sess.run(_variable('ddpg/actor/action/biases')), [0.01], rtol=1e-5)
  for old, new in zip(before, sess.run(critic)):
    np.testing.assert_array_equal(old, new)
  greedy = sess.run(agent.greedy_action, {agent.observ: [[0.3]]})
  np.testing.assert_allclose(greedy, [[np.tanh(0.01)]], rtol=1e-5)


def _target_variables(target_update):
  if target_update == 'soft':
    return [_variable(v.op.name.replace('ddpg/actor/', 'ddpg/actor_target/')
                      .replace('ddpg/critic/', 'ddpg/critic_target/'))
            for v in tf.trainable_variables()]
  # The EMA shadows are named <variable>/ExponentialMovingAverage, below
  # the scope the average was built in.
  shadows = {v.op.name: v for v in tf.global_variables()}
  return [shadows['ddpg/%s/ExponentialMovingAverage' % v.op.name]
          for v in tf.trainable_variables()]


@pytest.mark.parametrize('target_update', ['soft', 'ema'])
def test_targets_follow_by_tau_after_each_train_step(sess, target_update):
  # The targets start as copies (theta_T = theta_0); after one step to
  # theta_1: theta_T = tau * theta_1 + (1 - tau) * theta_0.
  agent = _agent(target_update=target_update, tau=0.25,
                 actor_learning_rate=0.1, critic_learning_rate=0.1)
  sess.run(tf.global_variables_initializer())
  sess.run(agent.sync_target)
  online = tf.trainable_variables()
  target = _target_variables(target_update)
  assert len(online) == len(target) == 10  # Actor 4, critic 6.
  initial = sess.run(online)
  for start, copy in zip(initial, sess.run(target)):
    np.testing.assert_array_equal(start, copy)
  sess.run(agent.train,
           ddpg_testing.feed(agent, [0.3], [0.2], 1.0, [-0.7], 1.0))
  stepped = sess.run(online)
  moved = [not np.allclose(a, b) for a, b in zip(initial, stepped)]
  assert sum(moved) >= 6, moved
  for start, step, got in zip(initial, stepped, sess.run(target)):
    np.testing.assert_allclose(got, 0.25 * step + 0.75 * start, atol=1e-6)


def test_erratum_critic_step_does_not_train_the_targets(sess):
  # Seed 004 (lines 131-133) builds the critic target without a stop
  # gradient and minimizes over all trainable variables, so its critic step
  # also moves the target actor and critic (here by ~lr = 0.1). graphrl's
  # targets move only by the soft update: with tau = 1e-6 they stay put.
  agent = _agent(tau=1e-6, critic_learning_rate=0.1)
  sess.run(tf.global_variables_initializer())
  sess.run(agent.sync_target)
  target = _target_variables('soft')
  initial = sess.run(target)
  sess.run(agent.train,
           ddpg_testing.feed(agent, [0.3], [0.2], 1.0, [-0.7], 1.0))
  for start, got in zip(initial, sess.run(target)):
    np.testing.assert_allclose(got, start, atol=1e-5)


def test_erratum_noise_resets_at_episode_start(sess):
  # Seed 004's OU noise (lines 252-255) is never reset. `episode_start`
  # sets the state to mu = 0; the first step then draws x = sigma * N(0, 1)
  # afresh, which the action shows: a = mu(s) + (high - low) / 2 * x.
  agent = _agent()
  sess.run(tf.global_variables_initializer())
  observ = {agent.observ: [[0.3]]}
  for _ in range(5):
    sess.run(agent.explore_action, observ)
  assert np.all(sess.run(agent.noise.state) != 0)
  sess.run(agent.episode_start)
  np.testing.assert_array_equal(sess.run(agent.noise.state), [[0.]])
  action, mu = sess.run([agent.explore_action, agent.greedy_action], observ)
  state = sess.run(agent.noise.state)  # The x the action drew.
  np.testing.assert_allclose(action, np.clip(mu + state, -1, 1), rtol=1e-6)


def test_the_loop_runs_episode_start_after_each_reset(tmp_path, graph):
  del graph
  # 15 steps of 5-step episodes: resets at steps 0, 5, 10 and 15. A counter
  # grouped with the OU reset counts the runs; the final checkpoint, taken
  # right after the last reset, holds the count and a zero OU state.
  agent = _agent(batch_size=4, replay_capacity=100)
  count = tf.Variable(0, trainable=False, name='episode_starts')
  agent.episode_start = tf.group(agent.episode_start, count.assign_add(1))
  loop = off_policy.LoopConfig(num_steps=15, learning_starts=5, eval_every=0,
                               eval_episodes=1, checkpoint_every=10**6,
                               progress_every_s=1e6)
  stepping = off_policy.OffPolicyLoop(agent, Target(), loop)
  run_lib.Run(agent, envs.BatchedPyEnvironment([Target(1)]), str(tmp_path),
              loop, {'agent': 'ddpg', 'env': 'target'}).train(stepping)
  prefix = os.path.join(str(tmp_path), 'checkpoints', 'ckpt-15', 'ckpt')
  assert tf.train.load_variable(prefix, 'episode_starts') == 4
  np.testing.assert_array_equal(
      tf.train.load_variable(prefix, 'ddpg/ou_noise/state'), [[0.]])


@pytest.mark.parametrize('truncate, discounts', [
    (False, [1, 1, 1, 1, 0, 1, 1, 1, 1]),
    (True, [1] * 9),
])
def test_erratum_time_limit_is_stored_as_bootstrapping(tmp_path, graph,
                                                       truncate, discounts):
  # Seed 004 takes gym's `done` (lines 41, 60), which includes the time
  # limit: every Pendulum episode would end "terminal". The loop stores
  # discount 0 only at a termination. 10 steps of 5-step episodes store 9
  # transitions (the last is pending); the final checkpoint holds them.
  del graph
  agent = _agent(replay_capacity=100)
  loop = off_policy.LoopConfig(num_steps=10, learning_starts=100,
                               eval_every=0, eval_episodes=1,
                               checkpoint_every=10**6, progress_every_s=1e6)
  stepping = off_policy.OffPolicyLoop(agent, Target(truncate=truncate), loop)
  run_lib.Run(agent, envs.BatchedPyEnvironment([Target()]), str(tmp_path),
              loop, {'agent': 'ddpg', 'env': 'target'}).train(stepping)
  prefix = os.path.join(str(tmp_path), 'checkpoints', 'ckpt-10', 'ckpt')
  # Replay items are (s, a, r, s', discount): item_4 is the discount.
  stored = tf.train.load_variable(prefix, 'ddpg/replay_buffer/item_4')
  np.testing.assert_array_equal(stored[:10], discounts + [0])


@pytest.mark.parametrize('noise', ['ou', 'gaussian'])
def test_actions_stay_within_the_bounds(sess, noise):
  # Bounds low = (0, -3), high = (1, 5); noise of 10 half-ranges clips most
  # actions to a bound, and the greedy action lies within them.
  low, high = np.array([0., -3.]), np.array([1., 5.])
  agent = ddpg.DDPGAgent(
      envs.ArraySpec((3,), np.float32),
      envs.BoundedArraySpec((2,), np.float32, low, high),
      ddpg.DDPGConfig(actor_hidden_sizes=(4,), critic_hidden_sizes=(4, 4),
                      noise=noise, noise_stddev=10.))
  sess.run(tf.global_variables_initializer())
  observ = np.random.RandomState(0).randn(1, 3).astype(np.float32)
  actions = np.concatenate([
      sess.run(agent.explore_action, {agent.observ: observ})
      for _ in range(50)])
  assert np.all(actions >= low) and np.all(actions <= high)
  assert np.any(actions == low) and np.any(actions == high)
  greedy = sess.run(agent.greedy_action, {agent.observ: observ})
  # Near-zero initial outputs: mu = (low + high) / 2 = (0.5, 1).
  np.testing.assert_allclose(greedy, [[0.5, 1.]], atol=0.05)
  assert sess.run(agent.env_steps) == 50


def test_ou_noise_acts_on_one_observation(sess):
  agent = _agent()
  sess.run(tf.global_variables_initializer())
  with pytest.raises(tf.errors.InvalidArgumentError, match='one OU process'):
    sess.run(agent.explore_action, {agent.observ: np.zeros((2, 1))})


def test_only_ou_noise_explores_with_state(graph):
  del graph
  assert _agent(noise='ou').explores_with_state
  with tf.Graph().as_default():
    gaussian = _agent(noise='gaussian')
  assert not gaussian.explores_with_state
  assert not hasattr(gaussian, 'episode_start')


@pytest.mark.parametrize('action_spec, message', [
    (envs.BoundedArraySpec((), np.int64, 0, 1), 'continuous action space'),
    (envs.BoundedArraySpec((), np.float32, -1, 1), 'continuous action space'),
    (envs.ArraySpec((1,), np.float32), 'bounded action spec'),
    (envs.BoundedArraySpec((1,), np.float32, -np.inf, np.inf),
     'finite action bounds'),
])
def test_unusable_action_specs_are_refused(graph, action_spec, message):
  del graph
  with pytest.raises(ValueError, match=message):
    ddpg.DDPGAgent(envs.ArraySpec((3,), np.float32), action_spec,
                   ddpg.DDPGConfig())


def test_image_observations_are_refused(graph):
  del graph
  with pytest.raises(ValueError, match='flat observations'):
    ddpg.DDPGAgent(envs.ArraySpec((4, 4, 1), np.uint8),
                   envs.BoundedArraySpec((1,), np.float32, -1, 1),
                   ddpg.DDPGConfig())


@pytest.mark.parametrize('field, value, message', [
    ('critic_hidden_sizes', (8,), 'critic_hidden_sizes'),
    ('actor_hidden_sizes', (), 'actor_hidden_sizes'),
    ('actor_learning_rate', 0.0, 'actor_learning_rate'),
    ('replay_capacity', 8, 'replay_capacity'),
    ('tau', 0.0, 'tau'), ('noise', 'pink', 'noise'),
    ('ou_theta', 2.0, 'ou_theta'), ('dpg_update', 'x', 'dpg_update'),
    ('target_update', 'hard', 'target_update'),
])
def test_bad_config_is_refused(field, value, message):
  config = ddpg.DDPGConfig(**{field: value, 'batch_size': 16})
  with pytest.raises(ValueError, match=message):
    config.validate()


def _train(logdir, seed, num_steps, **overrides):
  """Trains on `Target` in a fresh graph; returns the loop's summary."""
  with tf.Graph().as_default():
    tf.set_random_seed(seed)
    env = Target(seed)
    config = ddpg.DDPGConfig(**dict(dict(
        actor_hidden_sizes=(32, 32), critic_hidden_sizes=(32, 32),
        actor_learning_rate=1e-3, batch_size=32, replay_capacity=2000,
        gamma=0.5, tau=0.05), **overrides))
    agent = ddpg.DDPGAgent(env.observation_spec(), env.action_spec(), config)
    eval_env = envs.BatchedPyEnvironment([Target(100 + i) for i in range(3)])
    loop = off_policy.LoopConfig(
        num_steps=num_steps, learning_starts=100, eval_every=0,
        eval_episodes=3, checkpoint_every=10**6, progress_every_s=1e6,
        seed=seed)
    stepping = off_policy.OffPolicyLoop(agent, env, loop)
    return run_lib.Run(agent, eval_env, logdir, loop,
                       {'agent': 'ddpg', 'env': 'target'}).train(stepping)


def _returns(logdir):
  with open(os.path.join(logdir, 'episodes.csv'), encoding='utf-8') as f:
    return [row['return'] for row in csv.DictReader(f)]


def test_same_seed_same_run(tmp_path):
  runs = [_train(str(tmp_path / name), 3, 300) for name in ('a', 'b')]
  assert runs[0]['eval']['mean_return'] == runs[1]['eval']['mean_return']
  assert _returns(str(tmp_path / 'a')) == _returns(str(tmp_path / 'b'))
  other = _train(str(tmp_path / 'c'), 4, 300)
  assert other['eval']['mean_return'] != runs[0]['eval']['mean_return']


def test_learns_the_best_action_of_a_user_environment(tmp_path):
  # The greedy return is -5 (mu - 0.5)^2 per episode: about -1.25 at the
  # start (mu ~ 0); a return above -0.1 means |mu - 0.5| < 0.14.
  result = _train(str(tmp_path), 0, 1500)
  assert result['eval']['min_return'] > -0.1, result['eval']


if __name__ == '__main__':
  sys.exit(pytest.main([__file__]))
