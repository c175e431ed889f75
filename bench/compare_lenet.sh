#!/usr/bin/env bash
# The LeNet-5 training step side by side: axon (build/bench/bench_lenet) and PyTorch
# (bench/bench_lenet.py, Debian's python3-torch), alternated A B A B so that a noisy machine
# slows both alike; prints each run and the ratio of the medians.
#   bench/compare_lenet.sh [rounds=5] [flags for both, e.g. --threads 2 --batch 64]
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
rounds="${1:-5}"
shift || true
axon_bin="${AXON_BENCH_LENET:-$repo/build/bench/bench_lenet}"
[[ -x "$axon_bin" ]] || { echo "no $axon_bin: build it first (./scripts/setup.sh)" >&2; exit 1; }
python="${PYTHON:-/usr/bin/python3}"
"$python" -c "import torch" 2>/dev/null ||
  { echo "$python has no torch: apt-get install python3-torch" >&2; exit 1; }

axon_ms=() torch_ms=()
median_of() { sed -E 's/.*median ([0-9.]+) ms.*/\1/' <<<"$1"; }
for ((i = 1; i <= rounds; ++i)); do
  a="$("$axon_bin" "$@")" && echo "$a" && axon_ms+=("$(median_of "$a")")
  t="$("$python" "$repo/bench/bench_lenet.py" "$@")" && echo "$t" && torch_ms+=("$(median_of "$t")")
done
mid() { printf '%s\n' "$@" | sort -g | sed -n "$((($# + 1) / 2))p"; }
am="$(mid "${axon_ms[@]}")" tm="$(mid "${torch_ms[@]}")"
echo "median of $rounds rounds: axon $am ms/step, PyTorch $tm ms/step: axon is $(
  awk -v a="$am" -v t="$tm" 'BEGIN { printf "%.2f", t / a }')x PyTorch's speed"
