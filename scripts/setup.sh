#!/usr/bin/env bash
# `npm run setup`: take a fresh clone to a working build.
#  1. system packages, when missing (Debian/Ubuntu): LibTorch, an optimised BLAS
#     for it (OpenBLAS), the Python torch used by the backbone exporters, Gloo for
#     distributed training, a compiler;
#  2. npm ci;  3. the native addon (cmake-js);  4. the TypeScript build.
# Set VBT_SKIP_SYSTEM_PACKAGES=1 to manage system packages yourself (e.g. when
# LIBTORCH points at an unpacked LibTorch).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# libopenblas0-openmp: Debian's LibTorch uses whatever libblas.so.3 is; the reference BLAS it gets otherwise makes matrix
# products ~14× slower. OpenBLAS's OpenMP build, not its pthread build: see scripts/select-openmp-blas.sh.
packages=(libtorch-dev libgloo-dev libopenblas0-openmp python3-torch python3-torchaudio ffmpeg cmake g++ make)

if [ "${VBT_SKIP_SYSTEM_PACKAGES:-0}" != "1" ]; then
  if command -v dpkg-query >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1; then
    sudo=""
    if [ "$(id -u)" != "0" ] && command -v sudo >/dev/null 2>&1; then sudo="sudo"; fi
    missing=()
    for p in "${packages[@]}"; do
      dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
    done
    if [ ${#missing[@]} -gt 0 ]; then
      echo "vbt setup: installing system packages: ${missing[*]}"
      if [ "$(id -u)" != "0" ] && [ -z "$sudo" ]; then
        echo "vbt setup: need root or sudo to install ${missing[*]}" >&2
        exit 1
      fi
      $sudo apt-get update -qq
      DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
    else
      echo "vbt setup: system packages present"
    fi
    if [ "$(id -u)" = "0" ] || [ -n "$sudo" ]; then $sudo bash scripts/select-openmp-blas.sh; fi
  else
    echo "vbt setup: not a Debian/Ubuntu system: install LibTorch yourself (see README, 'Requirements')"
  fi
fi

echo "vbt setup: npm ci"
npm ci --no-audit --no-fund
echo "vbt setup: native addon"
npm run --silent build:native
echo "vbt setup: TypeScript"
npm run --silent build
echo "vbt setup: done. Try: npx vbt info"
