#!/usr/bin/env bash
# Build the addon a second way, with node-gyp from binding.gyp, in a scratch
# copy of the sources, and run the tensor tests against that build.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
cp -r "$root/binding.gyp" "$root/native" "$root/scripts" "$root/package.json" "$scratch/"
ln -s "$root/node_modules" "$scratch/node_modules"
# Node's own headers, so node-gyp downloads nothing (npm passes its nodedir
# setting only to scripts it runs itself).
nodedir=${npm_config_nodedir:-$(dirname "$(dirname "$(readlink -f "$(command -v node)")")")}
[ -f "$nodedir/include/node/node_api.h" ] || { echo "no Node.js headers under $nodedir/include/node: set npm_config_nodedir" >&2; exit 1; }
(cd "$scratch" && "$root/node_modules/.bin/node-gyp" rebuild -j "$(nproc)" --nodedir="$nodedir" >"$scratch/gyp.log" 2>&1) || { tail -50 "$scratch/gyp.log"; exit 1; }
echo "node-gyp build: ok ($scratch/build/Release/vbt.node)"
cd "$root"
VBT_NATIVE_PATH="$scratch/build/Release/vbt.node" npx vitest run test/torch
