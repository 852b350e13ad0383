#!/usr/bin/env bash
# Point libblas.so.3, liblapack.so.3 and libopenblas.so.0 (which the first two
# load) at OpenBLAS's OpenMP build where they point at the reference BLAS or at
# OpenBLAS's pthread build (which Debian ranks first when both are installed);
# any other choice (MKL, BLIS, ...) is left alone. Run by `npm run setup` as
# root. Debian's LibTorch uses whatever libblas.so.3 is; the OpenMP build
# shares LibTorch's OpenMP threads, where the pthread build's own pool competes
# with them (the demo took 1.7× as long with it on 2 cores; bench/RESULTS.md).
# VBT_BLAS_LIB_ROOT: where the multiarch library folders are (default /usr/lib).
set -euo pipefail
command -v update-alternatives >/dev/null 2>&1 || exit 0
root="${VBT_BLAS_LIB_ROOT:-/usr/lib}"
arch="$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || echo x86_64-linux-gnu)"
for lib in libblas.so.3 liblapack.so.3 libopenblas.so.0; do
  link="$lib-$arch"
  want="$root/$arch/openblas-openmp/$lib"
  [ -e "$want" ] || continue
  target="$(update-alternatives --query "$link" 2>/dev/null | sed -n 's/^Value: //p')"
  case "$target" in
    "$want") ;;
    */openblas-pthread/* | */blas/* | */lapack/*)
      echo "vbt setup: $lib: OpenBLAS's OpenMP build instead of $target"
      update-alternatives --quiet --set "$link" "$want"
      ;;
  esac
done
