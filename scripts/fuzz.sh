#!/usr/bin/env bash
# Builds the libFuzzer targets of fuzz/ with clang into <repo>/build-fuzz (the library itself
# instrumented for coverage, AddressSanitizer and UndefinedBehaviorSanitizer) and runs each in
# turn, one process at a time:
#
#   scripts/fuzz.sh [--seconds N | --runs N] [target...]
#
# Targets: mnist_idx, mnist_idx_gz, cifar10, safetensors (default: all); --seconds 10 unless
# told. Each starts from its seed corpus, fuzz/corpus/<target> (fuzz/make_corpus.py), and keeps
# the inputs it finds in build-fuzz/corpus/<target>. A crash, sanitizer report, leak, timeout or
# allocation over the target's limit leaves its input in build-fuzz/crashes/<target>/ and makes
# the script exit 1 once every target has run. Extra libFuzzer flags: AXON_FUZZ_FLAGS.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="$repo/build-fuzz"
all_targets=(mnist_idx mnist_idx_gz cifar10 safetensors)

die() {
  echo "fuzz.sh: error: $*" >&2
  exit 2
}

limit=(-max_total_time=10)
targets=()
while (($#)); do
  case "$1" in
    --seconds) [[ ${2:-} =~ ^[0-9]+$ ]] || die "--seconds needs a number"
      limit=(-max_total_time="$2"); shift 2 ;;
    --runs) [[ ${2:-} =~ ^[0-9]+$ ]] || die "--runs needs a number"
      limit=(-runs="$2"); shift 2 ;;
    -h | --help) sed -n '2,12p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) die "unknown option $1" ;;
    *) [[ " ${all_targets[*]} " == *" $1 "* ]] || die "unknown target $1 (${all_targets[*]})"
      targets+=("$1"); shift ;;
  esac
done
((${#targets[@]})) || targets=("${all_targets[@]}")

# Per target: the longest input, and the largest single allocation in MB (a few times what a
# valid file of max_len bytes needs, so a size taken from a header without checking is caught).
# gzip inputs are longer and decompress up to ~1000x.
declare -A max_len=([mnist_idx]=4096 [mnist_idx_gz]=8192 [cifar10]=9300 [safetensors]=4096)
declare -A malloc_mb=([mnist_idx]=64 [mnist_idx_gz]=256 [cifar10]=64 [safetensors]=64)

# clang, its libFuzzer and sanitizer runtimes, and the OpenMP runtime clang links against.
AXON_EXTRA_PACKAGES="clang libclang-rt-14-dev libomp-dev" "$repo/scripts/setup.sh" --deps-only
if [[ ! -f $build/CMakeCache.txt ]]; then
  # -O1 and line tables only: a faster build, and stack traces still name file and line.
  cmake -S "$repo" -B "$build" -G Ninja -DCMAKE_CXX_COMPILER=clang++ \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -gline-tables-only" \
    -DAXON_FUZZ=ON -DAXON_CUDA=OFF -DAXON_BUILD_TESTS=OFF -DAXON_BUILD_APPS=OFF \
    -DAXON_BUILD_BENCH=OFF >/dev/null || die "CMake could not configure $build"
fi
cmake --build "$build" --parallel "$(nproc)" --target "${targets[@]/#/fuzz_}" ||
  die "the build failed (see the errors above)"

export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=0}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
read -r -a extra <<<"${AXON_FUZZ_FLAGS:-}"
failed=()
for t in "${targets[@]}"; do
  mkdir -p "$build/corpus/$t" "$build/crashes/$t"
  log="$build/fuzz-$t.log"
  echo "fuzz.sh: $t (${limit[*]}, log in $log)"
  dict=()
  [[ -f $repo/fuzz/$t.dict ]] && dict=(-dict="$repo/fuzz/$t.dict")
  start=$SECONDS
  rc=0
  "$build/fuzz/fuzz_$t" "${limit[@]}" -timeout=10 -rss_limit_mb=1024 \
    -malloc_limit_mb="${malloc_mb[$t]}" -max_len="${max_len[$t]}" -print_final_stats=1 \
    -artifact_prefix="$build/crashes/$t/" "${dict[@]}" "${extra[@]}" \
    "$build/corpus/$t" "$repo/fuzz/corpus/$t" >"$log" 2>&1 || rc=$?
  runs="$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || true)"
  speed="$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$log" | grep -o '[0-9]*$' || true)"
  echo "fuzz.sh: $t: ${runs:-?} executions in $((SECONDS - start)) s (${speed:-?} exec/s), exit $rc"
  if ((rc != 0)); then
    failed+=("$t")
    tail -n 40 "$log"
  fi
done
if ((${#failed[@]})); then
  echo "fuzz.sh: FAILED: ${failed[*]} (inputs in $build/crashes/)" >&2
  exit 1
fi
echo "fuzz.sh: no crash"
