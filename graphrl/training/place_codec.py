"""A run's place in bytes: the Python side of where a loop is.

A Python loop's place (its environments' `get_state()`, the transition it
has yet to store, the running episode) is a tree of dicts with str keys,
lists, tuples, None, bool, int, float, str, bytes and numpy arrays. It
travels in a string variable of the checkpoint, so it must be data alone,
never code: `encode` writes an `.npz` archive (`numpy.savez`) of the arrays
and of the tree as JSON, with arrays and bytes replaced by their index;
`decode` reads it back without unpickling anything. Tuples come back as
lists.
"""

import io
import json

import numpy as np

_ARRAY, _BYTES = '__array__', '__bytes__'


def encode(tree):
  """The bytes of `tree`.

  Raises:
    TypeError: the tree holds something else, e.g. an object array.
  """
  arrays = []

  def flatten(node):
    if isinstance(node, dict):
      if not all(isinstance(key, str) for key in node):
        raise TypeError('place dict keys must be str, got %r' % list(node))
      if _ARRAY in node or _BYTES in node:
        raise TypeError('place dicts cannot use the keys %s and %s' % (
            _ARRAY, _BYTES))
      return {key: flatten(value) for key, value in node.items()}
    if isinstance(node, (list, tuple)):
      return [flatten(value) for value in node]
    if node is None or isinstance(node, (bool, int, float, str)):
      return node
    if isinstance(node, np.generic):
      node = np.asarray(node)
    if isinstance(node, bytes):
      arrays.append(np.frombuffer(node, np.uint8))
      return {_BYTES: len(arrays) - 1}
    if isinstance(node, np.ndarray) and node.dtype != object:
      arrays.append(node)
      return {_ARRAY: len(arrays) - 1}
    raise TypeError('a place holds data only, got %s' % type(node).__name__)

  structure = json.dumps(flatten(tree))
  buffer = io.BytesIO()
  np.savez(buffer, structure=np.array(structure),
           **{'a%d' % index: array for index, array in enumerate(arrays)})
  return buffer.getvalue()


def decode(data):
  """The tree `encode` wrote into `data`.

  Raises:
    ValueError: `data` is not such an archive.
  """
  try:
    with np.load(io.BytesIO(data), allow_pickle=False) as archive:
      arrays = {name: archive[name] for name in archive.files}
    structure = json.loads(str(arrays.pop('structure')))
  except (OSError, KeyError, ValueError) as error:
    raise ValueError('not an encoded place: %s' % error) from error

  def unflatten(node):
    if isinstance(node, dict):
      if set(node) == {_ARRAY}:
        return arrays['a%d' % node[_ARRAY]]
      if set(node) == {_BYTES}:
        return arrays['a%d' % node[_BYTES]].tobytes()
      return {key: unflatten(value) for key, value in node.items()}
    if isinstance(node, list):
      return [unflatten(value) for value in node]
    return node

  return unflatten(structure)
