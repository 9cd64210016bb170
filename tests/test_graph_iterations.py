"""Tests of graphrl.training.graph_iterations: the training loop in the graph.

Each test builds an agent and its `tf.while_loop` of act, env step, store and
train on an in-graph environment, runs it for a few runs of K iterations and
reads the counters, the replay buffer and the episode rows it returns.
"""

import math
import re

import numpy as np
import pytest

from graphrl import envs
from graphrl import networks
from graphrl import resumable
from graphrl import tf_envs
from graphrl.agents import a2c
from graphrl.agents import ddpg
from graphrl.agents import dqn
from graphrl.agents import reinforce
from graphrl.compat import session_config
from graphrl.compat import tf
from graphrl.training import graph_iterations

_THETA_LIMIT = 12 * 2 * math.pi / 360  # CartPole's termination angle.


def _dqn(env, **overrides):
  """A small DQN agent for `env`; random actions (epsilon 1) by default."""
  config = dict(hidden_sizes=(8,), batch_size=4, num_envs=env.batch_size,
                replay_capacity=400 * env.batch_size, epsilon_initial=1.0,
                epsilon_final=1.0)
  config.update(overrides)
  return dqn.DQNAgent(env.observation_spec(), env.action_spec(),
                      dqn.DQNConfig(**config))


def _ddpg(env, config_class=ddpg.DDPGConfig, **overrides):
  """A small DDPG (or TD3) agent for `env`."""
  config = dict(actor_hidden_sizes=(8,), critic_hidden_sizes=(8, 8),
                batch_size=8, num_envs=env.batch_size,
                replay_capacity=400 * env.batch_size)
  config.update(overrides)
  return ddpg.DDPGAgent(env.observation_spec(), env.action_spec(),
                        config_class(**config))


def _a2c(env, **overrides):
  config = dict(hidden_sizes=(8,), n_steps=5, num_envs=env.batch_size)
  config.update(overrides)
  return a2c.A2CAgent(env.observation_spec(), env.action_spec(),
                      a2c.A2CConfig(**config))


def _start(sess, ops):
  sess.run([tf.global_variables_initializer(),
            tf.local_variables_initializer()])  # A PyFuncEnvironment's.
  sess.run(ops.start)


def _run(sess, ops, *iterations):
  """One run of each count of iterations; returns all rows, last outputs."""
  outputs = [sess.run(ops.outputs, {ops.iterations: k}) for k in iterations]
  rows = {field: np.concatenate([output[field] for output in outputs])
          for field in graph_iterations.EPISODE_FIELDS}
  return rows, outputs[-1]


def _place(name):
  """The loop's place variable `name` (scope graph_loop, made unique)."""
  found = [v for v in resumable.variables()
           if re.fullmatch(r'graph_loop(_\d+)?/' + name, v.op.name)]
  assert len(found) == 1, [v.op.name for v in resumable.variables()]
  return found[0]


def _globals(prefix):
  return tf.get_collection(tf.GraphKeys.GLOBAL_VARIABLES, prefix)


# The train steps after each run: one per multiple of train_every env steps
# from learning_starts on.
_COUNTS = [
    # One env: a train step after each iteration from env step 5 on, i.e.
    # after iterations 5, 6 and 7.
    (1, 1, 5, (3, 4), (0, 3)),
    # Four envs, every step from step 8: iterations 1 and 2 pass steps 1-4
    # and 5-8 (a train step for step 8), iterations 3-5 each pass 4 steps
    # and train 4 times (the inner loop).
    (4, 1, 8, (2, 3), (1, 13)),
    # From step 6: iteration 2 passes steps 5-8, of which 6, 7, 8 count;
    # iteration 3 passes 9-12: 4 more.
    (4, 1, 6, (1, 2), (0, 7)),
    # Every 8 steps: the multiples 8, 16, 24 pass in iterations 2, 4, 6.
    (4, 8, 8, (3, 1, 2), (1, 2, 3)),
]


@pytest.mark.parametrize(
    'members, train_every, learning_starts, runs, trains', _COUNTS)
def test_dqn_counts_env_steps_transitions_and_train_steps(
    sess, members, train_every, learning_starts, runs, trains):
  env = tf_envs.CartPole(members)
  agent = _dqn(env)
  ops = graph_iterations.off_policy(agent, env, learning_starts, train_every)
  _start(sess, ops)
  done = 0
  for iterations, want in zip(runs, trains):
    output = sess.run(ops.outputs, {ops.iterations: iterations})
    np.testing.assert_array_equal(
        output['steps'], members * np.arange(done + 1, done + iterations + 1))
    done += iterations
    assert output['train_steps'] == want
    assert np.isnan(output['train_values']).all() == (want == 0)
  total = sum(runs) * members
  assert sess.run([agent.env_steps, agent.train_steps,
                   agent.buffer.size()]) == [total, trains[-1], total]


def test_dqn_transitions_chain_and_discounts(sess):
  # 4 members with a time limit of 20 steps: random episodes end by both
  # termination (discount 0) and truncation (discount 1, s' not terminal).
  members, limit, iterations = 4, 20, 120
  env = tf_envs.CartPole(members, max_episode_steps=limit)
  agent = _dqn(env, replay_capacity=members * iterations)
  ops = graph_iterations.off_policy(agent, env, 10**6, 1)
  _start(sess, ops)
  rows, _ = _run(sess, ops, 50, 70)
  # Row t * S + s holds member s's transition of iteration t.
  observ, action, reward, next_observ, discount = (
      value.reshape((iterations, members) + value.shape[1:])
      for value in sess.run(agent.buffer.storage))
  ended, lengths = rows['ended'], rows['lengths']
  terminated = ((np.abs(next_observ[..., 0]) > 2.4) |
                (np.abs(next_observ[..., 2]) > _THETA_LIMIT))
  truncated = lengths == limit
  assert terminated.any() and (truncated & ~terminated).any()
  np.testing.assert_array_equal(ended, terminated | truncated)
  np.testing.assert_array_equal(discount, np.where(terminated, 0.0, 1.0))
  np.testing.assert_array_equal(reward, np.ones_like(reward))
  assert set(np.unique(action)) == {0, 1}
  going = ~ended[:-1]
  np.testing.assert_array_equal(next_observ[:-1][going], observ[1:][going])
  # A member that ended starts afresh: a reset state in [-0.05, 0.05]^4.
  assert (np.abs(observ[1:][ended[:-1]]) <= 0.05).all()
  assert not (np.abs(observ[1:][going]) <= 0.05).all()


def test_episode_rows_count_every_step_once(sess):
  members, first, second = 2, 37, 60
  env = tf_envs.CartPole(members)
  agent = _dqn(env)
  ops = graph_iterations.off_policy(agent, env, 10**6, 1)
  _start(sess, ops)
  rows, _ = _run(sess, ops, first, second)
  ended, lengths = rows['ended'], rows['lengths']
  # CartPole pays 1 per step: a return is the length.
  np.testing.assert_array_equal(rows['returns'], lengths)
  running = sess.run(env.elapsed_steps)
  np.testing.assert_array_equal(sess.run(_place('lengths')), running)
  assert lengths[ended].sum() + running.sum() == (first + second) * members
  spanning = 0
  for member in range(members):
    ends = np.flatnonzero(ended[:, member])
    # Row t holds the length t - e reached since the last end e < t.
    previous = np.searchsorted(ends, np.arange(first + second)) - 1
    starts = np.where(previous >= 0, ends[np.maximum(previous, 0)], -1)
    np.testing.assert_array_equal(lengths[:, member],
                                  np.arange(first + second) - starts)
    ends = np.concatenate([[-1], ends])
    spanning += np.any((ends[:-1] < first - 1) & (ends[1:] >= first))
  assert spanning  # Some episode ran on from the first run into the second.


@pytest.mark.parametrize('target_update', ['ema', 'soft'])
def test_averaged_target_follows_the_weights(sess, target_update):
  # theta_T <- 0.75 theta_T + 0.25 theta after each train step: 'ema' with
  # decay 0.75, 'soft' with tau 0.25.
  env = tf_envs.CartPole(1)
  agent = _dqn(env, target_update=target_update, target_decay=0.75,
               tau=0.25, learning_rate=0.01)
  ops = graph_iterations.off_policy(agent, env, 4, 1)
  online = networks.get_variables('dqn/q')
  if target_update == 'ema':
    shadows = {v.op.name: v for v in _globals('dqn/dqn/q/')}
    target = [shadows['dqn/%s/ExponentialMovingAverage' % v.op.name]
              for v in online]
  else:
    target = _globals('dqn/q_target/')
  _start(sess, ops)
  sess.run(agent.sync_target)
  _, output = _run(sess, ops, 3)
  assert output['train_steps'] == 0 and np.isnan(output['train_values']).all()
  before, target_before = sess.run(online), sess.run(target)
  for weights, shadow in zip(before, target_before):
    np.testing.assert_array_equal(shadow, weights)
  _, output = _run(sess, ops, 1)
  assert output['train_steps'] == 1
  assert np.isfinite(output['train_values']).all()
  after = sess.run(online)
  assert not np.array_equal(after[0], before[0])
  for weights, old, new in zip(after, target_before, sess.run(target)):
    np.testing.assert_allclose(new, 0.75 * old + 0.25 * weights, rtol=1e-6,
                               atol=1e-7)


def test_hard_target_copies_every_period(sess):
  env = tf_envs.CartPole(1)
  agent = _dqn(env, target_update='hard', target_update_period=2,
               learning_rate=0.01)
  ops = graph_iterations.off_policy(agent, env, 1, 1)
  online = networks.get_variables('dqn/q')
  target = _globals('dqn/q_target/')
  _start(sess, ops)
  sess.run(agent.sync_target)
  initial = sess.run(online)
  _run(sess, ops, 1)  # Train step 1: the target stays.
  for old, new in zip(initial, sess.run(target)):
    np.testing.assert_array_equal(new, old)
  _, output = _run(sess, ops, 1)  # Train step 2: the target copies.
  assert output['train_steps'] == 2
  trained = sess.run(online)
  assert not np.array_equal(trained[0], initial[0])
  for weights, copy in zip(trained, sess.run(target)):
    np.testing.assert_array_equal(copy, weights)


@pytest.mark.parametrize('target_update', ['ema', 'hard', 'soft'])
def test_prioritized_replay_trains_in_the_loop(sess, target_update):
  # Two members, a train step per env step from step 10 on: after steps
  # 10 to 60, in iterations 5 to 30.
  env = tf_envs.CartPole(2)
  agent = _dqn(env, replay='prioritized', target_update=target_update,
               target_update_period=3, priority_epsilon=1e-3)
  ops = graph_iterations.off_policy(agent, env, 10, 1)
  _start(sess, ops)
  sess.run(agent.sync_target)
  _, output = _run(sess, ops, 4)
  assert np.isnan(output['train_values']).all()
  _, output = _run(sess, ops, 26)
  assert output['train_steps'] == 51
  assert np.isfinite(output['train_values']).all()
  priorities = sess.run(agent.buffer.priorities())
  # New items get the largest priority so far, sampled ones |td| + 1e-3.
  assert priorities.shape == (60,) and (priorities >= 1e-3).all()
  assert len(np.unique(priorities)) > 10
  assert priorities.max() <= sess.run(agent.buffer.max_priority())


def _train_dqn(seed):
  """Outputs and weights of 300 iterations of DQN on 2 members."""
  with tf.Graph().as_default():
    tf.set_random_seed(seed)
    env = tf_envs.CartPole(2)
    agent = _dqn(env, epsilon_steps=200, replay='prioritized',
                 target_update_period=50)
    ops = graph_iterations.off_policy(agent, env, 50, 1)
    with tf.Session(config=session_config()) as sess:
      _start(sess, ops)
      outputs = [sess.run(ops.outputs, {ops.iterations: k})
                 for k in (100, 200)]
      return outputs, sess.run(tf.global_variables())


def test_same_seed_same_run():
  first, weights = _train_dqn(seed=5)
  again, same_weights = _train_dqn(seed=5)
  assert first[-1]['train_steps'] == 600 - 49  # Steps 50 to 600.
  assert first[-1]['steps'][-1] == 600 and first[-1]['ended'].any()
  for output, same in zip(first, again):
    for name, value in output.items():
      np.testing.assert_array_equal(same[name], value, err_msg=name)
  for value, same in zip(weights, same_weights):
    np.testing.assert_array_equal(same, value)
  other, _ = _train_dqn(seed=6)
  assert not np.array_equal(other[0]['lengths'], first[0]['lengths'])


@pytest.mark.parametrize('config_class', [ddpg.DDPGConfig, ddpg.TD3Config])
def test_ddpg_and_td3_train_on_pendulum(sess, config_class):
  # Two members, a train step per env step from step 10 on: after steps 10
  # to 440, in iterations 5 to 220. Pendulum episodes last 200 steps.
  env = tf_envs.Pendulum(2)
  agent = _ddpg(env, config_class)
  ops = graph_iterations.off_policy(agent, env, 10, 1)
  _start(sess, ops)
  sess.run(agent.sync_target)
  _, output = _run(sess, ops, 4)
  assert output['train_steps'] == 0 and np.isnan(output['train_values']).all()
  rows, output = _run(sess, ops, 100, 116)
  assert output['train_steps'] == 2 * 220 - 9
  assert np.isfinite(output['train_values']).all()
  ended = rows['ended']
  np.testing.assert_array_equal(np.flatnonzero(ended.any(axis=1)), [195])
  assert ended[195].all()
  np.testing.assert_array_equal(rows['lengths'][195], [200, 200])
  assert (rows['returns'][195] < 0).all()
  assert sess.run([agent.env_steps, agent.buffer.size()]) == [440, 440]


def test_ou_noise_restarts_for_the_members_that_ended(sess):
  # Episodes of 3 steps, member 1 one step behind: member 0 ends in
  # iterations 2, 5, 8, member 1 in iterations 3, 6, 9. After an iteration
  # the noise of a member that ended is mu = 0; another's is the noise its
  # action took, a = mu(s) + 2 x (Pendulum's half range is 2).
  env = tf_envs.Pendulum(2, max_episode_steps=3)
  agent = _ddpg(env, noise_stddev=0.1)
  ops = graph_iterations.off_policy(agent, env, 10**6, 1)
  _start(sess, ops)
  env.elapsed_steps.load([1, 0], sess)
  for iteration in range(1, 10):
    output = sess.run(ops.outputs, {ops.iterations: 1})
    ended = output['ended'][0]
    np.testing.assert_array_equal(
        ended, [iteration % 3 == 2, iteration % 3 == 0])
    noise = sess.run(agent.noise.state)[:, 0]
    # Rows 2 t and 2 t + 1 hold the members' transitions of iteration t.
    observ, action = (value[2 * iteration - 2:2 * iteration]
                      for value in sess.run(agent.buffer.storage[:2]))
    used = (action - sess.run(agent.greedy_action,
                              {agent.observ: observ}))[:, 0] / 2
    assert (np.abs(action) < 2).all() and (used != 0).all()
    np.testing.assert_array_equal(noise[ended], 0)
    np.testing.assert_allclose(noise[~ended], used[~ended], atol=1e-5)
  agent.noise.state.load([[0.5], [-0.5]], sess)
  sess.run(ops.start)  # Restarts every member's noise.
  np.testing.assert_array_equal(sess.run(agent.noise.state), [[0.], [0.]])


def _train_ddpg(seed):
  """Episode returns and weights of 400 iterations of DDPG on 2 members."""
  with tf.Graph().as_default():
    tf.set_random_seed(seed)
    env = tf_envs.Pendulum(2, max_episode_steps=50)
    agent = _ddpg(env)
    ops = graph_iterations.off_policy(agent, env, 100, 1)
    with tf.Session(config=session_config()) as sess:
      _start(sess, ops)
      sess.run(agent.sync_target)
      rows, output = _run(sess, ops, 150, 250)
      assert output['train_steps'] == 800 - 99  # Steps 100 to 800.
      return rows['returns'][rows['ended']], sess.run(tf.global_variables())


def test_ddpg_same_seed_same_run():
  first, weights = _train_ddpg(seed=5)
  again, same_weights = _train_ddpg(seed=5)
  assert len(first) == 16  # 8 episodes of 50 steps per member.
  np.testing.assert_array_equal(again, first)
  for value, same in zip(weights, same_weights):
    np.testing.assert_array_equal(same, value)
  other, _ = _train_ddpg(seed=6)
  assert not np.array_equal(other, first)


def test_a2c_trains_on_every_rollout_of_n_steps(sess):
  members = 3
  env = tf_envs.CartPole(members)
  agent = _a2c(env)
  ops = graph_iterations.on_policy(agent, env)
  _start(sess, ops)
  for done in range(1, 13):
    output = sess.run(ops.outputs, {ops.iterations: 1})
    assert output['train_steps'] == done // 5
    assert np.isnan(output['train_values']).all() == (done < 5)
    assert sess.run(agent.buffer.size()) == done % 5 * members
  _, output = _run(sess, ops, 8)  # To iteration 20: the 4th rollout.
  assert output['train_steps'] == 4 and np.isfinite(
      output['train_values']).all()
  assert sess.run([agent.env_steps, agent.buffer.size()]) == [20 * members, 0]


def test_reinforce_trains_once_every_member_finished_an_episode(sess):
  # Random-policy episodes last 10-40 steps: members end apart.
  members, limit = 3, 30
  env = tf_envs.CartPole(members, max_episode_steps=limit)
  agent = reinforce.ReinforceAgent(
      env.observation_spec(), env.action_spec(),
      reinforce.ReinforceConfig(hidden_sizes=(8,), num_envs=members,
                                max_episode_steps=limit))
  ops = graph_iterations.on_policy(agent, env)
  _start(sess, ops)
  running = _place('lengths')
  finished = np.zeros(members, bool)
  stored = updates = dropped = 0
  restarted = False
  for _ in range(150):
    output = sess.run(ops.outputs, {ops.iterations: 1})
    ended = output['ended'][0]
    if restarted:  # Every member starts an episode after an update.
      np.testing.assert_array_equal(output['lengths'][0], np.ones(members))
    stored += 1
    finished |= ended
    restarted = finished.all()
    if restarted:  # The update drops the members' unfinished episodes.
      updates += 1
      dropped += (~ended).sum()
      finished[:], stored = False, 0
      np.testing.assert_array_equal(sess.run(env.elapsed_steps),
                                    np.zeros(members))
      np.testing.assert_array_equal(sess.run(running), np.zeros(members))
    assert output['train_steps'] == updates
    assert sess.run(agent.buffer.size()) == stored * members
  assert updates >= 3 and dropped > 0
  assert sess.run(agent.env_steps) == 150 * members


def test_recurrent_torso_is_refused(graph):
  del graph
  env = tf_envs.CartPole(2)
  agent = _a2c(env, torso='gru', gru_units=4)
  with pytest.raises(ValueError, match="mlp torso.*'gru'"):
    graph_iterations.on_policy(agent, env)


@pytest.mark.parametrize('name', ['MaskedCartPole-v1', 'CartPole-v1'])
def test_dqn_on_python_environments(sess, name):
  if name == 'CartPole-v1':  # Python envs through a PyFuncEnvironment.
    env = tf_envs.PyFuncEnvironment([
        envs.load(name, seed=seed, max_episode_steps=30) for seed in (1, 2)])
  else:
    env = tf_envs.load(name, 2, seed=1)
  assert isinstance(env, tf_envs.PyFuncEnvironment)
  agent = _dqn(env, epsilon_steps=100, batch_size=8)
  ops = graph_iterations.off_policy(agent, env, 20, 1)
  _start(sess, ops)
  rows, output = _run(sess, ops, 100, 150)
  ended, lengths = rows['ended'], rows['lengths']
  np.testing.assert_array_equal(rows['steps'], 2 * np.arange(1, 251))
  assert output['train_steps'] == 2 * 250 - 19  # Steps 20 to 500.
  assert np.isfinite(output['train_values']).all()
  np.testing.assert_array_equal(rows['returns'], lengths)
  assert ended.sum() > 10
  running = sess.run(_place('lengths'))
  assert lengths[ended].sum() + running.sum() == 500
  assert sess.run([agent.env_steps, agent.buffer.size()]) == [500, 500]
  if name == 'CartPole-v1':
    assert lengths.max() == 30
