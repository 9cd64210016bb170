"""Tests of TD3's pieces in `DDPGAgent` (Fujimoto et al., 2018).

The networks are hand-set by `ddpg_testing` (S = U = 1, bounds [-1, 1],
the action joining the critics' second layer): an actor with zero weights
gives mu(s) = tanh(b) for every s, and `set_critic` gives
Q(s, a) = slope * relu(a + 1) + offset.
"""

import sys

import numpy as np
import pytest

from graphrl.agents import ddpg
from graphrl.agents import registry
from graphrl.compat import tf
from graphrl import envs
import ddpg_testing

# The transition every test trains on: s, a, r = 1, s', non-terminal.
TRANSITION = ([0.3], [0.2], 1.0, [-0.7], 1.0)


def _agent(**overrides):
  config = ddpg.TD3Config(**dict(dict(
      actor_hidden_sizes=(2,), critic_hidden_sizes=(2, 2),
      critic_action_layer=2, batch_size=1, replay_capacity=1, gamma=0.9),
                                 **overrides))
  return ddpg.DDPGAgent(envs.ArraySpec((1,), np.float32),
                        envs.BoundedArraySpec((1,), np.float32, -1, 1), config)


def _hand_set(sess, agent):
  """mu_T = 0.5; Q_1 = 0.5, Q_2 = 1; Q_T1 = 2 relu(a + 1) + 0.25,
  Q_T2 = relu(a + 1)."""
  sess.run(tf.global_variables_initializer())
  sess.run(agent.sync_target)
  ddpg_testing.set_actor(sess, 'ddpg/actor_target', 0.5)
  ddpg_testing.set_critic(sess, 'ddpg/critic', 0., 0.5)
  ddpg_testing.set_critic(sess, 'ddpg/critic_2', 0., 1.)
  ddpg_testing.set_critic(sess, 'ddpg/critic_target', 2., 0.25)
  ddpg_testing.set_critic(sess, 'ddpg/critic_2_target', 1., 0.)


def test_td3_config_sets_the_three_pieces():
  config = ddpg.TD3Config()
  assert (config.twin_critics, config.target_noise, config.target_noise_clip,
          config.policy_delay, config.critic_action_layer) == (
              True, 0.2, 0.5, 2, 1)
  plain = ddpg.DDPGConfig()
  assert (plain.twin_critics, plain.target_noise, plain.policy_delay,
          plain.critic_action_layer, plain.random_steps) == (False, 0., 1, 2, 0)
  assert registry.AGENTS['td3'].config is ddpg.TD3Config
  assert registry.AGENTS['td3'].agent is ddpg.DDPGAgent


def test_twin_critics_bootstrap_from_the_smaller_target(sess):
  # a' = mu_T(s') = 0.5 (no smoothing): Q_T1 = 2 * 1.5 + 0.25 = 3.25,
  # Q_T2 = 1.5, so y = 1 + 0.9 * min(3.25, 1.5) = 2.35, and both critics
  # regress to it: L = 0.5 (2.35 - 0.5)^2 + 0.5 (2.35 - 1)^2
  #                  = 1.71125 + 0.91125 = 2.6225.
  # (Q_T1 alone would give y = 3.925 and L = 5.8653125 + 4.2778125.)
  agent = _agent(target_noise=0.)
  _hand_set(sess, agent)
  feed = ddpg_testing.feed(agent, *TRANSITION)
  np.testing.assert_allclose(sess.run(agent.loss, feed), 2.6225, rtol=1e-6)


def test_twin_critics_with_ema_targets_bootstrap_from_the_smaller(sess):
  # EMA shadows start as copies of the online networks: Q_1 = 0.5 and
  # Q_2 = relu(a + 1) at a' = mu(s') = 0.5, so y = 1 + 0.9 * min(0.5, 1.5)
  # = 1.45; the critics at the stored a = 0.2 are Q_1 = 0.5, Q_2 = 1.2:
  # L = 0.5 (1.45 - 0.5)^2 + 0.5 (1.45 - 1.2)^2 = 0.45125 + 0.03125.
  agent = _agent(target_noise=0., target_update='ema')
  sess.run(tf.global_variables_initializer())
  ddpg_testing.set_actor(sess, 'ddpg/actor', 0.5)
  ddpg_testing.set_critic(sess, 'ddpg/critic', 0., 0.5)
  ddpg_testing.set_critic(sess, 'ddpg/critic_2', 1., 0.)
  for shadow in [v for v in tf.global_variables()
                 if 'ExponentialMovingAverage' in v.op.name]:
    online = shadow.op.name.replace('ddpg/', '', 1).replace(
        '/ExponentialMovingAverage', '')
    shadow.load(sess.run(_variables_by_name()[online]), sess)
  feed = ddpg_testing.feed(agent, *TRANSITION)
  np.testing.assert_allclose(sess.run(agent.loss, feed), 0.4825, rtol=1e-5)


def _variables_by_name():
  return {v.op.name: v for v in tf.global_variables()}


def test_target_noise_is_clipped(sess):
  # sigma = 1e3 with c = 0.25: the clipped noise is +-0.25 (|eps| < 0.25
  # has probability ~2e-4 per draw), so a' = 0.5 +- 0.25 and the smaller
  # target is Q_T2 = relu(a' + 1) = 1.75 or 1.25: y = 2.575 or 2.125, and
  # L = 0.5 (y - 0.5)^2 + 0.5 (y - 1)^2 = 3.393125 or 1.953125.
  agent = _agent(target_noise=1e3, target_noise_clip=0.25)
  _hand_set(sess, agent)
  feed = ddpg_testing.feed(agent, *TRANSITION)
  seen = {round(float(sess.run(agent.loss, feed)), 4) for _ in range(40)}
  assert seen == {3.3931, 1.9531}, seen


def test_without_target_noise_the_target_action_is_the_target_actors(sess):
  agent = _agent(target_noise=0.)
  _hand_set(sess, agent)
  feed = ddpg_testing.feed(agent, *TRANSITION)
  assert {round(float(sess.run(agent.loss, feed)), 6)
          for _ in range(5)} == {2.6225}


@pytest.mark.parametrize('target_update', ['soft', 'ema'])
def test_actor_and_targets_step_every_policy_delay_train_steps(
    sess, target_update):
  # policy_delay 3: the critics change at every train step k = 1..6, the
  # actor and the targets only after k = 3 and k = 6.
  agent = _agent(policy_delay=3, target_update=target_update,
                 actor_learning_rate=0.1, critic_learning_rate=0.1, tau=0.5)
  sess.run(tf.global_variables_initializer())
  sess.run(agent.sync_target)
  variables = ddpg_testing.scope_variables
  groups = {
      'actor': variables('ddpg/actor'),
      'critics': variables('ddpg/critic') + variables('ddpg/critic_2'),
      'targets': ([v for v in tf.global_variables()
                   if 'ExponentialMovingAverage' in v.op.name]
                  if target_update == 'ema' else
                  variables('ddpg/actor_target') +
                  variables('ddpg/critic_target') +
                  variables('ddpg/critic_2_target'))}
  assert all(groups.values())
  changed = {name: [] for name in groups}
  feed = ddpg_testing.feed(agent, *TRANSITION)
  for _ in range(6):
    before = sess.run(groups)
    sess.run(agent.train, feed)
    after = sess.run(groups)
    for name in groups:
      changed[name].append(any(not np.array_equal(a, b)
                               for a, b in zip(before[name], after[name])))
  assert changed['critics'] == [True] * 6
  assert changed['actor'] == [False, False, True, False, False, True]
  assert changed['targets'] == [False, False, True, False, False, True]
  assert sess.run(agent.train_steps) == 6


def test_the_greedy_policy_reads_the_first_critic_only(sess):
  # The actor ascends Q_1: with Q_1 = 2 relu(a + 1) (rising in a) and
  # Q_2 = -5 relu(a + 1) (falling), one actor step (policy_delay 1) raises
  # mu(s) = tanh(b) from 0.
  agent = _agent(policy_delay=1, actor_learning_rate=0.1)
  sess.run(tf.global_variables_initializer())
  ddpg_testing.set_actor(sess, 'ddpg/actor', 0.)
  ddpg_testing.set_critic(sess, 'ddpg/critic', 2., 0.)
  ddpg_testing.set_critic(sess, 'ddpg/critic_2', -5., 0.)
  sess.run(agent.train, ddpg_testing.feed(agent, *TRANSITION))
  assert sess.run(agent.greedy_action, {agent.observ: [[0.3]]})[0, 0] > 0.05


def test_the_first_random_steps_act_uniformly(sess):
  # mu(s) = -0.5 and no exploration noise: the first 3 actions are uniform
  # draws in [-1, 1] (not -0.5), then every action is mu(s) = -0.5.
  agent = _agent(random_steps=3, noise_stddev=0.)
  sess.run(tf.global_variables_initializer())
  ddpg_testing.set_actor(sess, 'ddpg/actor', -0.5)
  observ = {agent.observ: [[0.3]]}
  actions = [sess.run(agent.explore_action, observ)[0, 0] for _ in range(6)]
  assert all(-1 <= a <= 1 and abs(a + 0.5) > 1e-3 for a in actions[:3])
  assert len(set(actions[:3])) == 3
  np.testing.assert_allclose(actions[3:], [-0.5] * 3, rtol=1e-6)
  assert sess.run(agent.env_steps) == 6


@pytest.mark.parametrize('field, value, message', [
    ('target_noise', -0.1, 'target_noise must be >= 0'),
    ('target_noise_clip', 0., 'target_noise_clip must be positive'),
    ('policy_delay', 0, 'policy_delay must be >= 1'),
    ('num_envs', 0, 'num_envs must be >= 1'),
    ('random_steps', -1, 'random_steps must be >= 0'),
    ('critic_action_layer', 3, 'critic_action_layer must be 1 or 2'),
])
def test_bad_td3_settings_are_refused(field, value, message):
  with pytest.raises(ValueError, match=message):
    ddpg.TD3Config(**{field: value}).validate()


if __name__ == '__main__':
  sys.exit(pytest.main([__file__]))
