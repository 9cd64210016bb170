"""graphrl: deep reinforcement learning as TensorFlow 1 static graphs.

`graphrl.load_policy(logdir)` (`graphrl.policy`) is imported on first use,
so that importing graphrl does not import TensorFlow.
"""

__version__ = '0.1.0'


def __getattr__(name):
  if name != 'load_policy':
    raise AttributeError('module %r has no attribute %r' % (__name__, name))
  from graphrl.policy import load_policy  # pylint: disable=g-import-not-at-top
  return load_policy
