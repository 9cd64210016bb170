"""The README's set-up commands, CI and the flagfiles stay consistent."""

import glob
import os
import re
import sys

import pytest

from graphrl import train

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _read(path):
  with open(os.path.join(ROOT, path), encoding='utf-8') as f:
    return f.read()


def test_readme_opens_with_the_two_setup_commands_that_ci_runs():
  blocks = re.findall(r'```sh\n(.*?)```', _read('README.md'), re.DOTALL)
  install_and_train, install_and_test = [block.strip() for block in blocks[:2]]
  assert 'graphrl.train --flagfile=flags/dqn_cartpole.flags' in (
      install_and_train)
  assert 'pytest' in install_and_test
  ci = _read('.ci/run').splitlines()
  assert install_and_train in ci and install_and_test in ci


def test_readme_names_only_existing_files():
  names = set(re.findall(r'`((?:flags|scripts|docs|tests|graphrl)/[\w./]+)`',
                         _read('README.md')))
  assert names
  missing = [name for name in sorted(names)
             if not os.path.exists(os.path.join(ROOT, name))]
  assert not missing


FLAGFILES = sorted(glob.glob(os.path.join(ROOT, 'flags', '*.flags')))


@pytest.mark.parametrize('path', FLAGFILES, ids=os.path.basename)
def test_flagfile_defines_known_flags_and_states_its_result(path):
  with open(path, encoding='utf-8') as f:
    lines = [line.strip() for line in f if line.strip()]
  comments = ' '.join(line for line in lines if line.startswith('#'))
  assert re.search(r'seed 00\d', comments), 'names no lecture seed'
  assert 'Expected:' in comments, 'states no expected result'
  for line in lines:
    if line.startswith('#'):
      continue
    name = line.split('=', 1)[0].lstrip('-')
    assert name in train.FLAGS or (
        name.startswith('no') and name[2:] in train.FLAGS), line


if __name__ == '__main__':
  sys.exit(pytest.main([__file__]))
