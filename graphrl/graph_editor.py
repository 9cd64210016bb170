"""A minimal graph editor: walk a graph backwards and copy it with new inputs.

Replaces the two `tf.contrib.graph_editor` functions the lecture's target
network needs (`get_backward_walk_ops`, `graph_replace`) and holds the
lecture's `bind`, which rebinds a network's output to other weights:

  y = f(x; W)  ->  bind(y, {W: W2}) = f(x; W2)

Only the ops between the replaced tensors and the output are copied, into a
fresh name scope of the same graph. Variable ops are never copied, so binding
creates no variables. Copies made while a `tf.while_loop` body or `tf.cond`
branch is built join it (the in-graph training loop rebinds the target
network there), but TF1 control-flow ops themselves cannot be copied op by
op and raise a `ValueError` when they would have to be.
"""

from graphrl.compat import tf

# Ops that own state; copying one would create a new variable.
_VARIABLE_OP_TYPES = frozenset(
    ['Variable', 'VariableV2', 'VarHandleOp', 'TemporaryVariable'])
# Ops through which a graph reads a variable's value.
_READ_OP_TYPES = frozenset(['Identity', 'ReadVariableOp'])
# TF1 control-flow primitives; a copy would lose its control-flow context.
_CONTROL_FLOW_OP_TYPES = frozenset([
    'Switch', 'RefSwitch', 'Merge', 'RefMerge', 'Enter', 'RefEnter', 'Exit',
    'RefExit', 'NextIteration', 'RefNextIteration', 'LoopCond'])


def get_backward_walk_ops(output, stop_at=None, control_inputs=False):
  """The ops that `output` depends on, in topological order.

  Walks data inputs backwards from `output` without crossing the tensors and
  ops in `stop_at`: the producer of a stop tensor is reached only through its
  other outputs (or control edges), a stop op is never reached. Control edges
  are followed out of `NoOp`s, the ops of `tf.group` whose only meaning is
  their control inputs, and out of every op if `control_inputs` is True.

  Args:
    output: a `tf.Tensor`, `tf.Operation`, or nested list/tuple of them.
    stop_at: optional iterable of `tf.Tensor`s and `tf.Operation`s.
    control_inputs: whether to follow the control inputs of every op.

  Returns:
    A list of `tf.Operation`s, every op after the ops it depends on (cycles of
    `tf.while_loop` are broken where they are met), the order a deterministic
    function of the graph.

  Raises:
    TypeError: if `output` or `stop_at` holds anything but tensors and ops.
  """
  stop_tensors, stop_ops = set(), set()
  for item in stop_at or ():
    _check_tensor_or_op(item, 'stop_at')
    (stop_tensors if isinstance(item, tf.Tensor) else stop_ops).add(item)

  def edges(item):
    """The ops an item's walk continues into, in a fixed order."""
    if isinstance(item, tf.Tensor):
      return [] if item in stop_tensors else [item.op]
    tensors = [t for t in item.inputs if t not in stop_tensors]
    ops = [t.op for t in tensors]
    if control_inputs or item.type == 'NoOp':
      ops += list(item.control_inputs)
    return ops

  order, visited = [], set()
  for seed in tf.nest.flatten(output):
    _check_tensor_or_op(seed, 'output')
    if seed in visited or seed in stop_ops:
      continue
    visited.add(seed)
    # Iterative depth-first post-order: an op is emitted after its inputs.
    stack = [(seed, iter(edges(seed)))]
    while stack:
      item, children = stack[-1]
      child = next(children, None)
      if child is None:
        stack.pop()
        if isinstance(item, tf.Operation):
          order.append(item)
      elif child not in visited and child not in stop_ops:
        visited.add(child)
        stack.append((child, iter(edges(child))))
  return order


def graph_replace(output, replacements, name='bound'):
  """Copies the graph of `output` with `replacements` substituted.

  Every op on a data path from a replaced tensor to `output` (as walked by
  `get_backward_walk_ops`) is copied, with its attributes, device and control
  dependencies, into a new name scope `<current scope>/<name>[_N]/`; inputs
  that were copied are rewired to the copies. All other ops, constants and
  variables included, are reused. A control input is never copied, even when
  it reads a replaced tensor: copying it would repeat its side effect (a
  replay-buffer write, a counter), so the copies wait for the original, as
  with `tf.contrib.graph_editor`. Colocation constraints (`_class`) name the
  original ops and are not copied.

  Args:
    output: a `tf.Tensor` or `tf.Operation` (e.g. an update op), or a nested
      list/tuple of them.
    replacements: dict {tf.Tensor: tensor-like}; each value must have the
      dtype of its key and a compatible shape.
    name: name of the scope the copies are created in.

  Returns:
    The copies of `output` in the structure of `output`; a tensor or op that
    depends on no replaced tensor is returned as is.

  Raises:
    TypeError: if `output` holds other than tensors and ops, or a key of
      `replacements` is not a tensor.
    ValueError: on a dtype or shape mismatch, or if an op that would have to
      be copied is a TF1 control-flow op.
  """
  for item in tf.nest.flatten(output):
    _check_tensor_or_op(item, 'output')
  mapping = {}
  for key, value in replacements.items():
    if not isinstance(key, tf.Tensor):
      raise TypeError('replacement keys must be tensors, got %r' % (key,))
    value = tf.convert_to_tensor(value, preferred_dtype=key.dtype.base_dtype)
    check_compatible(key, value)
    mapping[key] = value
  ops = get_backward_walk_ops(output, stop_at=list(mapping))
  copies = {}
  with tf.name_scope(name):
    for op in ops:
      if op.type in _VARIABLE_OP_TYPES:
        continue
      if (any(t in mapping for t in op.inputs) or
          any(c in copies for c in op.control_inputs)):
        copies[op] = _copy_op(op, mapping, copies)
        for old, new in zip(op.outputs, copies[op].outputs):
          mapping.setdefault(old, new)
  return tf.nest.map_structure(
      lambda x: copies.get(x, x) if isinstance(x, tf.Operation)
      else mapping.get(x, x), output)


def bind(output, inputs):
  """Rebinds `output` to other inputs or weights (lecture, Trick 2).

  Keys of `inputs` are tensors or variables. A variable is resolved to the
  tensors through which `output` reads it, its reads: a ref variable's
  `var.value()` (and any other `Identity` of its ref) and every
  `ReadVariableOp` of a resource variable's handle. A resource variable bound
  to a resource variable has its handle replaced, so the copies read (and
  gather from) the replacement; otherwise each read is replaced by the
  replacement's value, and a ref variable that is also used other than by
  reading (e.g. assigned to) needs a ref variable to replace its ref.
  Gradients of the result flow to the replacement variables. `inputs` is not
  modified.

  Args:
    output: a `tf.Tensor` or `tf.Operation`, or a nested list/tuple of them.
    inputs: dict {tf.Tensor or tf.Variable: tensor-like or tf.Variable}.

  Returns:
    The rebound copies of `output`, structured like `output`.

  Raises:
    ValueError: on a dtype or shape mismatch, or if `output` uses a variable
      other than by reading it and the replacement is not a variable of the
      same kind.
  """
  walk = get_backward_walk_ops(output)
  replacements = {}
  for key, value in inputs.items():
    if not _is_variable(key):
      replacements[key] = value
      continue
    if not _is_variable(value):
      value = tf.convert_to_tensor(value, preferred_dtype=key.dtype.base_dtype)
    check_compatible(key, value)
    base = key.op.outputs[0]
    same_kind = (_is_variable(value) and
                 _is_resource(key) == _is_resource(value))
    if same_kind and _is_resource(key):
      replacements[base] = value.handle
      continue
    users = [op for op in walk if base in op.inputs]
    reads = [op for op in users if op.type in _READ_OP_TYPES]
    if len(reads) < len(users):
      if not same_kind:
        raise ValueError(
            'Cannot bind variable %s to %s: ops %s use it other than by '
            'reading it; bind it to a variable of the same kind.' % (
                key.op.name, value.name,
                [op.name for op in users if op not in reads]))
      replacements[base] = value.op.outputs[0]
    if reads:
      tensor = tf.convert_to_tensor(value)
      replacements.update({op.outputs[0]: tensor for op in reads})
  return graph_replace(output, replacements)


def check_compatible(key, value):
  """Raises ValueError unless `value` can stand in for `key`.

  Args:
    key: a `tf.Tensor` or `tf.Variable`.
    value: a `tf.Tensor` or `tf.Variable`.

  Raises:
    ValueError: naming both, if the base dtypes differ or the shapes are
      incompatible.
  """
  if key.dtype.base_dtype != value.dtype.base_dtype:
    raise ValueError('%s and %s differ in dtype: %s vs %s' % (
        key.name, value.name, key.dtype.base_dtype.name,
        value.dtype.base_dtype.name))
  if not key.shape.is_compatible_with(value.shape):
    raise ValueError('%s and %s have incompatible shapes %s and %s' % (
        key.name, value.name, key.shape, value.shape))


def _copy_op(op, mapping, copies):
  """Creates a copy of `op` on the mapped inputs in the current name scope."""
  # pylint: disable=protected-access
  if op.type in _CONTROL_FLOW_OP_TYPES or op._control_flow_context:
    raise ValueError(
        'graph_replace cannot copy op %s of type %s: TF1 control flow '
        '(tf.cond, tf.while_loop) is not supported.' % (op.name, op.type))
  graph = op.graph
  attrs = {k: v for k, v in op.node_def.attr.items() if k != '_class'}
  control_inputs = [copies.get(c, c) for c in op.control_inputs]
  # control_dependencies(None) also leaves any tf.while_loop or tf.cond being
  # built; the copy joins it like any op made here.
  context = graph._get_control_flow_context()
  with graph.control_dependencies(None), \
      graph.control_dependencies(control_inputs), graph.device(op.device):
    graph._set_control_flow_context(context)
    return graph._create_op_internal(
        op.type, [mapping.get(t, t) for t in op.inputs],
        dtypes=[t.dtype for t in op.outputs], input_types=op._input_types,
        name=op.name, attrs=attrs)


def _check_tensor_or_op(item, argument):
  if not isinstance(item, (tf.Tensor, tf.Operation)):
    raise TypeError('%s must hold tensors and ops, got %r' % (argument, item))


def _is_variable(item):
  # `tf.Variable` (v1) is the ref-variable class; this base covers both kinds.
  return isinstance(item, tf.compat.v2.Variable)


def _is_resource(variable):
  return variable.op.outputs[0].dtype == tf.resource
