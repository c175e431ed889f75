#!/usr/bin/env bash
# On a host with an NVIDIA GPU, one command for the CUDA backend's checks:
#   1. the whole test suite (ctest), so that every CUDA case runs and is compared with the CPU;
#   2. compute-sanitizer memcheck over every CUDA test case;
#   3. compute-sanitizer racecheck over the CUDA kernel suites (tests/cuda);
#   4. (stage `bench` only) axon-bench on cpu and cuda, again on cuda with --cuda-graph, and
#      benchmarks/compare_pytorch.py on cuda (axon with --cuda-graph unless
#      AXON_COMPARE_AXON_GRAPH=0; float32 math on both sides, AXON_COMPARE_FLAGS=--tf32 for TF32);
#   5. (stage `profile` only) axon-bench --profile on the GPU rows the speed targets name (lenet5
#      at batch 64 and 1024, cifar-cnn at 256): each kernel's and autograd node's host and
#      device time over 10 eager steps (axon::profiler), to find where a step's time goes;
#   6. (stage `train` only) axon-train, LeNet-5 on Fashion-MNIST (the bundle carries it) for 2
#      epochs on the GPU: the host loader, the dataset resident on the GPU, and resident with
#      --cuda-graph, each epoch's images/s in the summary;
# then a summary. `gpu-check.sh tests|memcheck|racecheck|bench|profile|train` runs one stage, several may be
# named (`gpu-check.sh tests bench`); with no argument it runs the first three. Logs go to
# ./gpu-check-logs, or, when $OUT is set (the device tool), to $OUT as summary.txt plus one
# gpu-check-logs.tar.gz, since only a few files come back from there. The exit status is
# non-zero when anything failed.
#
# The build: ./gpu-bundle.tar.xz from scripts/gpu-bundle.sh when present (GPU hosts have no
# Debian packages), else a CUDA build in ./build-gpu made here (needs what setup.sh installs).
set -uo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
stages=("$@")
((${#stages[@]})) || stages=(tests memcheck racecheck)
logs="$repo/gpu-check-logs"
rm -rf "$logs"
mkdir -p "$logs"
summary="$logs/summary.txt"
failed=0
# AXON_GPU_CHECK_SECONDS: the whole run's time (the device tool gives a command 10 minutes);
# each step gets what is left, and steps not started in time are reported as not run. One
# sanitizer run gets at most AXON_SANITIZER_SECONDS (150); AXON_CTEST_REGEX picks tests by name.
budget=${AXON_GPU_CHECK_SECONDS:-86400}
left() { echo $((budget - SECONDS - 20)); }
note() { echo "$*" | tee -a "$summary"; }
pack_logs() {
  [[ -n ${OUT:-} ]] || return 0
  cp "$summary" "$OUT/summary.txt"
  tar -C "$repo" -czf "$OUT/gpu-check-logs.tar.gz" gpu-check-logs
}
trap pack_logs EXIT

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
  timeout "$(left)" ctest --test-dir "$build" --output-on-failure -j"$(nproc)" --timeout 600 \
    -LE consumer ${AXON_CTEST_REGEX:+-R "$AXON_CTEST_REGEX"} >"$logs/ctest.log" 2>&1
  local status=$?
  note "tests: $(grep -E 'tests passed|tests failed' "$logs/ctest.log" | tail -1)"
  local skipped
  skipped="$(grep -c '(Skipped)' "$logs/ctest.log")"
  note "tests: $skipped skipped (on one GPU: the no-GPU error cases, copies between two GPUs, the real-data tests)"
  grep -E '\(Failed\)|\(Subprocess|\(Timeout\)' "$logs/ctest.log" | sed 's/^/  /' | tee -a "$summary"
  ((status == 0)) || failed=1
}

cuda_suite() {  # is this test executable built from tests/cuda (the CUDA kernel suites)?
  [[ -f $repo/tests/cuda/$(basename "$1").cpp ]]
}

test_binaries() {  # with `cuda` the suites of tests/cuda, with `all` those first, then the rest
  local bin
  find "$build/tests" -maxdepth 1 -type f -name '*_test' -perm -u+x | sort >"$logs/binaries"
  while read -r bin; do cuda_suite "$bin" && echo "$bin"; done <"$logs/binaries"
  [[ $1 == cuda ]] && return
  while read -r bin; do cuda_suite "$bin" || echo "$bin"; done <"$logs/binaries"
}

sanitize() {  # tool, binaries...
  local tool=$1 sanitizer bin name
  shift
  sanitizer="$(command -v compute-sanitizer || echo /usr/local/cuda/bin/compute-sanitizer)"
  for bin in "$@"; do
    name="$(basename "$bin")"
    # CUDA cases: DeviceTest instances end in /cuda; the CUDA suites say Cuda or CUDA.
    local filter='*/cuda:*Cuda*:*CUDA*'
    cuda_suite "$bin" && filter='*'
    # The out-of-memory case asks cudaMalloc for too much on purpose; memcheck would count the
    # API error it gets as a finding.
    [[ $tool == memcheck ]] && filter="$filter-*OutOfMemory*"
    if ! "$bin" --gtest_list_tests --gtest_filter="$filter" | grep -q '^  '; then continue; fi
    if (($(left) < 30)); then
      note "$tool: $name NOT RUN (out of time)"
      failed=1
      continue
    fi
    local limit=$(($(left) < ${AXON_SANITIZER_SECONDS:-150} ? $(left) : ${AXON_SANITIZER_SECONDS:-150}))
    timeout "$limit" "$sanitizer" --tool "$tool" --error-exitcode 99 "$bin" --gtest_filter="$filter" \
      --gtest_brief=1 >"$logs/${tool}_$name.log" 2>&1
    case $? in
      0) note "$tool: $name ok" ;;
      124) note "$tool: $name NOT FINISHED in ${limit}s (${tool}_$name.log)"; failed=1 ;;
      *) note "$tool: $name FAILED (see ${tool}_$name.log)"; failed=1 ;;
    esac
  done
}

run_bench() {
  # axon-bench needs the bundle's libraries; python3 (PyTorch) must not see them.
  local bench="$build/apps/bench/axon-bench" wrapper="$logs/axon-bench"
  printf '#!/bin/sh\nLD_LIBRARY_PATH="%s" exec "%s" "$@"\n' "$LD_LIBRARY_PATH" "$bench" >"$wrapper"
  chmod +x "$wrapper"
  if timeout "$(($(left) / 2))" "$wrapper" --devices cpu,cuda --json "$logs/axon_bench.json" \
    >"$logs/axon_bench.txt" 2>&1; then
    note "axon-bench: ok (axon_bench.txt, axon_bench.json)"
  else
    note "axon-bench: FAILED (see axon_bench.txt)"
    failed=1
  fi
  # The CUDA rows again, each step a replay of a captured graph.
  if timeout "$(($(left) / 3))" "$wrapper" --devices cuda --cuda-graph \
    --json "$logs/axon_bench_graph.json" >"$logs/axon_bench_graph.txt" 2>&1; then
    note "axon-bench --cuda-graph: ok (axon_bench_graph.txt, axon_bench_graph.json)"
  else
    note "axon-bench --cuda-graph: FAILED (see axon_bench_graph.txt)"
    failed=1
  fi
  # axon's side as a graph replay unless AXON_COMPARE_AXON_GRAPH=0.
  local graph_flag=()
  [[ "${AXON_COMPARE_AXON_GRAPH:-1}" == 1 ]] && graph_flag=(--axon-cuda-graph)
  if env -u LD_LIBRARY_PATH timeout "$(left)" python3 \
    "$repo/benchmarks/compare_pytorch.py" --device cuda --axon-bench "$wrapper" "${graph_flag[@]}" \
    --rows "${AXON_COMPARE_ROWS:-lenet5:64,lenet5:1024,cifar-cnn:256}" --rounds 2 \
    ${AXON_COMPARE_FLAGS:-} `# e.g. --tf32` \
    --json "$logs/compare_cuda.json" >"$logs/compare_cuda.txt" 2>&1; then
    note "compare_pytorch: ok (compare_cuda.txt, compare_cuda.json)"
  else
    note "compare_pytorch: FAILED (see compare_cuda.txt)"
    failed=1
  fi
}

run_profile() {
  local bench="$build/apps/bench/axon-bench" row model sizes
  for row in "lenet5 64,1024" "cifar-cnn 256"; do
    read -r model sizes <<<"$row"
    if (($(left) < 30)); then
      note "axon-bench --profile $model: NOT RUN (out of time)"
      failed=1
      continue
    fi
    if timeout "$(($(left) / 2))" "$bench" --devices cuda --models "$model" --batch-sizes "$sizes" \
      --repeats 2 --profile 10 --json "$logs/profile_$model.json" >"$logs/profile_$model.txt" 2>&1; then
      note "axon-bench --profile $model $sizes: ok (profile_$model.txt, profile_$model.json)"
    else
      note "axon-bench --profile $model: FAILED (see profile_$model.txt)"
      failed=1
    fi
  done
}

run_train() {
  local data="$repo/gpu-bundle/data/fashion-mnist" train="$build/apps/train/axon-train" name
  [[ -d $data ]] || data=/usr/share/datasets/fashion-mnist
  local -A runs=([host_loader]="--resident-data off" [resident]="--resident-data on"
                 [resident_graph]="--resident-data on --cuda-graph")
  for name in host_loader resident resident_graph; do
    if (($(left) < 60)); then
      note "axon-train $name: NOT RUN (out of time)"
      failed=1
      continue
    fi
    # shellcheck disable=SC2086  # the flags split on purpose
    if timeout "$(($(left) / 2))" "$train" --data "$data" --device cuda --epochs 2 --quiet \
      ${runs[$name]} >"$logs/train_$name.txt" 2>&1; then
      note "axon-train $name (${runs[$name]}): $(grep -oE '\([0-9]+ images/s\)' \
        "$logs/train_$name.txt" | tr '\n' ' ')"
    else
      note "axon-train $name: FAILED (see train_$name.txt)"
      failed=1
    fi
  done
}

for stage in "${stages[@]}"; do
  case "$stage" in
    tests) run_tests ;;
    memcheck) sanitize memcheck $(test_binaries all) ;;
    # Our kernels only: blas_dnn_kernels_test is cuBLAS and cuDNN, which racecheck slows past
    # 6 minutes.
    racecheck) sanitize racecheck $(test_binaries cuda | grep -v blas_dnn_kernels_test) ;;
    bench) run_bench ;;
    profile) run_profile ;;
    train) run_train ;;
    all)
      run_tests
      sanitize memcheck $(test_binaries all)
      sanitize racecheck $(test_binaries cuda | grep -v blas_dnn_kernels_test)
      ;;
    *)
      echo "usage: gpu-check.sh [tests|memcheck|racecheck|bench|profile|train|all]..." >&2
      exit 2
      ;;
  esac
done
note "result: $( ((failed)) && echo FAILED || echo ok)"
exit "$failed"
