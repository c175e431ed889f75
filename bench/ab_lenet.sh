#!/usr/bin/env bash
# A change's effect on the LeNet-5 training step: build/bench/bench_lenet run with this build's
# libaxon ("new") and with another build's ("old", a directory holding its libaxon.so*),
# alternated new old new old ... so that a noisy machine slows both alike. Prints, for each, the
# median over the runs of each run's median step time, and the minimum and median over the runs
# of each run's fastest repeat (interference only ever adds time).
#   bench/ab_lenet.sh OLD_LIB_DIR [runs=12] [threads=2]
# To make OLD_LIB_DIR from the last commit, with the working changes set aside meanwhile:
#   git stash && ninja -C build axon && mkdir -p /tmp/old && cp -P build/libaxon.so* /tmp/old/ &&
#   git stash pop && ninja -C build
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
old="${1:?usage: bench/ab_lenet.sh OLD_LIB_DIR [runs=12] [threads=2]}"
runs="${2:-12}" threads="${3:-2}"
bin="$repo/build/bench/bench_lenet"
[[ -x "$bin" ]] || { echo "no $bin: build it first" >&2; exit 1; }
compgen -G "$old/libaxon.so*" >/dev/null || { echo "no libaxon.so* in $old" >&2; exit 1; }

# "median M ms/step (...), min N" -> "M N"
times() { sed -nE 's/.*median ([0-9.]+) ms.*min ([0-9.]+).*/\1 \2/p'; }
for ((i = 1; i <= runs; ++i)); do
  echo "new $("$bin" --threads "$threads" --repeats 5 --steps 60 | times)"
  echo "old $(LD_LIBRARY_PATH="$old" "$bin" --threads "$threads" --repeats 5 --steps 60 | times)"
done | python3 -c '
import statistics, sys
runs = {}
for line in sys.stdin:
    name, median, fastest = line.split()
    runs.setdefault(name, []).append((float(median), float(fastest)))
for name in ("new", "old"):
    medians, fastest = zip(*runs[name])
    print(f"{name}: median of medians {statistics.median(medians):.3f} ms, fastest "
          f"{min(fastest):.3f} ms, median of fastest {statistics.median(fastest):.3f} ms "
          f"({len(medians)} runs)")
'
