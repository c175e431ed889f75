#!/usr/bin/env bash
# Installs what the build and the tests need on Debian 12 (only what is missing; with
# Fashion-MNIST at /usr/share/datasets/fashion-mnist, axon-train's default data), then
# configures and builds axon into <repo>/build: Release, warnings as errors, the CUDA backend
# when nvcc is found (for sm_90 unless AXON_CUDA_ARCHITECTURES says otherwise).
# Safe to run again: it installs nothing that is there and rebuilds only what changed.
# `setup.sh --deps-only` installs the packages and stops.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="$repo/build"

die() {
  echo "setup.sh: error: $*" >&2
  exit 1
}

# ---- system packages ----------------------------------------------------------------------
packages=(cmake ninja-build g++ make pkg-config libfmt-dev libgtest-dev libgmock-dev
  libopenblas-openmp-dev libdnnl-dev nlohmann-json3-dev zlib1g-dev libcli11-dev libstb-dev dataset-fashion-mnist)
# Callers add what only they need (run.sh: gnuplot for axon-train's curves).
read -r -a extra <<<"${AXON_EXTRA_PACKAGES:-}"
packages+=("${extra[@]}")
missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done
if ((${#missing[@]})); then
  sudo=()
  if [[ $(id -u) -ne 0 ]]; then
    command -v sudo >/dev/null || die "missing packages (${missing[*]}) and not root, no sudo"
    sudo=(sudo)
  fi
  log="$(mktemp)"
  trap 'rm -f "$log"' EXIT
  if ! "${sudo[@]}" apt-get update -qq >"$log" 2>&1 ||
    ! "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
      --no-install-recommends "${missing[@]}" >>"$log" 2>&1; then
    cat "$log" >&2
    die "apt-get could not install: ${missing[*]}"
  fi
  echo "setup.sh: installed ${missing[*]}"
fi

[[ ${1:-} == --deps-only ]] && exit 0

# ---- configure and build ------------------------------------------------------------------
cuda_args=()
if command -v nvcc >/dev/null || [[ -x /usr/local/cuda/bin/nvcc ]]; then
  cuda_args=(-DCMAKE_CUDA_ARCHITECTURES="${AXON_CUDA_ARCHITECTURES:-90}")
fi
cmake -S "$repo" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DAXON_WARNINGS_AS_ERRORS=ON -DAXON_CUDA=AUTO "${cuda_args[@]}" ||
  die "CMake could not configure $build (a build dir made with another generator? remove it)"
cmake --build "$build" --parallel "$(nproc)" || die "the build failed (see the errors above)"
