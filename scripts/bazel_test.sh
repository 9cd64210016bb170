#!/bin/bash
# Runs graphrl's fast tests with Bazel (Debian's bazel-bootstrap 4.2.3) offline.
#
# Usage: scripts/bazel_test.sh [BAZEL_TEST_FLAGS...]
#   Works from any directory. Tests tagged "slow" are skipped; pass
#   --test_tag_filters= to run them too. Tests run with the virtualenv's
#   Python: $PYTHON if set, else <repo>/.venv/bin/python, e.g.
#   PYTHON=~/venvs/graphrl/bin/python scripts/bazel_test.sh
# Exits with bazel's exit code.
set -euo pipefail

if ! command -v bazel >/dev/null; then
  echo "bazel_test.sh: bazel is not installed; on Debian/Ubuntu run" >&2
  echo "  apt-get install bazel-bootstrap" >&2
  exit 127
fi

if [[ -n "${PYTHON:-}" ]]; then
  if [[ "${PYTHON}" != */* ]] && ! PYTHON="$(command -v "${PYTHON}")"; then
    echo "bazel_test.sh: PYTHON is neither a path nor a command on PATH" >&2
    exit 2
  fi
  if [[ ! -x "${PYTHON}" ]]; then
    echo "bazel_test.sh: PYTHON=${PYTHON} is not an executable" >&2
    exit 2
  fi
  # Absolute, but symlinks kept: a virtualenv is recognised by its bin/python.
  PYTHON="$(cd "$(dirname "${PYTHON}")" && pwd)/$(basename "${PYTHON}")"
  export PYTHON  # Read by the @python_venv repository rule (WORKSPACE).
fi

cd "$(dirname "${BASH_SOURCE[0]}")/.."
exec bazel test --test_tag_filters=-slow "$@" -- //...
