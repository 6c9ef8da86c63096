#!/usr/bin/env bash
# Runs the test suite on a fresh Debian machine with Swift: install missing system packages, then
# `swift test` with any arguments passed through (e.g. `scripts/test.sh --filter Matmul`).
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-system-packages.sh
# The PyTorch reference values live outside the repository; say so early rather than through failing tests.
golden="${NABLA_GOLDEN:-../shared/golden}"
if [ ! -d "$golden" ]; then
  echo "test.sh: golden data not found at $golden (set NABLA_GOLDEN or put shared/ beside the repository)" >&2
fi
exec swift test "$@"
