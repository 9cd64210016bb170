"""Tests for graphrl.networks: shapes, weight sharing, hand-set outputs."""

import sys

import numpy as np
import pytest

from graphrl import gru
from graphrl import networks
from graphrl.compat import tf


def _shapes(scope):
  return {v.op.name[len(scope) + 1:]: v.shape.as_list()
          for v in networks.get_variables(scope)}


def _op_output(name):
  return tf.get_default_graph().get_operation_by_name(name).outputs[0]


def _a3c_gru(frames, initial_state, resets, name):
  """A2C's network 'a3c' with torso 'gru', as `A2CAgent._forward_rollout`
  builds it: `networks.a3c_torso` on every frame of [B, T, H, W, C], then
  `gru.gru_sequence` over T. Returns ([B, T, 256], the final state [B, 256])."""
  batch = frames.shape.as_list()[0]
  with tf.variable_scope(name, reuse=tf.AUTO_REUSE):
    features = networks.a3c_torso(
        tf.reshape(frames, [-1] + frames.shape.as_list()[2:]), 'torso')
    features = tf.reshape(features, [batch, -1, features.shape[-1]])
    return gru.gru_sequence(
        features, initial_state, resets, networks.A3C_UNITS)


def test_mlp_hand_set_weights(sess):
  # x = [1, 2]; hidden: W1 = [[1, -1], [1, 1]], b1 = [0, -2] ->
  # x W1 + b1 = [1 + 2, -1 + 2 - 2] = [3, -1], relu -> [3, 0];
  # output: W2 = [[2], [5]], b2 = [1] -> 3 * 2 + 0 * 5 + 1 = 7.
  out = networks.mlp(tf.constant([[1., 2.]]), [2], 1, 'mlp')
  assert out.shape.as_list() == [1, 1]
  variables = dict(zip(['w1', 'b1', 'w2', 'b2'], networks.get_variables('mlp')))
  sess.run(tf.global_variables_initializer())
  sess.run([variables['w1'].assign([[1., -1.], [1., 1.]]),
            variables['b1'].assign([0., -2.]),
            variables['w2'].assign([[2.], [5.]]),
            variables['b2'].assign([1.])])
  np.testing.assert_allclose(sess.run(out), [[7.]])


def test_mlp_shapes_and_sharing(graph):
  del graph
  inputs = tf.zeros([3, 4])
  out = networks.mlp(inputs, [8, 5], 2, 'net')
  # Weights [4, 8], [8, 5], [5, 2] and their biases.
  assert _shapes('net') == {
      'hidden_0/weights': [4, 8], 'hidden_0/biases': [8],
      'hidden_1/weights': [8, 5], 'hidden_1/biases': [5],
      'output/weights': [5, 2], 'output/biases': [2]}
  networks.mlp(inputs, [8, 5], 2, 'net')
  assert len(tf.trainable_variables()) == 6  # Second call reused all six.
  assert out.shape.as_list() == [3, 2]
  assert networks.mlp(inputs, [], 3, 'linear').shape.as_list() == [3, 3]


def test_get_variables_by_name_and_scope(graph):
  del graph
  networks.mlp(tf.zeros([1, 2]), [3], 1, 'q')
  networks.mlp(tf.zeros([1, 2]), [3], 1, 'q_target')
  # 'q' must not pick up 'q_target/...' by prefix.
  assert [v.op.name for v in networks.get_variables('q')] == [
      'q/hidden_0/weights', 'q/hidden_0/biases', 'q/output/weights',
      'q/output/biases']
  with tf.variable_scope('q_target') as scope:
    pass
  assert len(networks.get_variables(scope)) == 4
  with pytest.raises(ValueError, match='no trainable variables'):
    networks.get_variables('missing')


def test_nature_torso_shapes(graph):
  del graph
  frames = tf.placeholder(tf.uint8, [None, 84, 84, 4])
  features = networks.nature_dqn_torso(frames, 'torso')
  assert features.shape.as_list() == [None, 512]
  conv3 = _op_output('torso/conv3/Relu')
  # (84 - 8) / 4 + 1 = 20, (20 - 4) / 2 + 1 = 9, (9 - 3) / 1 + 1 = 7.
  assert _op_output('torso/conv1/Relu').shape.as_list() == [
      None, 20, 20, 32]
  assert _op_output('torso/conv2/Relu').shape.as_list() == [
      None, 9, 9, 64]
  assert conv3.shape.as_list() == [None, 7, 7, 64]
  # Flattened: 7 * 7 * 64 = 3136 inputs to the 512-unit layer.
  assert _shapes('torso')['fc/weights'] == [3136, 512]


@pytest.mark.parametrize('q_values, count', [
    # conv1: 8*8*4*32 + 32 = 8224;     conv2: 4*4*32*64 + 64 = 32832;
    # conv3: 3*3*64*64 + 64 = 36928;   fc: 3136*512 + 512 = 1606144;
    # q: 512*6 + 6 = 3078;  total = 8224 + 32832 + 36928 + 1606144 + 3078.
    (networks.nature_q_values, 1687206),
    # conv1: 8*8*4*16 + 16 = 4112;    conv2: 4*4*16*32 + 32 = 8224;
    # fc: 2592*256 + 256 = 663808;    q: 256*6 + 6 = 1542;
    # total = 4112 + 8224 + 663808 + 1542, 40% of the Nature network's.
    (networks.a3c_q_values, 677686),
], ids=['nature', 'a3c'])
def test_q_network_parameter_count(graph, q_values, count):
  del graph
  q = q_values(tf.zeros([2, 84, 84, 4], tf.uint8), 6, 'q')
  assert q.shape.as_list() == [2, 6]
  assert sum(np.prod(v.shape.as_list())
             for v in networks.get_variables('q')) == count


def test_dueling_head_hand_set_weights(sess):
  # Torso: the identity on f = [1, 2]. V = f W_v + b_v with W_v = [[1],
  # [1]], b_v = [0.5] -> 3.5. A = f W_a + b_a with W_a = [[1, 0, 2],
  # [0, 1, -1]], b_a = [0, 0, 3] -> [1, 2, 3]; mean A = 2.
  # Q = V + A - mean A = [3.5 - 1, 3.5, 3.5 + 1] = [2.5, 3.5, 4.5].
  q = networks.q_values(lambda x, _: x, tf.constant([[1., 2.]]), 3, 'q',
                        dueling=True)
  shapes = _shapes('q')
  assert shapes == {'value/weights': [2, 1], 'value/biases': [1],
                    'advantage/weights': [2, 3], 'advantage/biases': [3]}
  sess.run(tf.global_variables_initializer())
  variables = {v.op.name: v for v in networks.get_variables('q')}
  sess.run([variables['q/value/weights'].assign([[1.], [1.]]),
            variables['q/value/biases'].assign([.5]),
            variables['q/advantage/weights'].assign([[1., 0., 2.],
                                                     [0., 1., -1.]]),
            variables['q/advantage/biases'].assign([0., 0., 3.])])
  np.testing.assert_allclose(sess.run(q), [[2.5, 3.5, 4.5]])


def test_dueling_a3c_network_parameter_count(graph):
  del graph
  # The a3c torso (4112 + 8224 + 663808) with V: 256 + 1 = 257 and
  # A: 256*6 + 6 = 1542 weights, 257 more than the single head's.
  q = networks.a3c_q_values(tf.zeros([2, 84, 84, 4], tf.uint8), 6, 'q',
                            dueling=True)
  assert q.shape.as_list() == [2, 6]
  assert sum(np.prod(v.shape.as_list())
             for v in networks.get_variables('q')) == 677686 + 257


@pytest.mark.parametrize('torso, count', [
    # The torsos' counts above less their heads' (3078 and 1542).
    (networks.nature_dqn_torso, 1687206 - 3078),
    (networks.a3c_torso, 677686 - 1542),
], ids=['nature', 'a3c'])
@pytest.mark.parametrize('dueling', [False, True])
def test_quantile_head_shapes(graph, torso, count, dueling):
  del graph
  # A = 6 actions, N = 5 quantiles on D features: theta [B, A, N] from
  # D * 30 + 30 weights, or with dueling D * 5 + 5 (V) more.
  theta = networks.quantile_values(
      torso, tf.zeros([2, 84, 84, 4], tf.uint8), 6, 5, 'q', dueling)
  assert theta.shape.as_list() == [2, 6, 5]
  features = 512 if torso is networks.nature_dqn_torso else networks.A3C_UNITS
  heads = features * 30 + 30 + dueling * (features * 5 + 5)
  assert sum(np.prod(v.shape.as_list())
             for v in networks.get_variables('q')) == count + heads
  head = 'advantage' if dueling else 'quantiles'
  assert _shapes('q')[head + '/weights'] == [features, 30]


def test_quantile_head_of_an_mlp_torso(sess):
  # f = x = [[1, 2]] (no hidden layer), A = 2, N = 3: W [2, 6], b [6], and
  # theta[a, i] = (f W + b)[a * N + i]. With W = 0 and b = 0..5,
  # theta = [[0, 1, 2], [3, 4, 5]] and Q = mean_i theta = [1, 4].
  theta = networks.quantile_values(
      lambda x, _: networks.mlp_torso(x, ()), tf.constant([[1., 2.]]), 2, 3,
      'q')
  assert _shapes('q') == {'quantiles/weights': [2, 6],
                          'quantiles/biases': [6]}
  weights, biases = networks.get_variables('q')
  sess.run([weights.assign(tf.zeros([2, 6])),
            biases.assign(tf.range(6.))])
  np.testing.assert_allclose(sess.run(theta), [[[0., 1., 2.], [3., 4., 5.]]])


def test_dueling_quantile_head_hand_set_weights(sess):
  # Torso: the identity on f = [1, 2]; A = 2, N = 2.
  # V = f W_v + b_v, W_v = I, b_v = [0, 0.5] -> [1, 2.5] ([B, 1, N]).
  # A = f W_a + b_a, W_a = [[1, 0, 0, 0], [0, 0, 0, 1]], b_a = [0, 5, 3, 0]
  # -> [1, 5, 3, 2]: A(., 0) = [1, 5], A(., 1) = [3, 2]; per quantile the
  # mean over actions is [2, 3.5].
  # theta(., 0) = [1 + 1 - 2, 2.5 + 5 - 3.5] = [0, 4],
  # theta(., 1) = [1 + 3 - 2, 2.5 + 2 - 3.5] = [2, 1]; Q = [2, 1.5].
  # (Centring each action's advantages on their mean over all quantiles and
  # actions, 2.75, would give [0.75, 3.25] and [1.25, 1.75].)
  theta = networks.quantile_values(lambda x, _: x, tf.constant([[1., 2.]]),
                                   2, 2, 'q', dueling=True)
  assert theta.shape.as_list() == [1, 2, 2]
  variables = {v.op.name: v for v in networks.get_variables('q')}
  sess.run([variables['q/value/weights'].assign([[1., 0.], [0., 1.]]),
            variables['q/value/biases'].assign([0., .5]),
            variables['q/advantage/weights'].assign([[1., 0., 0., 0.],
                                                     [0., 0., 0., 1.]]),
            variables['q/advantage/biases'].assign([0., 5., 3., 0.])])
  got = sess.run(theta)
  np.testing.assert_allclose(got, [[[0., 4.], [2., 1.]]])
  np.testing.assert_allclose(got.mean(axis=2), [[2., 1.5]])


def test_uint8_frames_are_scaled(sess):
  # Frames of 255 (uint8) and 1.0 (float) must give the same features.
  from_uint8 = networks.a3c_torso(tf.fill([1, 84, 84, 1], np.uint8(255)), 't')
  from_float = networks.a3c_torso(tf.ones([1, 84, 84, 1]), 't')
  sess.run(tf.global_variables_initializer())
  got_uint8, got_float = sess.run([from_uint8, from_float])
  np.testing.assert_allclose(got_uint8, got_float, rtol=1e-6)
  assert np.any(got_float > 0)


def test_a3c_torso_shapes(graph):
  del graph
  features = networks.a3c_torso(tf.zeros([3, 84, 84, 4]), 'a3c')
  assert features.shape.as_list() == [3, 256]
  # (84 - 8) / 4 + 1 = 20, (20 - 4) / 2 + 1 = 9; flatten 9 * 9 * 32 = 2592.
  assert _shapes('a3c') == {
      'conv1/weights': [8, 8, 4, 16], 'conv1/biases': [16],
      'conv2/weights': [4, 4, 16, 32], 'conv2/biases': [32],
      'fc/weights': [2592, 256], 'fc/biases': [256]}


def test_a3c_gru_shapes_and_sharing(graph):
  del graph
  frames = tf.zeros([2, 5, 84, 84, 1], tf.uint8)
  features, state = _a3c_gru(
      frames, tf.zeros([2, 256]), tf.zeros([2, 5], tf.bool), 'rnn')
  assert features.shape.as_list() == [2, 5, 256]
  assert state.shape.as_list() == [2, 256]
  count = len(tf.trainable_variables())
  # Torso: 3 layers * (weights, biases); GRU: 2 * (weights, biases).
  assert count == 10
  _a3c_gru(frames[:, :1], state, tf.zeros([2, 1], tf.bool), 'rnn')
  assert len(tf.trainable_variables()) == count


def test_policy_value_heads_shapes(graph):
  del graph
  logits, values = networks.policy_value_heads(tf.zeros([4, 7]), 3, 'heads')
  assert logits.shape.as_list() == [4, 3]
  assert values.shape.as_list() == [4]
  logits, values = networks.policy_value_heads(
      tf.zeros([4, 2, 7]), 3, 'heads')
  assert logits.shape.as_list() == [4, 2, 3]
  assert values.shape.as_list() == [4, 2]


def test_ddpg_shapes_and_sharing(graph):
  del graph
  states = tf.zeros([5, 8])
  actions = networks.ddpg_actor(states, 2, 'actor', -2., 2.)
  assert actions.shape.as_list() == [5, 2]
  q = networks.ddpg_critic(states, tf.zeros([5, 2]), 'critic')
  assert q.shape.as_list() == [5]
  assert _shapes('critic') == {
      'fc1/weights': [8, 400], 'fc1/biases': [400],
      # 400 hidden units concatenated with the 2 action dimensions.
      'fc2/weights': [402, 300], 'fc2/biases': [300],
      'q_value/weights': [300, 1], 'q_value/biases': [1]}
  assert _shapes('actor')['action/weights'] == [300, 2]


def test_ddpg_critic_with_the_action_at_the_input(sess):
  # action_layer=1: h1 = relu([s, a] W1 + b1). With W1 rows (s0, s1, a) =
  # (1 0, 0 0, 0 2), zero biases, W2 = I, q weights (1, 1), q bias 0.5:
  # s = (3, 7), a = 0.25 -> h1 = (3, 0.5) = h2, Q = 3.5 + 0.5 = 4.
  q = networks.ddpg_critic(tf.constant([[3., 7.]]), tf.constant([[0.25]]),
                           'critic', (2, 2), action_layer=1)
  assert _shapes('critic') == {
      'fc1/weights': [3, 2], 'fc1/biases': [2],
      'fc2/weights': [2, 2], 'fc2/biases': [2],
      'q_value/weights': [2, 1], 'q_value/biases': [1]}
  values = {'fc1/weights': [[1., 0.], [0., 0.], [0., 2.]],
            'fc1/biases': [0., 0.], 'fc2/weights': np.eye(2),
            'fc2/biases': [0., 0.], 'q_value/weights': [[1.], [1.]],
            'q_value/biases': [0.5]}
  for variable in networks.get_variables('critic'):
    variable.load(values[variable.op.name[len('critic/'):]], sess)
  np.testing.assert_allclose(sess.run(q), [4.], rtol=1e-6)


def test_ddpg_final_layer_init_is_small(sess):
  networks.ddpg_critic(tf.zeros([1, 3]), tf.zeros([1, 1]), 'critic')
  networks.ddpg_actor(tf.zeros([1, 3]), 1, 'actor')
  sess.run(tf.global_variables_initializer())
  for scope in ('critic/q_value', 'actor/action'):
    values = sess.run(networks.get_variables(scope))
    assert all(np.all(np.abs(v) <= 3e-3) for v in values)
    assert any(np.any(v != 0) for v in values)
  # Hidden weights ~ U(+-1/sqrt(fan_in)): fan_in = 3 -> limit 0.577.
  hidden = sess.run(networks.get_variables('critic/fc1')[0])
  assert np.all(np.abs(hidden) <= 1 / np.sqrt(3))
  assert np.max(np.abs(hidden)) > 0.3


def test_actor_output_within_bounds(sess):
  low, high = np.array([-2., 0.]), np.array([2., 10.])
  states = np.random.RandomState(0).randn(64, 3) * 100
  actions = networks.ddpg_actor(
      tf.constant(states, tf.float32), 2, 'actor', low, high)
  sess.run(tf.global_variables_initializer())
  got = sess.run(actions)
  assert np.all(got >= low) and np.all(got <= high)
  # Zero final weights, biases +-10: tanh(+-10) = +-(1 - 4e-9), so
  # mu = low + (high - low) * (+-1 + 1) / 2 = high or low.
  weights, biases = networks.get_variables('actor/action')
  sess.run([weights.assign(tf.zeros_like(weights)), biases.assign([10., -10.])])
  np.testing.assert_allclose(sess.run(actions)[0], [2., 0.], atol=1e-6)
  sess.run(biases.assign([-10., 10.]))
  np.testing.assert_allclose(sess.run(actions)[0], [-2., 10.], atol=1e-6)


def test_bad_inputs_raise(graph):
  del graph
  with pytest.raises(ValueError, match='frames must have rank 4'):
    networks.nature_dqn_torso(tf.zeros([84, 84, 4]), 'torso')
  with pytest.raises(ValueError, match='non-batch dimensions must be static'):
    networks.a3c_torso(tf.placeholder(tf.float32, [None, None, 84, 1]), 'a')
  with pytest.raises(ValueError, match='low < high'):
    networks.ddpg_actor(tf.zeros([1, 3]), 2, 'actor', 1., -1.)
  with pytest.raises(ValueError, match='actions must have rank 2'):
    networks.ddpg_critic(tf.zeros([1, 3]), tf.zeros([1]), 'critic')
  with pytest.raises(ValueError, match='action_layer must be 1 or 2'):
    networks.ddpg_critic(tf.zeros([1, 3]), tf.zeros([1, 1]), 'critic',
                         action_layer=3)


# Errata of the lecture code (/work/shared/seeds/).


def test_erratum_first_call_creates_variables(graph):
  # Seed 000 opens `tf.variable_scope('qvalues', reuse=True)`, which raises
  # on the first call because no variables exist yet; later calls must share.
  del graph
  frames = tf.zeros([1, 84, 84, 4])
  networks.nature_q_values(frames, 4, 'qvalues')
  count = len(tf.trainable_variables())
  assert count == 10
  networks.nature_q_values(frames + 1., 4, 'qvalues')
  assert len(tf.trainable_variables()) == count


def test_erratum_nature_torso_flattens(graph):
  # Seed 000 applies `dense` to the [B, 7, 7, 64] conv output, which gives
  # [B, 7, 7, 512] features from a [64, 512] kernel and [B, 7, 7, A] Q-values.
  del graph
  q = networks.nature_q_values(tf.zeros([2, 84, 84, 4]), 3, 'q')
  assert q.shape.as_list() == [2, 3]
  assert _shapes('q')['torso/fc/weights'] == [3136, 512]


def test_erratum_a3c_torso_flattens(graph):
  # Seed 000 `_policy`/`_shared_network` apply `dense` to the [B, 9, 9, 32]
  # conv output: [B, 9, 9, 256] features from a [32, 256] kernel.
  del graph
  assert networks.a3c_torso(
      tf.zeros([2, 84, 84, 4]), 'a3c').shape.as_list() == [2, 256]
  assert _shapes('a3c')['fc/weights'] == [2592, 256]


def test_erratum_a3c_gru_batch_items_are_independent(sess):
  # Seed 000 runs `dynamic_rnn` on `h3[None, ...]`: the B batch items become
  # one sequence of length B, so item 1's features depend on item 0. Here each
  # batch item is its own sequence: item 1 alone gives the same features.
  rng = np.random.RandomState(0)
  frames = rng.randint(0, 256, [2, 1, 84, 84, 1]).astype(np.uint8)
  both, _ = _a3c_gru(
      tf.constant(frames), tf.zeros([2, 256]), tf.ones([2, 1], tf.bool), 'r')
  alone, _ = _a3c_gru(
      tf.constant(frames[1:]), tf.zeros([1, 256]), tf.ones([1, 1], tf.bool),
      'r')
  sess.run(tf.global_variables_initializer())
  got_both, got_alone = sess.run([both, alone])
  np.testing.assert_allclose(got_both[1], got_alone[0], rtol=1e-5, atol=1e-6)
  assert not np.allclose(got_both[0], got_both[1])


def test_erratum_a3c_gru_resets_at_episode_start(sess):
  # Seed 000 never resets the GRU state. With a reset before step 1, the
  # features from step 1 on must equal those of a fresh episode starting there
  # and differ from the run without the reset.
  rng = np.random.RandomState(1)
  frames = tf.constant(rng.randint(0, 256, [1, 2, 84, 84, 1]), tf.uint8)
  state = tf.ones([1, 256])
  reset, _ = _a3c_gru(frames, state, tf.constant([[False, True]]), 'r')
  carried, _ = _a3c_gru(frames, state, tf.constant([[False, False]]), 'r')
  fresh, _ = _a3c_gru(
      frames[:, 1:], tf.zeros([1, 256]), tf.constant([[False]]), 'r')
  sess.run(tf.global_variables_initializer())
  got_reset, got_carried, got_fresh = sess.run([reset, carried, fresh])
  np.testing.assert_allclose(got_reset[:, 1], got_fresh[:, 0], rtol=1e-5,
                             atol=1e-6)
  assert not np.allclose(got_carried[:, 1], got_fresh[:, 0])


def test_erratum_value_head_drops_unit_axis(graph):
  # Seed 000 takes `value = dense(features, 1)` [B, 1]; `return_ - value`
  # with return_ [B] then broadcasts to [B, B]. The value head gives [B].
  del graph
  _, values = networks.policy_value_heads(tf.zeros([3, 5]), 2, 'heads')
  returns = tf.zeros([3])
  assert (returns - values).shape.as_list() == [3]


def test_erratum_critic_batch_one_keeps_batch_axis(graph):
  # Seed 004 returns `tf.squeeze(q)`: for batch size 1 that is a scalar [].
  del graph
  q = networks.ddpg_critic(tf.zeros([1, 3]), tf.zeros([1, 2]), 'critic')
  assert q.shape.as_list() == [1]


def test_erratum_critic_shares_weights_across_calls(sess):
  # Seed 004 builds the critic on (s, a) and again on (s, mu(s)) under a plain
  # `tf.variable_scope('online')`, where `tf.layers.dense` uniquifies layer
  # names and so creates a second, untrained critic for the actor's gradient.
  states = tf.constant([[0.5, -1.]])
  actions = tf.constant([[0.3]])
  first = networks.ddpg_critic(states, actions, 'online')
  count = len(tf.trainable_variables())
  second = networks.ddpg_critic(states, actions, 'online')
  assert len(tf.trainable_variables()) == count == 6
  sess.run(tf.global_variables_initializer())
  got_first, got_second = sess.run([first, second])
  np.testing.assert_allclose(got_first, got_second)


def test_erratum_actor_scaled_to_action_bounds(sess):
  # Seed 004 returns the raw tanh in [-1, 1]. With the final bias set to 10,
  # tanh(~10) = 1 - 4e-9, so mu = low + (high - low) * (1 + 1) / 2 = high = 2;
  # the lecture's actor would output 1.
  actions = networks.ddpg_actor(tf.zeros([1, 3]), 1, 'actor', -2., 2.)
  sess.run(tf.global_variables_initializer())
  sess.run(networks.get_variables('actor/action')[1].assign([10.]))
  np.testing.assert_allclose(sess.run(actions), [[2.]], rtol=1e-6)


if __name__ == '__main__':
  sys.exit(pytest.main([__file__]))
