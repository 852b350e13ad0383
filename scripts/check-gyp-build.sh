#!/usr/bin/env bash
# Build the addon a second way, with node-gyp from binding.gyp, in a scratch
# copy of the sources, and run the tensor tests against that build.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
cp -r "$root/binding.gyp" "$root/native" "$root/scripts" "$root/package.json" "$scratch/"
ln -s "$root/node_modules" "$scratch/node_modules"
(cd "$scratch" && "$root/node_modules/.bin/node-gyp" rebuild -j "$(nproc)" >"$scratch/gyp.log" 2>&1) || { tail -50 "$scratch/gyp.log"; exit 1; }
echo "node-gyp build: ok ($scratch/build/Release/vbt.node)"
cd "$root"
VBT_NATIVE_PATH="$scratch/build/Release/vbt.node" npx vitest run test/torch
