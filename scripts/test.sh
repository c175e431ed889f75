#!/usr/bin/env bash
# Builds axon (scripts/setup.sh) and runs the whole test suite; extra arguments go to ctest
# (e.g. ./scripts/test.sh -R consumer). The exit status is ctest's.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$repo/scripts/setup.sh"

cd "$repo/build"
exec ctest --output-on-failure -j"$(nproc)" "$@"
