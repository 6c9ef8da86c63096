#!/usr/bin/env bash
# The main job on a fresh Debian machine with Swift: install missing system packages, build in release
# mode (debug builds are far too slow to measure) and run `nabla bench core`. Arguments, if any, are
# passed to `nabla` instead, e.g. `scripts/run.sh bench core --quick`.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-system-packages.sh
swift build -c release
if [ $# -eq 0 ]; then set -- bench core; fi
exec "$(swift build -c release --show-bin-path)/nabla" "$@"
