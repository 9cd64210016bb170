#!/bin/sh
# Stands in for Bazel's downloadable coverage tools, see BUILD.
echo "$(basename "$0"): bazel coverage needs the real @remote_coverage_tools," \
  "which cannot be downloaded offline" >&2
exit 1
