"""How the end-to-end tests run a binary and check how it ended."""

import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run_python(*args, timeout=300):
  """Runs `python *args` in the repository root with graphrl importable."""
  return subprocess.run(
      [sys.executable] + list(args), cwd=ROOT,
      env=dict(os.environ, PYTHONPATH=ROOT), capture_output=True, text=True,
      timeout=timeout)


def assert_one_line_error(process, *fragments):
  """`process` (a `subprocess.CompletedProcess`) failed as bad input should.

  Exit status 2 and exactly one `error: ...` line on stderr, holding every
  one of `fragments`, and no traceback.
  """
  assert process.returncode == 2, (process.stdout, process.stderr)
  lines = [line for line in process.stderr.splitlines()
           if line.startswith('error:') or 'Traceback' in line]
  assert len(lines) == 1 and lines[0].startswith('error: '), process.stderr
  for fragment in fragments:
    assert fragment in lines[0], lines[0]
