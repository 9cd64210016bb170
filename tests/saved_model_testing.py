"""Runs a policy's SavedModel with plain TensorFlow 2, without graphrl."""

import os
import subprocess
import sys

import numpy as np

# argv: saved model, observations .npy in, actions .npy out. graphrl is made
# unimportable first, and must not have been imported at the end.
_LOAD = '''
import sys
sys.modules['graphrl'] = None  # `import graphrl` now raises ImportError.
import numpy as np
import tensorflow as tf
assert tf.executing_eagerly()
action = tf.saved_model.load(sys.argv[1]).signatures['action']
np.save(sys.argv[3], action(observation=tf.constant(np.load(sys.argv[2])))[
    'action'].numpy())
assert [name for name in sys.modules if name.startswith('graphrl')] == [
    'graphrl'], sorted(name for name in sys.modules if 'graphrl' in name)
'''


def saved_model_actions(saved_model, observations, workdir):
  """Actions of the SavedModel's 'action' signature, run in a subprocess.

  The subprocess runs in `workdir`, without PYTHONPATH and with `graphrl`
  unimportable.

  Args:
    saved_model: path of the SavedModel directory.
    observations: array [B, *obs_shape].
    workdir: an empty-enough directory for the .npy files.

  Returns:
    The actions array [B, ...] the signature returned.
  """
  observations_path = os.path.join(workdir, 'observations.npy')
  actions_path = os.path.join(workdir, 'actions.npy')
  np.save(observations_path, observations)
  environ = {key: value for key, value in os.environ.items()
             if key != 'PYTHONPATH'}
  process = subprocess.run(
      [sys.executable, '-c', _LOAD, os.path.abspath(saved_model),
       observations_path, actions_path], cwd=workdir,
      env=dict(environ, TF_CPP_MIN_LOG_LEVEL='2'), capture_output=True,
      text=True, timeout=300)
  assert process.returncode == 0, process.stderr
  return np.load(actions_path)
