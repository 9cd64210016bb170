"""The runtime every graphrl binary shares.

A training run (`run.Run`: session, restore, records, evaluations,
checkpoints, signals, summary) and the peer loops that step its agent
(`off_policy`, `on_policy`, `graph_loop`; `loops` says which agent gets
which), built from checkpoints that survive SIGKILL, the episode CSV log,
TensorBoard scalars, the progress line, graceful stopping on signals and
one-line user errors.

The TensorFlow-based names (`CheckpointManager`, `CheckpointError`,
`ScalarWriter`) are imported on first use, so tools that only read logs or
parse flags start without importing TensorFlow.
"""

import importlib

from graphrl.training.cli import require
from graphrl.training.cli import UserError
from graphrl.training.episode_log import EpisodeLog
from graphrl.training.episode_log import read_episodes
from graphrl.training.progress import Progress
from graphrl.training.signals import StopRequest

_LAZY = {
    'CheckpointError': 'graphrl.training.checkpoints',
    'CheckpointManager': 'graphrl.training.checkpoints',
    'ScalarWriter': 'graphrl.training.summaries',
}

__all__ = ['EpisodeLog', 'Progress', 'StopRequest', 'UserError',
           'read_episodes', 'require'] + sorted(_LAZY)


def __getattr__(name):
  if name not in _LAZY:
    raise AttributeError('module %r has no attribute %r' % (__name__, name))
  return getattr(importlib.import_module(_LAZY[name]), name)
