#!/usr/bin/env bash
# The main job on a fresh Debian machine with Swift: install missing system packages, build in release
# mode (debug builds are far too slow to train or measure) and train the default model, the
# Fashion-MNIST CNN, for one epoch: it prints its progress and test accuracy and writes a run folder with
# an HTML report under runs/. Arguments, if any, are passed to `nabla` instead, e.g.
# `scripts/run.sh train fashion-mlp` or `scripts/run.sh bench core`.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-system-packages.sh
swift build -c release
if [ $# -eq 0 ]; then set -- train fashion-cnn --epochs 1; fi
exec "$(swift build -c release --show-bin-path)/nabla" "$@"
