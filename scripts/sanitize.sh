#!/usr/bin/env bash
# Builds axon and its whole test suite with AddressSanitizer and UndefinedBehaviorSanitizer into
# <repo>/build-sanitize and runs it: any report (a bad read or write, a leak, undefined
# behaviour) fails the test that caused it. Extra arguments go to ctest (e.g. -R data_).
# CPU only: without a GPU the CUDA cases skip anyway, and ASan needs special settings beside the
# CUDA driver. The consumer tests (packaging, tests/consumer) are left out: they build a
# project of their own without the sanitizers.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="$repo/build-sanitize"

"$repo/scripts/setup.sh" --deps-only
# Release's optimisation, as the normal build: the golden tests compare with PyTorch bit for bit,
# and at -O1 the compiler fuses fewer a * b + c into FMAs, which moves results by an ulp. -g1 gives
# the sanitizers' stack traces their lines.
cmake -S "$repo" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_FLAGS="-g1" \
  -DAXON_WARNINGS_AS_ERRORS=ON -DAXON_CUDA=OFF \
  -DAXON_BUILD_BENCH=OFF -DAXON_SANITIZE=address,undefined
cmake --build "$build" --parallel "$(nproc)"

# allocator_may_return_null: a request past what ASan can map returns null, as malloc does,
# instead of aborting, so that the tests of axon's "out of memory" errors run as they do normally.
export ASAN_OPTIONS="detect_leaks=1:halt_on_error=1:strict_init_order=1:check_initialization_order=1:allocator_may_return_null=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
cd "$build"
exec ctest --output-on-failure -j"$(nproc)" -LE consumer "$@"
