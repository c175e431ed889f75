#!/usr/bin/env bash
# Builds, on a Debian machine with the CUDA toolkit (no GPU needed), everything
# scripts/gpu-check.sh runs on a GPU host that has no Debian packages: the sources, a CUDA
# build (library, tests, apps, benchmarks; stripped) and the shared libraries they need beyond
# glibc and CUDA, packed as ./gpu-bundle.tar.xz (git-ignored; carry it to the GPU host, where
# gpu-check.sh unpacks it).
#
# The build lives at /tmp/axon-gpu because tests and ctest name files by absolute path;
# gpu-check.sh points the same path at the carried bundle.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
stage=/tmp/axon-gpu
out="$repo/gpu-bundle"

AXON_EXTRA_PACKAGES="rsync file" "$repo/scripts/setup.sh" --deps-only

mkdir -p "$stage/src"
# Tracked and new files only: never a build folder or an old bundle.
(cd "$repo" && git ls-files -co --exclude-standard -z) |
  rsync -a --delete --from0 --files-from=- "$repo/" "$stage/src/"
launcher=()
if command -v ccache >/dev/null; then
  export CCACHE_BASEDIR="$stage"
  launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_CUDA_COMPILER_LAUNCHER=ccache)
fi
commit="$(git -C "$repo" rev-parse HEAD)"
[[ -z $(git -C "$repo" status --porcelain --untracked-files=no) ]] || commit+="-dirty"
cmake -S "$stage/src" -B "$stage/src/build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DAXON_GIT_COMMIT="$commit" `# the copy has no .git` \
  -DAXON_CUDA=ON -DCMAKE_CUDA_ARCHITECTURES="${AXON_CUDA_ARCHITECTURES:-90}" "${launcher[@]}" \
  -DPython3_EXECUTABLE=/usr/bin/python3 `# the system python3, there on the GPU host too` \
  -DCMAKE_DISABLE_FIND_PACKAGE_Torch=ON  # bench_core's LibTorch columns would pull in 500 MB
cmake --build "$stage/src/build" -j"$(nproc)"

# Debian's libraries the binaries load (fmt, OpenBLAS, OpenMP, zlib, the C++ runtime, ...);
# glibc and the CUDA libraries come from the GPU host.
rm -rf "$stage/lib"
mkdir -p "$stage/lib"
find "$stage/src/build" -type f \( -name '*.so*' -o -perm -u+x \) -print0 |
  xargs -0 file | grep -E 'ELF .*(executable|shared object)' | cut -d: -f1 > "$stage/elves"
xargs strip --strip-unneeded < "$stage/elves"
xargs ldd < "$stage/elves" 2>/dev/null | awk '/=> \// {print $3}' | sort -u |
  grep -vE '/(libc|libm|libdl|librt|libpthread|ld-linux[^/]*|libcuda|libcudart|libcublas[^/]*|libcudnn[^/]*|libnvrtc[^/]*|libaxon)\.so' |
  xargs -r cp -L -t "$stage/lib"

# Fashion-MNIST (Debian's dataset-fashion-mnist, 30 MB of gzip) for gpu-check.sh's train stage.
rm -rf "$stage/data"
mkdir -p "$stage/data"
cp -r /usr/share/datasets/fashion-mnist "$stage/data/"

rm -f "$out.tar.xz"
tar -C "$stage" -cJf "$out.tar.xz" --exclude='CMakeFiles' --exclude='*.o' src lib data
du -h "$out.tar.xz"
