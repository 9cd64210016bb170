"""Tests for graphrl.graph_editor."""

import sys

import numpy as np
import pytest

from graphrl import graph_editor
from graphrl.compat import slim
from graphrl.compat import tf

W = [[1., 2.], [3., 4.]]
W2 = [[0., 1.], [1., 0.]]
B = [0.5, -0.5]
X = [1., 1.]
# y = W x + b = [1 + 2, 3 + 4] + [0.5, -0.5] = [3.5, 6.5]
Y = [3.5, 6.5]
# y2 = W2 x + b = [0 + 1, 1 + 0] + [0.5, -0.5] = [1.5, 0.5]
Y2 = [1.5, 0.5]


def _affine(use_resource):
  """y = W x + b with W, b variables of the given kind and x a placeholder."""
  w = tf.Variable(W, name='w', use_resource=use_resource)
  b = tf.Variable(B, name='b', use_resource=use_resource)
  x = tf.placeholder(tf.float32, [2], name='x')
  return w, x, tf.linalg.matvec(w, x) + b


def _names(ops):
  return [op.name for op in ops]


def test_get_backward_walk_ops_topological_order(graph):
  x = tf.placeholder(tf.float32, name='x')
  y = tf.placeholder(tf.float32, name='y')
  s = tf.add(x, y, name='s')
  t = tf.multiply(s, x, name='t')
  # Depth first from t: s before x; s needs x, y; each op after its inputs.
  assert _names(graph_editor.get_backward_walk_ops(t)) == ['x', 'y', 's', 't']
  assert _names(graph_editor.get_backward_walk_ops(t.op)) == [
      'x', 'y', 's', 't']
  assert _names(graph_editor.get_backward_walk_ops([s, [t]])) == [
      'x', 'y', 's', 't']


def test_get_backward_walk_ops_stop_at(graph):
  x = tf.placeholder(tf.float32, name='x')
  y = tf.placeholder(tf.float32, name='y')
  s = tf.add(x, y, name='s')
  t = tf.multiply(s, x, name='t')
  # Stopping at tensor s drops s and y (reachable only through s); x is still
  # an input of t.
  assert _names(graph_editor.get_backward_walk_ops(t, stop_at=[s])) == [
      'x', 't']
  assert _names(graph_editor.get_backward_walk_ops(t, stop_at=[s.op, x])) == [
      't']
  assert graph_editor.get_backward_walk_ops(s, stop_at=[s]) == []


def test_get_backward_walk_ops_follows_control_inputs_on_request(graph):
  x = tf.placeholder(tf.float32, name='x')
  gate = tf.identity(x, name='gate')
  with tf.control_dependencies([gate]):
    y = tf.identity(x, name='y')
  assert _names(graph_editor.get_backward_walk_ops(y)) == ['x', 'y']
  assert _names(graph_editor.get_backward_walk_ops(
      y, control_inputs=True)) == ['x', 'gate', 'y']


def test_get_backward_walk_ops_walks_into_groups(graph):
  x = tf.placeholder(tf.float32, name='x')
  a = tf.identity(x, name='a')
  b = tf.identity(x, name='b')
  group = tf.group(a, b, name='group')
  assert _names(graph_editor.get_backward_walk_ops(group)) == [
      'x', 'a', 'b', 'group']


def test_get_backward_walk_ops_rejects_non_tensors(graph):
  with pytest.raises(TypeError, match='output must hold tensors and ops'):
    graph_editor.get_backward_walk_ops([1.0])
  with pytest.raises(TypeError, match='stop_at must hold tensors and ops'):
    graph_editor.get_backward_walk_ops(tf.constant(1.0), stop_at=['x'])


def test_graph_replace_placeholder(graph, sess):
  x = tf.placeholder(tf.float32, [], name='x')
  y = 2. * x + 1.
  # 2 * 3 + 1 = 7; the original still needs its feed: 2 * 1 + 1 = 3.
  copy = graph_editor.graph_replace(y, {x: tf.constant(3.)})
  assert sess.run(copy) == 7.
  assert sess.run(y, {x: 1.}) == 3.


def test_graph_replace_copies_only_dependent_ops(graph, sess):
  x = tf.placeholder(tf.float32, [], name='x')
  k = tf.constant(4., name='k')
  z = tf.square(k, name='z')
  y = tf.add(x, z, name='y')
  three = tf.constant(3., name='three')
  before = graph.get_operations()
  copy = graph_editor.graph_replace(y, {x: three})
  # Only y reads x: k and z are reused. 3 + 4^2 = 19.
  assert _names(graph.get_operations()[len(before):]) == ['bound/y']
  assert list(copy.op.inputs) == [three, z]
  assert sess.run(copy) == 19.


def test_graph_replace_unique_scope_and_structure(graph, sess):
  x = tf.placeholder(tf.float32, [], name='x')
  a, b = tf.identity(x, name='a'), tf.negative(x, name='b')
  with tf.name_scope('outer'):
    first = graph_editor.graph_replace((a, [b]), {x: 2.})
    second = graph_editor.graph_replace({'a': a}, {x: 5.})
  assert isinstance(first, tuple) and isinstance(first[1], list)
  assert first[0].op.name == 'outer/bound/a'
  assert first[1][0].op.name == 'outer/bound/b'
  assert second['a'].op.name == 'outer/bound_1/a'
  assert sess.run(first) == (2., [-2.])
  assert sess.run(second) == {'a': 5.}


def test_graph_replace_output_without_replaced_inputs_is_returned(graph):
  x = tf.placeholder(tf.float32, [], name='x')
  y = tf.square(tf.constant(2.))
  assert graph_editor.graph_replace(y, {x: 1.}) is y
  assert graph_editor.graph_replace(x, {x: y}) is y


def test_graph_replace_keeps_attributes(graph, sess):
  x = tf.placeholder(tf.float32, [2, 2], name='x')
  m = tf.constant([[1., 2.], [3., 4.]])
  with tf.device('/cpu:0'):
    y = tf.matmul(x, m, transpose_a=True)
  copy = graph_editor.graph_replace(y, {x: tf.constant([[1., 0.], [1., 1.]])})
  assert copy.op.get_attr('transpose_a')
  assert copy.op.device == y.op.device == '/device:CPU:0'
  # x^T m = [[1, 1], [0, 1]] [[1, 2], [3, 4]] = [[4, 6], [3, 4]].
  np.testing.assert_allclose(sess.run(copy), [[4., 6.], [3., 4.]])


def test_graph_replace_reused_control_input_still_runs(graph, sess):
  counter = tf.Variable(0, name='counter')
  increment = counter.assign_add(1)
  x = tf.placeholder(tf.float32, [], name='x')
  with tf.control_dependencies([increment]):
    y = tf.identity(x)
  copy = graph_editor.graph_replace(y, {x: 3.})
  assert increment.op in copy.op.control_inputs
  sess.run(tf.global_variables_initializer())
  # One run of the copy runs the (reused) increment once: 0 + 1 = 1.
  assert sess.run(copy) == 3.
  assert sess.run(counter) == 1


def test_graph_replace_never_copies_a_control_input(graph, sess):
  counter = tf.Variable(0, name='counter')
  x = tf.placeholder(tf.int32, [], name='x')
  increment = counter.assign_add(x)
  with tf.control_dependencies([increment]):
    y = 2 * x
  copy = graph_editor.graph_replace(y, {x: tf.constant(5)})
  sess.run(tf.global_variables_initializer())
  # The copy computes 2 * 5 and waits for the original increment, which adds
  # the fed 7 once: a copied increment would have added 5 too (counter 12).
  assert sess.run(copy, {x: 7}) == 10
  assert sess.run(counter) == 7


@pytest.mark.parametrize('use_resource', [False, True])
def test_graph_replace_creates_no_variables(graph, sess, use_resource):
  w = tf.Variable(W, name='w', use_resource=use_resource)
  b = tf.Variable(B, name='b', use_resource=use_resource)
  x = tf.placeholder(tf.float32, [2], name='x')
  read = w.value()
  y = tf.linalg.matvec(read, x) + b
  variables = tf.global_variables()
  copy = graph_editor.graph_replace(y, {read: tf.constant(W2)})
  assert tf.global_variables() == variables
  variable_ops = [op for op in graph.get_operations()
                  if op.type in ('VariableV2', 'VarHandleOp')]
  assert len(variable_ops) == 2
  sess.run(tf.global_variables_initializer())
  np.testing.assert_allclose(sess.run(copy, {x: X}), Y2)


def test_graph_replace_bad_input(graph):
  x = tf.placeholder(tf.float32, [2], name='x')
  y = x + 1.
  with pytest.raises(ValueError, match='incompatible shapes'):
    graph_editor.graph_replace(y, {x: tf.zeros([3])})
  with pytest.raises(ValueError, match='differ in dtype'):
    graph_editor.graph_replace(y, {x: tf.zeros([2], tf.float64)})
  with pytest.raises(TypeError, match='keys must be tensors'):
    graph_editor.graph_replace(y, {'x': tf.zeros([2])})
  with pytest.raises(TypeError, match='output must hold tensors and ops'):
    graph_editor.graph_replace(['y'], {x: tf.zeros([2])})


def test_graph_replace_copies_an_update_op(graph, sess):
  # An assign op rebound to read v2 instead of v: w <- w + v2 = 0 + 5.
  w = tf.Variable(0.0, use_resource=True)
  v = tf.Variable(1.0, use_resource=True)
  v2 = tf.Variable(5.0, use_resource=True)
  update = w.assign_add(v.read_value()).op
  rebound = graph_editor.bind(update, {v: v2})
  assert isinstance(rebound, tf.Operation) and rebound is not update
  sess.run(tf.global_variables_initializer())
  sess.run(rebound)
  assert sess.run(w) == 5.0
  sess.run(update)
  assert sess.run(w) == 6.0


def test_copies_made_in_a_while_loop_body_join_the_loop(graph, sess):
  # y = 3x + 1 built outside; each iteration copies it onto the loop's x
  # and bind rebinds w <- w + v onto v2 there: x_k = 3 x_{k-1} + 1 from
  # x_0 = 1 is 4, 13, 40, and w gains 5 per iteration.
  x = tf.placeholder(tf.float32, [], name='x')
  y = 3. * x + 1.
  w = tf.Variable(0.0, use_resource=True)
  v = tf.Variable(1.0, use_resource=True)
  v2 = tf.Variable(5.0, use_resource=True)
  update = w.assign_add(v.read_value()).op

  def body(index, value):
    with tf.control_dependencies([graph_editor.bind(update, {v: v2})]):
      return index + 1, graph_editor.graph_replace(y, {x: value})

  _, result = tf.while_loop(lambda index, _: index < 3, body,
                            [tf.constant(0), tf.constant(1.)])
  sess.run(tf.global_variables_initializer())
  assert sess.run(result) == 40.
  assert sess.run(w) == 15.


def test_graph_replace_rejects_v1_control_flow(graph):
  x = tf.placeholder(tf.float32, [], name='x')
  y = tf.cond(x > 0., lambda: x, lambda: -x)
  with pytest.raises(ValueError, match='type Switch.*not supported'):
    graph_editor.graph_replace(y, {x: 1.})
  z = tf.while_loop(lambda v: v < 10., lambda v: v * 2., [x])
  with pytest.raises(ValueError, match='TF1 control flow'):
    graph_editor.graph_replace(z, {x: 1.})


@pytest.mark.parametrize('use_resource', [False, True])
def test_bind_variable_to_variable(graph, sess, use_resource):
  w, x, y = _affine(use_resource)
  w2 = tf.Variable(W2, name='w2', use_resource=use_resource)
  variables = tf.global_variables()
  bound = graph_editor.bind(y, {w: w2})
  assert tf.global_variables() == variables
  sess.run(tf.global_variables_initializer())
  np.testing.assert_allclose(sess.run(y, {x: X}), Y)
  np.testing.assert_allclose(sess.run(bound, {x: X}), Y2)
  # d sum(W2 x + b) / dW2 = 1 x^T = [[1, 1], [1, 1]]; W no longer matters.
  grad_w2, grad_w = tf.gradients(tf.reduce_sum(bound), [w2, w])
  assert grad_w is None
  np.testing.assert_allclose(
      sess.run(tf.convert_to_tensor(grad_w2), {x: X}), [[1., 1.], [1., 1.]])


@pytest.mark.parametrize('use_resource', [False, True])
def test_bind_variable_to_tensor_or_other_kind(graph, sess, use_resource):
  w, x, y = _affine(use_resource)
  other = tf.Variable(W2, name='other', use_resource=not use_resource)
  to_tensor = graph_editor.bind(y, {w: tf.constant(W2)})
  to_other = graph_editor.bind(y, {w: other})
  to_list = graph_editor.bind(y, {w: W2})
  sess.run(tf.global_variables_initializer())
  for bound in (to_tensor, to_other, to_list):
    np.testing.assert_allclose(sess.run(bound, {x: X}), Y2)


def test_bind_placeholder_and_variable(graph, sess):
  w, x, y = _affine(False)
  # W2 [2, -1] + b = [0 - 1, 2 + 0] + [0.5, -0.5] = [-0.5, 1.5].
  bound = graph_editor.bind(y, {w: tf.constant(W2), x: tf.constant([2., -1.])})
  sess.run(tf.global_variables_initializer())
  np.testing.assert_allclose(sess.run(bound), [-0.5, 1.5])


@pytest.mark.parametrize('use_resource', [False, True])
def test_bind_two_layer_slim_mlp(graph, sess, use_resource):
  x = tf.constant([[1., -1.]])
  with tf.variable_scope('net', use_resource=use_resource):
    h = slim.fully_connected(x, 2, scope='fc1')
    q = slim.fully_connected(h, 1, activation_fn=None, scope='fc2')
  online = slim.get_variables('net')
  weights = [[[1., 2.], [3., -1.]], [0., 1.], [[1.], [0.5]], [-1.]]
  with tf.variable_scope('other', use_resource=use_resource):
    others = [tf.Variable(value) for value in weights]
  assert [v.op.name for v in online] == [
      'net/fc1/weights', 'net/fc1/biases', 'net/fc2/weights', 'net/fc2/biases']
  bound = graph_editor.bind(q, dict(zip(online, others)))
  sess.run(tf.global_variables_initializer())
  # h = relu([1, -1] [[1, 2], [3, -1]] + [0, 1]) = relu([-2, 3] + [0, 1])
  #   = [0, 4];  q = [0, 4] [[1], [0.5]] - 1 = 2 - 1 = 1.
  np.testing.assert_allclose(sess.run(bound), [[1.]])
  w1, b1, w2, b2 = sess.run(online)
  hidden = np.maximum([[1., -1.]] @ w1 + b1, 0.)
  np.testing.assert_allclose(sess.run(q), hidden @ w2 + b2, rtol=1e-6)


def test_bind_rejects_non_read_use_bound_to_tensor(graph):
  table = tf.Variable([1., 2., 3.], use_resource=True)
  y = tf.gather(table, [2])
  with pytest.raises(ValueError, match='other than by reading'):
    graph_editor.bind(y, {table: tf.zeros([3])})


def test_bind_ref_variable_written_by_output(graph, sess):
  w = tf.Variable(1., name='w')
  w2 = tf.Variable(10., name='w2')
  y = 2. * tf.assign_add(w, 1.)
  bound = graph_editor.bind(y, {w: w2})
  sess.run(tf.global_variables_initializer())
  # The copied assign_add writes w2: 2 * (10 + 1) = 22; w stays 1.
  assert sess.run(bound) == 22.
  assert sess.run([w, w2]) == [1., 11.]
  with pytest.raises(ValueError, match='other than by reading'):
    graph_editor.bind(y, {w: tf.constant(5.)})


def test_bind_bad_input(graph):
  w, _, y = _affine(False)
  with pytest.raises(ValueError, match='incompatible shapes'):
    graph_editor.bind(y, {w: tf.Variable(tf.zeros([3, 2]))})
  with pytest.raises(ValueError, match='differ in dtype'):
    graph_editor.bind(y, {w: tf.zeros([2, 2], tf.float64)})


def test_erratum_bind_does_not_mutate_inputs(graph, sess):
  w, x, y = _affine(False)
  w2 = tf.Variable(W2, name='w2')
  read = w.value()  # The ref variable's snapshot, the tensor y reads.
  inputs = {read: w2}
  bound = graph_editor.bind(y, inputs)
  # The lecture rewrites inputs[read] to w2.value() in place.
  assert inputs == {read: w2}
  assert inputs[read] is w2
  sess.run(tf.global_variables_initializer())
  np.testing.assert_allclose(sess.run(bound, {x: X}), Y2)


def test_erratum_bind_resource_variable(graph, sess):
  w, x, y = _affine(True)
  w2 = tf.Variable(W2, name='w2', use_resource=True)
  bound = graph_editor.bind(y, {w: w2})
  sess.run(tf.global_variables_initializer())
  # The lecture resolves a variable to var.value(), for a resource variable a
  # fresh ReadVariableOp that y never reads (and accepts variables only as
  # values): replacing it leaves y reading w, [3.5, 6.5], not [1.5, 0.5].
  np.testing.assert_allclose(sess.run(bound, {x: X}), Y2)


if __name__ == '__main__':
  sys.exit(pytest.main([__file__]))
