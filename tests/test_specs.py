"""Tests for graphrl.envs.specs."""

import sys

from gymnasium import spaces
import numpy as np
import pytest

from graphrl.envs import specs

F32_MAX = np.finfo(np.float32).max


def test_array_spec_repr_and_properties():
  spec = specs.ArraySpec([2, 3], 'float32', name='x')
  assert spec.shape == (2, 3)
  assert spec.dtype == np.float32
  assert spec.name == 'x'
  assert repr(spec) == (
      "ArraySpec(shape=(2, 3), dtype=dtype('float32'), name='x')")


def test_bounded_repr_matches_the_lecture_printout():
  # Seed 001's CartPole observation spec: bounds are +-4.8, +-F32_MAX,
  # +-0.41887903 (12 degrees in radians), +-F32_MAX, printed by numpy.
  high = np.array([4.8, F32_MAX, 0.41887903, F32_MAX], np.float32)
  spec = specs.BoundedArraySpec((4,), np.float32, -high, high)
  assert repr(spec) == (
      "BoundedArraySpec(shape=(4,), dtype=dtype('float32'), name=None, "
      'minimum=[-4.8000002e+00 -3.4028235e+38 -4.1887903e-01 -3.4028235e+38], '
      'maximum=[4.8000002e+00 3.4028235e+38 4.1887903e-01 3.4028235e+38])')
  action = specs.BoundedArraySpec((), np.int64, 0, 1)
  assert repr(action) == ("BoundedArraySpec(shape=(), dtype=dtype('int64'), "
                          'name=None, minimum=0, maximum=1)')


def test_equality_and_hash():
  a = specs.BoundedArraySpec((2,), np.float32, -1., [1., 2.], name='a')
  b = specs.BoundedArraySpec((2,), np.float32, -1., [1., 2.], name='a')
  assert a == b and hash(a) == hash(b)
  assert a != specs.BoundedArraySpec((2,), np.float32, -1., [1., 3.], name='a')
  assert a != specs.BoundedArraySpec((2,), np.float32, -1., [1., 2.], name='b')
  assert a != specs.ArraySpec((2,), np.float32, name='a')
  assert specs.ArraySpec((), np.int32) == specs.ArraySpec((), 'int32')
  assert specs.ArraySpec((), np.int32) != specs.ArraySpec((), np.int64)


def test_specs_are_immutable():
  spec = specs.BoundedArraySpec((2,), np.int64, 0, 3)
  with pytest.raises(AttributeError):
    spec.shape = (3,)
  with pytest.raises(ValueError, match='read-only'):
    spec.minimum[...] = 1


def test_check_array():
  spec = specs.ArraySpec((2,), np.float32)
  assert spec.check_array(np.zeros(2, np.float32))
  assert spec.check_array([0.5, 1.])  # float64 -> float32 is same kind.
  assert not spec.check_array(np.zeros(3, np.float32))
  assert not specs.ArraySpec((), np.int64).check_array(0.5)
  bounded = specs.BoundedArraySpec((2,), np.int64, 0, [1, 4])
  assert bounded.check_array([1, 4])
  assert not bounded.check_array([2, 4])  # 2 > maximum[0] = 1.
  assert not bounded.check_array([0, -1])  # -1 < minimum = 0.


def test_sample_ints_cover_the_inclusive_range():
  spec = specs.BoundedArraySpec((1000,), np.int64, -1, 1)
  sample = spec.sample(np.random.default_rng(0))
  assert sample.dtype == np.int64 and sample.shape == (1000,)
  # 1000 draws from {-1, 0, 1} miss a value with probability ~3 (2/3)^1000.
  assert set(sample.tolist()) == {-1, 0, 1}


def test_sample_floats_within_bounds_even_for_the_widest_bounds():
  spec = specs.BoundedArraySpec((2, 500), np.float32, [[-F32_MAX], [2.]],
                                [[F32_MAX], [3.]])
  sample = spec.sample(np.random.default_rng(0))
  assert sample.dtype == np.float32 and np.all(np.isfinite(sample))
  assert spec.check_array(sample)
  # Row 0 spans +-3.4e38: draws are huge, of both signs.
  assert sample[0].min() < -1e37 and sample[0].max() > 1e37
  assert 2. <= sample[1].min() and sample[1].max() < 3.


def test_sample_bool():
  spec = specs.BoundedArraySpec((100,), np.bool_, False, True)
  sample = spec.sample(np.random.default_rng(0))
  assert sample.dtype == np.bool_ and 0 < sample.sum() < 100


def test_num_values():
  assert specs.BoundedArraySpec((), np.int64, 0, 1).num_values == 2
  assert specs.BoundedArraySpec((3,), np.int32, 3, 7).num_values == 5  # 7-3+1
  with pytest.raises(ValueError, match='integer'):
    _ = specs.BoundedArraySpec((), np.float32, 0., 1.).num_values
  with pytest.raises(ValueError, match='equal bounds'):
    _ = specs.BoundedArraySpec((2,), np.int64, 0, [1, 2]).num_values


def test_bad_specs_raise():
  with pytest.raises(ValueError, match='negative'):
    specs.ArraySpec((2, -1), np.float32)
  with pytest.raises(ValueError, match='sequence of ints'):
    specs.ArraySpec(3, np.float32)
  with pytest.raises(ValueError, match='exceeds maximum'):
    specs.BoundedArraySpec((), np.int64, 2, 1)
  with pytest.raises(ValueError, match='does not broadcast'):
    specs.BoundedArraySpec((3,), np.float32, [0., 0.], 1.)


def test_from_gym_box_clips_infinite_bounds_to_float32():
  box = spaces.Box(low=np.array([-4.8, -np.inf]), high=np.array([4.8, np.inf]),
                   dtype=np.float64)
  spec = specs.from_gym_space(box, name='observation')
  assert spec == specs.BoundedArraySpec(
      (2,), np.float32, [-4.8, -F32_MAX], [4.8, F32_MAX], name='observation')


def test_from_gym_box_keeps_uint8_and_simplifies_equal_bounds():
  spec = specs.from_gym_space(spaces.Box(0, 255, (84, 84, 1), np.uint8))
  assert repr(spec) == ("BoundedArraySpec(shape=(84, 84, 1), dtype="
                        "dtype('uint8'), name=None, minimum=0, maximum=255)")


def test_from_gym_discrete():
  assert specs.from_gym_space(spaces.Discrete(9)) == specs.BoundedArraySpec(
      (), np.int64, 0, 8)
  # Discrete(3, start=1) holds the actions {1, 2, 3}.
  assert specs.from_gym_space(spaces.Discrete(3, start=1)) == (
      specs.BoundedArraySpec((), np.int64, 1, 3))


def test_from_gym_unsupported_space_raises():
  with pytest.raises(ValueError, match='Box and Discrete'):
    specs.from_gym_space(spaces.MultiBinary(3))


def test_erratum_discrete_action_count_is_num_values():
  # Seed 003 takes `env.action_space.shape[0]` as CartPole's number of
  # actions, but a Discrete(2) space is scalar: shape () has no [0]. The count
  # is maximum - minimum + 1 = 1 - 0 + 1 = 2.
  spec = specs.from_gym_space(spaces.Discrete(2))
  assert spec.shape == ()
  assert spec.num_values == 2


if __name__ == '__main__':
  sys.exit(pytest.main([__file__]))
