#!/usr/bin/env bash
# On a host with an NVIDIA GPU, one command for the CUDA backend's checks:
#   1. the whole test suite (ctest), so that every CUDA case runs and is compared with the CPU;
#   2. compute-sanitizer memcheck over every CUDA test case;
#   3. compute-sanitizer racecheck over the CUDA kernel suites (tests/cuda);
# then a summary. `gpu-check.sh tests|memcheck|racecheck` runs one stage (each fits in a
# 10-minute slot); with no argument it runs all three. Logs go to $OUT (when set) or
# ./gpu-check-logs. The exit status is non-zero when anything failed.
#
# The build: ./gpu-bundle.tar.xz from scripts/gpu-bundle.sh when present (GPU hosts have no
# Debian packages), else a CUDA build in ./build-gpu made here (needs what setup.sh installs).
set -uo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
stage="${1:-all}"
logs="${OUT:-$repo/gpu-check-logs}"
mkdir -p "$logs"
summary="$logs/summary.txt"
: >"$summary"
failed=0
note() { echo "$*" | tee -a "$summary"; }

if ! gpu="$(nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>&1)"; then
  echo "gpu-check.sh: no GPU here (nvidia-smi: $gpu)" >&2
  exit 1
fi
note "device: $gpu; $(date -u '+%Y-%m-%d %H:%M UTC'); axon $(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo '?')"

# cuDNN and cuBLAS may come as Python packages (nvidia-cudnn-cu13, nvidia-cublas).
cuda_libs="$(python3 - 2>/dev/null <<'PY'
import importlib, os
dirs = []
for name in ("nvidia.cudnn", "nvidia.cublas", "nvidia.cuda_runtime", "nvidia.cu13"):
    try:
        module = importlib.import_module(name)
    except ImportError:
        continue
    for root in module.__path__:
        lib = os.path.join(root, "lib")
        if os.path.isdir(lib):
            dirs.append(lib)
print(":".join(dirs))
PY
)"
for d in /usr/local/cuda/lib64 /usr/local/cuda/targets/x86_64-linux/lib; do
  [[ -d $d ]] && cuda_libs="$cuda_libs:$d"
done

if [[ -f $repo/gpu-bundle.tar.xz && ! -d $repo/gpu-bundle ]]; then
  mkdir -p "$repo/gpu-bundle" && tar -C "$repo/gpu-bundle" -xJf "$repo/gpu-bundle.tar.xz"
fi
if [[ -d $repo/gpu-bundle/src/build ]]; then
  # The bundle was built at /tmp/axon-gpu; its binaries and ctest files name that path.
  [[ -e /tmp/axon-gpu && ! -L /tmp/axon-gpu ]] && {
    echo "gpu-check.sh: /tmp/axon-gpu is a real folder (a bundle build?); not a GPU host?" >&2
    exit 1
  }
  ln -sfn "$repo/gpu-bundle" /tmp/axon-gpu
  build=/tmp/axon-gpu/src/build
  export LD_LIBRARY_PATH="/tmp/axon-gpu/lib:$cuda_libs:${LD_LIBRARY_PATH:-}"
  note "build: gpu-bundle (made by scripts/gpu-bundle.sh)"
else
  build="$repo/build-gpu"
  export LD_LIBRARY_PATH="$cuda_libs:${LD_LIBRARY_PATH:-}"
  cmake -S "$repo" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DAXON_CUDA=ON \
    -DCMAKE_CUDA_ARCHITECTURES="${AXON_CUDA_ARCHITECTURES:-90}" >"$logs/configure.log" 2>&1 &&
    cmake --build "$build" -j"$(nproc)" >"$logs/build.log" 2>&1 || {
    note "build: FAILED (see $logs/configure.log and build.log)"
    exit 1
  }
  note "build: $build"
fi

run_tests() {
  # The consumer tests build a user project against axon: that needs Debian's packages.
  ctest --test-dir "$build" --output-on-failure -j"$(nproc)" --timeout 600 -LE consumer \
    >"$logs/ctest.log" 2>&1
  local status=$?
  note "tests: $(grep -E 'tests passed|tests failed' "$logs/ctest.log" | tail -1)"
  local skipped
  skipped="$(grep -c '(Skipped)' "$logs/ctest.log")"
  note "tests: $skipped skipped (expected 0 for CUDA cases on a GPU host)"
  grep -E '\(Failed\)|\(Subprocess|\(Timeout\)' "$logs/ctest.log" | sed 's/^/  /' | tee -a "$summary"
  ((status == 0)) || failed=1
}

test_binaries() {  # every test executable, or those under tests/$1
  find "$build/tests/${1:-}" -type f -name '*_test' -perm -u+x | sort
}

sanitize() {  # tool, binaries...
  local tool=$1 sanitizer bin name
  shift
  sanitizer="$(command -v compute-sanitizer || echo /usr/local/cuda/bin/compute-sanitizer)"
  for bin in "$@"; do
    name="$(basename "$bin")"
    # CUDA cases: DeviceTest instances end in /cuda; the CUDA suites say Cuda or CUDA.
    local filter='*/cuda:*Cuda*:*CUDA*'
    [[ $bin == */tests/cuda/* ]] && filter='*'
    if ! "$bin" --gtest_list_tests --gtest_filter="$filter" | grep -q '^  '; then continue; fi
    if "$sanitizer" --tool "$tool" --error-exitcode 99 "$bin" --gtest_filter="$filter" \
      --gtest_brief=1 >"$logs/${tool}_$name.log" 2>&1; then
      note "$tool: $name ok"
    else
      note "$tool: $name FAILED (see ${tool}_$name.log)"
      failed=1
    fi
  done
}

case "$stage" in
  tests) run_tests ;;
  memcheck) sanitize memcheck $(test_binaries) ;;
  racecheck) sanitize racecheck $(test_binaries cuda) ;;
  all)
    run_tests
    sanitize memcheck $(test_binaries)
    sanitize racecheck $(test_binaries cuda)
    ;;
  *)
    echo "usage: gpu-check.sh [tests|memcheck|racecheck|all]" >&2
    exit 2
    ;;
esac
note "result: $( ((failed)) && echo FAILED || echo ok)"
exit "$failed"
