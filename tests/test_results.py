"""The trained policies shipped in results/ stay usable by today's code.

Each `results/<name>/` is a run exported by `scripts/export_policy.py`: a
`graphrl.json`, a weights-only checkpoint and the run's records. Its
checkpoint must stay small and must restore into the agent that its
`graphrl.json` describes: `graphrl.evaluate` plays one greedy episode, whose
return must lie within three standard deviations below the mean of the
run's own greedy evaluation of that checkpoint (a restored policy that no
longer plays as it did fails). Its `saved_model`, run by plain TensorFlow 2
without graphrl, must act as `graphrl.load_policy` does on the same
observations.
"""

import csv
import glob
import json
import os
import subprocess
import sys

import numpy as np
import pytest

import graphrl
from saved_model_testing import saved_model_actions

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RESULTS = sorted(os.path.dirname(path) for path in glob.glob(
    os.path.join(ROOT, 'results', '*', 'graphrl.json')))
MAX_CHECKPOINT_BYTES = 10 * 10**6


@pytest.mark.parametrize('logdir', RESULTS, ids=os.path.basename)
def test_result_is_small_and_evaluates(logdir):
  checkpoint_files = glob.glob(os.path.join(logdir, 'checkpoints', '*', '*'))
  assert checkpoint_files
  assert sum(map(os.path.getsize, checkpoint_files)) < MAX_CHECKPOINT_BYTES
  assert os.path.exists(os.path.join(logdir, 'curve.png'))
  process = subprocess.run(
      [sys.executable, '-m', 'graphrl.evaluate', '--logdir=' + logdir,
       '--episodes=1'], cwd=ROOT, env=dict(os.environ, PYTHONPATH=ROOT),
      capture_output=True, text=True, timeout=600)
  assert process.returncode == 0, process.stderr
  result = json.loads(process.stdout.strip().splitlines()[-1])
  assert result['episodes'] == 1
  with open(os.path.join(logdir, 'evaluations.csv'), encoding='utf-8') as f:
    row, = [row for row in csv.DictReader(f)
            if int(row['step']) == result['checkpoint_step']]
  floor = float(row['mean_return']) - 3 * float(row['std_return'])
  assert result['mean_return'] >= floor, (result, row)


@pytest.mark.parametrize('logdir', RESULTS, ids=os.path.basename)
def test_the_saved_model_acts_like_the_policy(logdir, tmp_path):
  with graphrl.load_policy(logdir) as policy:
    spec = policy.observation_spec
    random = np.random.RandomState(0)
    if np.issubdtype(spec.dtype, np.integer):  # Frames.
      observations = random.randint(0, 256, (16,) + tuple(spec.shape))
    else:
      observations = random.uniform(-1, 1, (16,) + tuple(spec.shape))
    observations = observations.astype(spec.dtype)
    expected = policy.actions(observations)
  actions = saved_model_actions(os.path.join(logdir, 'saved_model'),
                                observations, str(tmp_path))
  if np.issubdtype(expected.dtype, np.integer):
    np.testing.assert_array_equal(actions, expected)
  else:
    # The same float32 function through another runtime's kernels: sums of
    # 400 products round differently, by a few 1e-6 in actions in [-1, 1].
    np.testing.assert_allclose(actions, expected, rtol=0, atol=1e-5)


if __name__ == '__main__':
  sys.exit(pytest.main([__file__]))
