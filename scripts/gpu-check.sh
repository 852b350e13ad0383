#!/usr/bin/env bash
# The CUDA checks of vbt in one script, for the GPU machine (see the GPU
# section of the README): build against the machine's CUDA LibTorch, `vbt
# info`, the GPU tests, the whole test suite, the demo on the GPU, the
# training-step benchmark, a CUDA prebuild, and the packed package installed
# into an empty folder training on the GPU without compiling.
#
#   bash .gpu/enter.sh bash scripts/gpu-check.sh [--phase LIST] [--budget SECONDS] [--cpu-dry-run]
#
# --phase   comma-separated, in order: build, gpu-tests, suite, demo, bench,
#           prebuild, package (default: all of them). A machine call may run
#           at most 10 minutes, so run them in groups, e.g.
#             --phase build,gpu-tests      (~5 min)
#             --phase suite,demo           (~6 min)
#             --phase bench,prebuild,package (~6 min)
#           Later groups reuse the build of the first (build/ and dist/ stay
#           on a warm machine; a fresh machine rebuilds them first).
# --budget  seconds this call may use (default 560): a step that would not
#           finish in time is skipped and reported, so logs always come back.
# --cpu-dry-run  run every step on the CPU with tiny settings (the GPU tests
#           then skip): checks this script on a machine without a GPU.
#
# Everything lands in $OUT (the folder the machine sends back; default
# /tmp/vbt-gpu-check): logs/<step>.log, steps.tsv (step, status, seconds),
# summary.json, vbt-info.json, gpu-train-step.json, prebuilds/, demo/,
# package-origin.json. The working tree is left as it was (besides build/ and dist/).
# Scratch files (runs, the packed tarball, the install folder) go to
# $VBT_CHECK_WORK (default /tmp/vbt-gpu-check-work).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

phases=build,gpu-tests,suite,demo,bench,prebuild,package
budget=560
dry=0
while [ $# -gt 0 ]; do
  case "$1" in
    --phase) phases=$2; shift 2 ;;
    --phase=*) phases=${1#*=}; shift ;;
    --budget) budget=$2; shift 2 ;;
    --cpu-dry-run) dry=1; shift ;;
    -h|--help) sed -n '2,29p' "${BASH_SOURCE[0]}"; exit 0 ;;
    *) echo "gpu-check: unknown argument $1" >&2; exit 2 ;;
  esac
done

out=${OUT:-/tmp/vbt-gpu-check}
work=${VBT_CHECK_WORK:-/tmp/vbt-gpu-check-work}
mkdir -p "$out/logs" "$work"
started=$(date +%s)
deadline=$((started + budget))
device=cuda
[ "$dry" = 1 ] && device=cpu
failed_required=0
: > "$out/steps.tsv"

log() { echo "[gpu-check $(date +%H:%M:%S)] $*" | tee -a "$out/gpu-check.log"; }

# run_step NAME TIMEOUT COMMAND...: run with a time limit, log to logs/NAME.log,
# record the outcome; never stops the script (the caller decides what depends on it).
run_step() {
  local name=$1 limit=$2
  shift 2
  local now left t0 rc status
  now=$(date +%s)
  left=$((deadline - now))
  if [ "$left" -lt 30 ]; then
    log "$name: skipped (out of time in this call; run its phase in another call)"
    printf '%s\tskipped-time\t0\n' "$name" >> "$out/steps.tsv"
    return 125
  fi
  [ "$limit" -gt "$left" ] && limit=$left
  log "$name: start (limit ${limit}s)"
  t0=$(date +%s)
  set +e
  timeout --kill-after=10 "$limit" "$@" > "$out/logs/$name.log" 2>&1
  rc=$?
  set -e
  case $rc in
    0) status=ok ;;
    124|137) status=timeout ;;
    *) status=failed ;;
  esac
  printf '%s\t%s\t%s\n' "$name" "$status" "$(($(date +%s) - t0))" >> "$out/steps.tsv"
  log "$name: $status (exit $rc, $(($(date +%s) - t0)) s)"
  [ "$status" = ok ] || tail -n 25 "$out/logs/$name.log" | sed 's/^/    /' | tee -a "$out/gpu-check.log"
  return $rc
}

skip_step() {
  printf '%s\tskipped\t0\n' "$1" >> "$out/steps.tsv"
  log "$1: skipped ($2)"
}

# The Python with torch (the machine's PyTorch; VBT_PYTHON overrides), as vbt itself picks it.
torch_python() {
  local py
  for py in ${VBT_PYTHON:-} python3 /usr/bin/python3; do
    "$py" -c 'import torch' >/dev/null 2>&1 && { echo "$py"; return; }
  done
  echo python3
}
py=$(torch_python)

has_phase() { case ",$phases," in *",$1,"*) return 0 ;; *) return 1 ;; esac }

addon_built() { [ -f build/Release/vbt.node ] && [ -f dist/cli/main.js ]; }

# ---- phases -------------------------------------------------------------------

phase_build() {
  run_step environment 120 bash -c '
    echo "node $(node --version), npm $(npm --version)"
    command -v nvidia-smi >/dev/null && nvidia-smi || echo "no nvidia-smi"
    command -v nvcc >/dev/null && nvcc --version | tail -n 2 || echo "no nvcc"
    cmake --version | head -n 1; ${CXX:-c++} --version | head -n 1
    echo "LIBTORCH=${LIBTORCH:-} Torch_DIR=${Torch_DIR:-} CUDACXX=${CUDACXX:-}"
    "$0" -c "import torch; print(\"python\", \"$0\", \"torch\", torch.__version__, \"cuda\", torch.version.cuda, \"cudnn\", torch.backends.cudnn.version(), \"gpu\", torch.cuda.get_device_name(0) if torch.cuda.is_available() else None)" || true
    node scripts/libtorch.mjs' "$py" || true
  node scripts/libtorch.mjs > "$out/libtorch.json" 2>/dev/null || true
  # TorchScript is deprecated upstream since PyTorch 2.5: record what exporting a tiny backbone says.
  rm -f "$work/tiny-export.pt"
  run_step torchscript-export 180 "$py" -W default models/export.py --family data2vec --config tiny --random --out "$work/tiny-export.pt" || true
  if ! run_step build-native 540 npm run build:native; then
    failed_required=1
    return
  fi
  # tsc exits non-zero on type errors but still emits dist/; the CLI needs dist/cli/main.js.
  run_step build-ts 240 npm run build || true
  [ -f dist/cli/main.js ] || { failed_required=1; log "dist/cli/main.js missing: the TypeScript build failed"; return; }
  run_step vbt-info 120 node bin/vbt.js info || failed_required=1
  node bin/vbt.js info --json > "$out/vbt-info.json" 2>/dev/null || true
}

phase_gpu_tests() {
  addon_built || { skip_step gpu-tests "no build: run the build phase first"; failed_required=1; return; }
  run_step gpu-tests 540 npx vitest run test/gpu --reporter=verbose || failed_required=1
}

phase_suite() {
  addon_built || { skip_step test-suite "no build: run the build phase first"; failed_required=1; return; }
  # Each vitest fork runs its own LibTorch: cap its OpenMP threads so that the
  # forks do not oversubscribe the CPU cores (LibTorch 2.x uses all of them by default).
  run_step test-suite 570 env OMP_NUM_THREADS="${VBT_TEST_THREADS:-2}" npx vitest run || failed_required=1
}

phase_demo() {
  addon_built || { skip_step demo "no build: run the build phase first"; failed_required=1; return; }
  local extra=()
  [ "$dry" = 1 ] && extra=(--epochs 1)
  rm -rf "$work/runs/gpu-demo"
  run_step demo 480 node bin/vbt.js train --device "$device" --progress plain --out-dir "$work/runs" --name gpu-demo "${extra[@]}" || failed_required=1
  mkdir -p "$out/demo"
  for f in config.json metrics.jsonl final-metrics.json; do
    [ -f "$work/runs/gpu-demo/$f" ] && cp "$work/runs/gpu-demo/$f" "$out/demo/" || true
  done
}

phase_bench() {
  addon_built || { skip_step bench "no build: run the build phase first"; failed_required=1; return; }
  local args=(--out "$out/gpu-train-step.json")
  [ "$dry" = 1 ] && args+=(--device cpu --config tiny --batch 4 --steps 2 --rounds 1 --warmup 1)
  if run_step bench 540 npx tsx bench/gpu-train-step.ts "${args[@]}"; then
    local name
    name=$(node -e 'const r=require(process.argv[1]);console.log(String(r.device.name).toLowerCase().replace(/[^a-z0-9]+/g,"-").replace(/^-|-$/g,""))' "$out/gpu-train-step.json")
    log "bench: commit \$OUT/gpu-train-step.json as bench/results/gpu-train-step-$name.json"
  else
    failed_required=1
  fi
}

phase_prebuild() {
  [ -f build/Release/vbt.node ] || { skip_step prebuild "no build: run the build phase first"; failed_required=1; return; }
  rm -rf "$work/prebuilds"
  if run_step prebuild 300 node scripts/prebuild.mjs --skip-build --out-dir "$work/prebuilds"; then
    mkdir -p "$out/prebuilds"
    cp -r "$work/prebuilds/." "$out/prebuilds/"
    ls -la "$work"/prebuilds/*/ >> "$out/logs/prebuild.log"
  else
    failed_required=1
  fi
}

# The package as `npm pack` makes it, with the prebuild, installed into an
# empty folder without network (the machine has none): the runtime
# dependencies are copied from this checkout's node_modules first, so npm
# finds them satisfied and fetches nothing. Nothing may compile there.
phase_package() {
  local prebuild
  prebuild=$(ls -d "$work"/prebuilds/*/ 2>/dev/null | head -n 1 || true)
  [ -n "$prebuild" ] && [ -f dist/cli/main.js ] || { skip_step package "no prebuild or dist: run the build and prebuild phases first"; failed_required=1; return; }
  local name staged
  name=$(basename "$prebuild")
  staged="prebuilds/$name"
  rm -rf "$work/pkg" "$work/install" && mkdir -p "$work/pkg" "$work/install/node_modules"
  # Stage the prebuild in the package's prebuilds/ for npm pack, unless a
  # committed one of the same name is there already (then that one is packed).
  local staged_here=0
  if [ ! -e "$staged" ]; then
    mkdir -p prebuilds && cp -r "$prebuild" "$staged" && staged_here=1
  fi
  run_step npm-pack 120 npm pack --pack-destination "$work/pkg" || true
  if [ "$staged_here" = 1 ]; then
    rm -rf "$staged"
    rmdir prebuilds 2>/dev/null || true
  fi
  local tgz
  tgz=$(ls "$work"/pkg/*.tgz 2>/dev/null | head -n 1 || true)
  [ -n "$tgz" ] || { failed_required=1; return; }
  tar -tzf "$tgz" > "$out/npm-pack-files.txt"
  ls -la "$tgz" >> "$out/npm-pack-files.txt"
  # npm ls exits non-zero over any extraneous package; its list is still complete.
  npm ls --omit=dev --parseable --all > "$work/runtime-deps.txt" 2>/dev/null || true
  tail -n +2 "$work/runtime-deps.txt" | while read -r dep; do
    rel=node_modules/${dep#*/node_modules/}
    mkdir -p "$work/install/$(dirname "$rel")"
    cp -r "$dep" "$work/install/$rel"
  done
  echo '{ "name": "vbt-install-check", "version": "1.0.0", "private": true }' > "$work/install/package.json"
  run_step npm-install 180 bash -c "cd '$work/install' && npm install --offline --no-audit --no-fund '$tgz'" || { failed_required=1; return; }
  if [ -d "$work/install/node_modules/vbt/build" ]; then
    log "package: node_modules/vbt/build exists: something compiled during install"
    failed_required=1
  fi
  # Without LD_LIBRARY_PATH (enter.sh sets it): the loader must find LibTorch itself.
  cat > "$work/install/origin.mjs" <<'EOF'
import { readFileSync } from 'node:fs';
import path from 'node:path';
const dist = path.resolve('node_modules/vbt/dist/torch');
const { addonOrigin, native } = await import(path.join(dist, 'native.js'));
const info = native().buildInfo();
const origin = addonOrigin();
const libs = [...new Set(readFileSync('/proc/self/maps', 'utf8').split('\n').map((l) => l.split(/\s+/)[5]).filter((f) => f && /lib(torch|c10)/.test(f)))];
console.log(JSON.stringify({ kind: origin.kind, file: origin.file, libtorch: origin.libtorch?.prefix, torchVersion: info.torchVersion, cudaBuild: info.cudaBuild, devices: info.devices.map((d) => d.name), loadedLibraries: libs }, null, 2));
if (origin.kind !== 'prebuild') process.exit(1);
EOF
  run_step package-origin 120 bash -c "cd '$work/install' && env -u LD_LIBRARY_PATH node origin.mjs" || failed_required=1
  cp "$out/logs/package-origin.log" "$out/package-origin.json" 2>/dev/null || true
  run_step package-info 120 bash -c "cd '$work/install' && env -u LD_LIBRARY_PATH npx vbt info" || failed_required=1
  run_step package-train 420 bash -c "cd '$work/install' && env -u LD_LIBRARY_PATH npx vbt train --device '$device' --epochs 2 --progress plain --out-dir '$work/install/runs' --name packaged" || failed_required=1
  if [ -d "$work/install/node_modules/vbt/build" ]; then
    log "package: node_modules/vbt/build appeared: something compiled"
    failed_required=1
  fi
}

# ---- main ---------------------------------------------------------------------

log "phases: $phases; device: $device; budget ${budget}s; OUT=$out"
if ! has_phase build && ! addon_built; then
  log "no build here (a fresh machine): building first"
  phases="build,$phases"
fi
for phase in build gpu-tests suite demo bench prebuild package; do
  has_phase "$phase" || continue
  "phase_${phase//-/_}"
  if [ "$phase" = build ] && ! addon_built; then
    log "the build failed: later phases need it; stopping"
    break
  fi
done

node -e '
const fs = require("fs");
const [tsv, file, phases, device, failed, seconds] = process.argv.slice(1);
const steps = fs.readFileSync(tsv, "utf8").trim().split("\n").filter(Boolean).map((l) => { const [name, status, s] = l.split("\t"); return { name, status, seconds: Number(s) }; });
fs.writeFileSync(file, JSON.stringify({ phases: phases.split(","), device, ok: failed === "0" && steps.every((s) => s.status === "ok" || s.name === "torchscript-export" || s.name === "build-ts"), steps, seconds: Number(seconds) }, null, 2) + "\n");
' "$out/steps.tsv" "$out/summary.json" "$phases" "$device" "$failed_required" "$(($(date +%s) - started))"
log "summary:"
column -t "$out/steps.tsv" | sed 's/^/    /' | tee -a "$out/gpu-check.log"
[ "$failed_required" = 0 ]
