#!/usr/bin/env bash
# Builds axon (scripts/setup.sh, which also installs Debian's Fashion-MNIST) and runs the main
# job: axon-train training LeNet-5 on Fashion-MNIST on the best device, with its curves and a
# picture of predictions in plots/. Arguments go to axon-train and override these defaults
# (./scripts/run.sh --epochs 10, ./scripts/run.sh --help).
# The build's messages go to stderr so that stdout is the program's alone.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
AXON_EXTRA_PACKAGES="gnuplot-nox" "$repo/scripts/setup.sh" >&2

program="$repo/build/apps/train/axon-train"
if [[ ! -x $program ]]; then
  echo "run.sh: error: $program was not built" >&2
  exit 1
fi
exec "$program" --model lenet5 --dataset fashion-mnist --device auto --epochs 5 \
  --plot "$repo/plots" "$@"
