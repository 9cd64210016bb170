"""Tests of graphrl.distributed.n_step_assembler, by hand and against the
in-graph n-step transitions of graphrl.n_step."""

import numpy as np
import pytest

from graphrl import n_step
from graphrl import replay
from graphrl.compat import tf
from graphrl.distributed.n_step_assembler import NStepAssembler


def _feed(assembler, rewards, discount=1.0, last_at=None):
  """Feeds steps t with s_t = t, a_t = 10 t, s'_t = t + 1; the step
  `last_at` ends the episode with `discount`. Returns what each returned."""
  returned = []
  for t, reward in enumerate(rewards):
    last = t == last_at
    returned.append(assembler.add(t, 10 * t, reward, t + 1,
                                  discount if last else 1.0, last))
  return returned


def _rows(transitions):
  return [tuple(float(x) for x in transition) for transition in transitions]


def test_three_step_returns_within_an_episode():
  returned = _feed(NStepAssembler(3, 0.5), [1., 2., 3., 4.])
  assert returned[:2] == [[], []]
  # R = 1 + 0.5 * 2 + 0.25 * 3 = 2.75, s' = s_3, d = 0.5^2 = 0.25.
  assert _rows(returned[2]) == [(0, 0, 2.75, 3, 0.25)]
  # R = 2 + 0.5 * 3 + 0.25 * 4 = 4.5.
  assert _rows(returned[3]) == [(1, 10, 4.5, 4, 0.25)]


def test_a_termination_flushes_with_discount_zero():
  assembler = NStepAssembler(3, 0.5)
  returned = _feed(assembler, [1., 2., 3., 4.], discount=0.0, last_at=3)
  assert _rows(returned[3]) == [
      (1, 10, 4.5, 4, 0.0),   # 2 + 0.5 * 3 + 0.25 * 4, d = 0.25 * 0
      (2, 20, 5.0, 4, 0.0),   # 3 + 0.5 * 4
      (3, 30, 4.0, 4, 0.0)]
  assert assembler.pending == 0


def test_a_truncation_flushes_bootstrapping_from_the_final_observation():
  returned = _feed(NStepAssembler(3, 0.5), [1., 2., 3., 4.], discount=1.0,
                   last_at=3)
  assert _rows(returned[3]) == [
      (1, 10, 4.5, 4, 0.25), (2, 20, 5.0, 4, 0.5), (3, 30, 4.0, 4, 1.0)]


def test_an_episode_shorter_than_n():
  assembler = NStepAssembler(3, 0.5)
  returned = _feed(assembler, [1., 2.], discount=0.0, last_at=1)
  assert returned[0] == []
  assert _rows(returned[1]) == [(0, 0, 2.0, 2, 0.0), (1, 10, 2.0, 2, 0.0)]
  # The next episode starts afresh.
  assert assembler.add(5, 50, 7., 6, 0.0, True)[0][2] == 7.


def test_one_step_is_the_transition_itself():
  returned = _feed(NStepAssembler(1, 0.9), [1., 2.], discount=0.0, last_at=1)
  assert [_rows(r) for r in returned] == [[(0, 0, 1., 1, 1.)],
                                         [(1, 10, 2., 2, 0.)]]


@pytest.mark.parametrize('n, gamma', [(0, 0.9), (2.0, 0.9), (2, 1.5)])
def test_refuses_bad_settings(n, gamma):
  with pytest.raises(ValueError, match='n must|gamma must'):
    NStepAssembler(n, gamma)


def test_agrees_with_the_in_graph_n_step_transitions(sess):
  """A stream of episodes (terminated and truncated) stored one step per
  row: graphrl.n_step's transition of each row is the assembler's."""
  rng = np.random.RandomState(0)
  n, gamma, ends = 3, 0.9, {4: 0.0, 6: 1.0, 12: 0.0, 13: 1.0, 19: 0.0}
  assembler, stream, assembled = NStepAssembler(n, gamma), [], {}
  observ = 0.0
  for t in range(20):
    reward, next_observ = float(rng.randn()), observ + 1.0
    discount = ends.get(t, 1.0)
    stream.append((observ, reward, next_observ, discount))
    for transition in assembler.add(np.float32([observ]), t, reward,
                                    np.float32([next_observ]), discount,
                                    t in ends):
      assembled[transition[1]] = transition
    observ = 100.0 * t if t in ends else next_observ  # A reset's.
  specs = [tf.TensorSpec([1], tf.float32), tf.TensorSpec([], tf.int64),
           tf.TensorSpec([], tf.float32), tf.TensorSpec([1], tf.float32),
           tf.TensorSpec([], tf.float32)]
  buffer = replay.ReplayBuffer(specs, 32)
  fed = [tf.placeholder(spec.dtype, spec.shape) for spec in specs]
  append = buffer.append(fed)
  graph_transitions = n_step.transitions(
      buffer, tf.range(20, dtype=tf.int64), n, gamma)
  sess.run(tf.global_variables_initializer())
  for t, (s, r, s_next, d) in enumerate(stream):
    sess.run(append, dict(zip(fed, ([s], t, r, [s_next], d))))
  observ, action, reward, next_observ, discount = sess.run(graph_transitions)
  assert sorted(assembled) == list(range(20))
  for t in range(20):
    s, a, r, s_next, d = assembled[t]
    assert (s[0], a, s_next[0]) == (observ[t, 0], action[t],
                                    next_observ[t, 0])
    np.testing.assert_allclose([r, d], [reward[t], discount[t]], rtol=1e-5)
