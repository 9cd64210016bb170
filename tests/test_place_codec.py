"""Tests for graphrl.training.place_codec."""

import io
import sys

import numpy as np
import pytest

from graphrl.training import place_codec


def test_round_trip_keeps_values_dtypes_and_shapes():
  tree = {'state': np.arange(6, dtype=np.float64).reshape(2, 3),
          'frames': np.ones([2, 84, 84], np.uint8),
          'bit_generator': {'state': {'state': 2**127 + 5, 'inc': 3}},
          'ale': b'\x00\xffsaved', 'steps': 7, 'ret': -1.25, 'none': None,
          'flag': True, 'name': 'CartPole', 'pending': (np.int64(1), 0.5)}
  back = place_codec.decode(place_codec.encode(tree))
  assert back['bit_generator'] == tree['bit_generator']
  assert back['ale'] == tree['ale']
  for key in ('steps', 'ret', 'none', 'flag', 'name'):
    assert back[key] == tree[key]
  for key in ('state', 'frames'):
    assert back[key].dtype == tree[key].dtype
    np.testing.assert_array_equal(back[key], tree[key])
  action, value = back['pending']  # A tuple comes back as a list.
  assert action.dtype == np.int64 and action == 1 and value == 0.5


@pytest.mark.parametrize('tree, message', [
    ({'x': object()}, 'data only'),
    ({1: 2}, 'keys must be str'),
    ({'__array__': 0}, 'cannot use the keys'),
    ({'x': np.array([None])}, 'data only'),
])
def test_refuses_what_is_not_data(tree, message):
  with pytest.raises(TypeError, match=message):
    place_codec.encode(tree)


def test_decode_refuses_pickles_and_junk():
  buffer = io.BytesIO()
  np.savez(buffer, structure=np.array('{}'), a0=np.array([{}], object))
  for data in (buffer.getvalue(), b'junk'):
    with pytest.raises(ValueError, match='not an encoded place'):
      place_codec.decode(data)


if __name__ == '__main__':
  sys.exit(pytest.main([__file__]))
