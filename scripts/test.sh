#!/usr/bin/env bash
# Runs the test suite on a fresh Debian machine with Swift: install missing system packages, then
# `swift test` with any arguments passed through (e.g. `scripts/test.sh --filter Matmul`).
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-system-packages.sh
# PyTorch's reference values are in Tests/Golden (NABLA_GOLDEN points at another copy); say so early
# rather than through failing tests.
golden="${NABLA_GOLDEN:-Tests/Golden}"
if [ ! -f "$golden/ops.json" ]; then
  echo "test.sh: PyTorch's reference values not found in $golden (NABLA_GOLDEN names their folder; scripts/golden/generate.py writes them)" >&2
fi
exec swift test "$@"
