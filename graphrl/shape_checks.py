"""Checks of static sizes when a graph is built: a ValueError, not a run error.

`check_rank` checks a tensor's rank (losses, networks, the GRU); `check_int`
an int setting's lower bound (buffer capacities, streams, n-step lengths);
`check_amount` the number of items a replay buffer is asked to sample, the
leading size of the sampled tensors.
"""

import numbers


def check_rank(tensor, rank, what):
  """Raises ValueError unless `tensor` has static rank `rank`.

  Args:
    tensor: a `tf.Tensor`; an unknown rank fails too.
    rank: the required rank, an int, or a tuple of the ranks allowed.
    what: the tensor's name in the message.
  """
  ranks = rank if isinstance(rank, tuple) else (rank,)
  if tensor.shape.ndims not in ranks:
    raise ValueError('%s must have rank %s, got shape %s'
                     % (what, ' or '.join(map(str, ranks)), tensor.shape))


def check_int(name, value, minimum):
  """Raises ValueError unless `value` is an int >= `minimum`."""
  if not isinstance(value, numbers.Integral) or value < minimum:
    raise ValueError('{} must be an int >= {}, got {!r}'.format(
        name, minimum, value))


def check_amount(amount, allow_tensor=False):
  """Raises ValueError unless `amount` is an int >= 1, or, with
  `allow_tensor`, not an int at all (a scalar tensor, which the ops that
  take it check when run).

  Args:
    amount: the number of items to sample.
    allow_tensor: whether an `amount` that is not an int passes.
  """
  if allow_tensor and not isinstance(amount, numbers.Integral):
    return
  check_int('amount', amount, 1)
