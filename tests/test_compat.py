"""Tests for graphrl.compat's process settings: oneDNN on unless the user
set TF_ENABLE_ONEDNN_OPTS."""

import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.mark.parametrize('preset, expected', [(None, '1'), ('0', '0')])
def test_onednn_is_on_unless_the_user_set_it(preset, expected):
  env = {name: value for name, value in os.environ.items()
         if name != 'TF_ENABLE_ONEDNN_OPTS'}
  if preset is not None:
    env['TF_ENABLE_ONEDNN_OPTS'] = preset
  env['PYTHONPATH'] = ROOT
  process = subprocess.run(
      [sys.executable, '-c', 'import os, graphrl.compat; '
       'print(os.environ["TF_ENABLE_ONEDNN_OPTS"])'],
      env=env, capture_output=True, text=True, timeout=120, check=True)
  assert process.stdout.strip() == expected
