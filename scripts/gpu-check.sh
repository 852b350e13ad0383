#!/usr/bin/env bash
# The CUDA checks of vbt, for a GPU machine lent for a few minutes (see the
# README's GPU section): every check of one call runs in order, each
# time-boxed, and a check that would not fit in what is left of the call's
# budget is skipped with a note, so the results always come back.
#
#   bash .gpu/enter.sh bash scripts/gpu-check.sh [--call 1|2] [--budget SECONDS] [--cpu-dry-run]
#
# Call 1 (default budget 470 s, for a command limit of 8 minutes):
#   environment   versions of node, nvcc, cmake, torch; what TorchScript export prints
#   build-native  the CUDA build against the machine's LibTorch, all cores
#   build-ts      the TypeScript build (skipped when dist/ was carried along)
#   vbt-info      `vbt info` and its JSON
#   gpu-tests     test/gpu and test/torch (the CPU suite is CI's)
#   demo          `vbt train --device cuda` on the demo
#   bench         bench/gpu-train-step.ts, base model, short (vbt and its Python peers)
#   prebuild      a CUDA prebuild with its manifest (scripts/prebuild.mjs)
#   nccl          a data-parallel run of world size 1 over NCCL
# Call 2 (default budget 170 s; only if call 1 left device time):
#   transformers  models/tests/parity_transformers.py (tiny) and
#                 parity_time_masking.py against the machine's transformers (CPU)
#   package       the packed package installed into an empty folder, training on
#                 the GPU without compiling (needs call 1's prebuild, kept in
#                 $VBT_CHECK_WORK on the same warm machine)
#   jit-optimize  the demo's fine-tuning stage with train.jitOptimize off, then on
#
# --cpu-dry-run runs every check on the CPU with tiny settings (the GPU tests
# then skip, NCCL is skipped): a rehearsal on a machine without a GPU.
#
# Results: $OUT (default /tmp/vbt-gpu-check) receives exactly two files per
# call: summary-<call>.json (each check's status and seconds, the figures
# that matter) and gpu-check-<call>.tar.gz (every log, vbt-info.json,
# gpu-train-step.json, the prebuild and its manifest, the demo's metrics).
# Scratch (runs, the packed tarball, the install folder) stays in
# $VBT_CHECK_WORK (default /tmp/vbt-gpu-check-work).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

call=1
budget=
dry=0
while [ $# -gt 0 ]; do
  case "$1" in
    --call) call=$2; shift 2 ;;
    --call=*) call=${1#*=}; shift ;;
    --budget) budget=$2; shift 2 ;;
    --budget=*) budget=${1#*=}; shift ;;
    --cpu-dry-run) dry=1; shift ;;
    -h|--help) sed -n '2,35p' "${BASH_SOURCE[0]}"; exit 0 ;;
    *) echo "gpu-check: unknown argument $1" >&2; exit 2 ;;
  esac
done
case "$call" in 1) budget=${budget:-470} ;; 2) budget=${budget:-170} ;; *) echo "gpu-check: --call must be 1 or 2" >&2; exit 2 ;; esac

out=${OUT:-/tmp/vbt-gpu-check}
work=${VBT_CHECK_WORK:-/tmp/vbt-gpu-check-work}
logs="$work/results-$call"
rm -rf "$logs"
mkdir -p "$out" "$logs/logs" "$work"
started=$(date +%s)
deadline=$((started + budget))
device=cuda
[ "$dry" = 1 ] && device=cpu
: > "$logs/steps.tsv"

log() { echo "[gpu-check $(date +%H:%M:%S)] $*" | tee -a "$logs/gpu-check.log"; }

# run_step NAME LIMIT COMMAND...: run with a time limit (cut to what is left
# of the budget), log to logs/NAME.log, record the outcome. Never stops the
# script; returns the command's status (125: skipped for lack of time).
run_step() {
  local name=$1 limit=$2
  shift 2
  local left t0 rc status
  left=$((deadline - $(date +%s)))
  if [ "$left" -lt 20 ]; then
    log "$name: skipped: ${left}s left of the ${budget}s budget"
    printf '%s\tskipped-time\t0\n' "$name" >> "$logs/steps.tsv"
    return 125
  fi
  [ "$limit" -gt "$left" ] && limit=$left
  log "$name: start (limit ${limit}s)"
  t0=$(date +%s)
  set +e
  timeout --kill-after=5 "$limit" "$@" > "$logs/logs/$name.log" 2>&1
  rc=$?
  set -e
  case $rc in
    0) status=ok ;;
    124|137) status=timeout ;;
    *) status=failed ;;
  esac
  printf '%s\t%s\t%s\n' "$name" "$status" "$(($(date +%s) - t0))" >> "$logs/steps.tsv"
  log "$name: $status (exit $rc, $(($(date +%s) - t0)) s)"
  [ "$status" = ok ] || tail -n 15 "$logs/logs/$name.log" | sed 's/^/    /' | tee -a "$logs/gpu-check.log"
  return $rc
}

skip_step() {
  printf '%s\tskipped\t0\n' "$1" >> "$logs/steps.tsv"
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
built() { [ -f build/Release/vbt.node ] && [ -f dist/cli/main.js ]; }
vbt() { node bin/vbt.js "$@"; }

# ---- call 1 ------------------------------------------------------------------

call_1() {
  run_step environment 60 bash -c '
    echo "node $(node --version), npm $(npm --version), $(nproc) cores"
    command -v nvidia-smi >/dev/null && nvidia-smi || echo "no nvidia-smi"
    command -v nvcc >/dev/null && nvcc --version | tail -n 2 || echo "no nvcc"
    cmake --version | head -n 1; ${CXX:-c++} --version | head -n 1
    echo "LIBTORCH=${LIBTORCH:-} Torch_DIR=${Torch_DIR:-} CUDACXX=${CUDACXX:-}"
    "$0" -c "import torch; print(\"python\", \"$0\", \"torch\", torch.__version__, \"cuda\", torch.version.cuda, \"cudnn\", torch.backends.cudnn.version(), \"gpu\", torch.cuda.get_device_name(0) if torch.cuda.is_available() else None)" || true
    node scripts/libtorch.mjs
    # TorchScript is deprecated upstream since PyTorch 2.5: record what exporting a tiny backbone prints.
    "$0" -W default models/export.py --family data2vec --config tiny --random --overwrite --out /tmp/vbt-gpu-check-tiny.pt' "$py" || true

  # The CUDA build is the one check everything else needs.
  run_step build-native 300 npm run build:native || { log "the native build failed: nothing else can run"; return; }
  if [ -f dist/cli/main.js ]; then
    skip_step build-ts "dist/ was carried along"
  else
    # tsc exits non-zero on type errors but still emits dist/, which the checks need.
    run_step build-ts 120 npm run build || true
  fi
  built || { log "dist/cli/main.js is missing: the TypeScript build failed"; return; }

  run_step vbt-info 60 node bin/vbt.js info || true
  vbt info --json > "$logs/vbt-info.json" 2>/dev/null || true

  # Each vitest fork runs its own LibTorch: a few threads each, so that forks do not oversubscribe the cores.
  run_step gpu-tests 150 env OMP_NUM_THREADS=2 npx vitest run test/gpu test/torch --reporter=verbose || true

  local epochs=()
  [ "$dry" = 1 ] && epochs=(--epochs 1)
  rm -rf "$work/runs/gpu-demo"
  run_step demo 120 node bin/vbt.js train --device "$device" --progress plain --out-dir "$work/runs" --name gpu-demo "${epochs[@]}" || true
  mkdir -p "$logs/demo"
  for f in config.json metrics.jsonl final-metrics.json; do
    [ -f "$work/runs/gpu-demo/$f" ] && cp "$work/runs/gpu-demo/$f" "$logs/demo/" || true
  done

  local bench=(--out "$logs/gpu-train-step.json" --steps 6 --rounds 2 --warmup 3)
  [ "$dry" = 1 ] && bench=(--out "$logs/gpu-train-step.json" --device cpu --config tiny --batch 4 --steps 2 --rounds 1 --warmup 1)
  run_step bench 150 npx tsx bench/gpu-train-step.ts "${bench[@]}" || true

  rm -rf "$work/prebuilds"
  if run_step prebuild 60 node scripts/prebuild.mjs --skip-build --out-dir "$work/prebuilds"; then
    mkdir -p "$logs/prebuilds" && cp -r "$work/prebuilds/." "$logs/prebuilds/"
  fi

  if [ "$dry" = 1 ]; then
    skip_step nccl "no GPU in a dry run"
  else
    rm -rf "$work/runs/nccl"
    run_step nccl 90 node bin/vbt.js train --nproc 1 --dist-backend nccl --device cuda --epochs 1 --progress plain --out-dir "$work/runs" --name nccl || true
  fi
}

# ---- call 2 ------------------------------------------------------------------

# The package as `npm pack` makes it, with call 1's prebuild, installed into an
# empty folder without network (the machine has none): the runtime
# dependencies are copied from this checkout's node_modules first, so npm
# finds them satisfied and fetches nothing. Nothing may compile there.
check_package() {
  local prebuild name staged staged_here=0 tgz
  prebuild=$(ls -d "$work"/prebuilds/*/ 2>/dev/null | head -n 1 || true)
  [ -n "$prebuild" ] && built || { skip_step package "no prebuild from call 1 on this machine"; return; }
  name=$(basename "$prebuild")
  staged="prebuilds/$name"
  rm -rf "$work/pkg" "$work/install" && mkdir -p "$work/pkg" "$work/install/node_modules"
  if [ ! -e "$staged" ]; then
    mkdir -p prebuilds && cp -r "$prebuild" "$staged" && staged_here=1
  fi
  run_step npm-pack 40 npm pack --pack-destination "$work/pkg" || true
  if [ "$staged_here" = 1 ]; then
    rm -rf "$staged"
    rmdir prebuilds 2>/dev/null || true
  fi
  tgz=$(ls "$work"/pkg/*.tgz 2>/dev/null | head -n 1 || true)
  [ -n "$tgz" ] || return
  tar -tzf "$tgz" > "$logs/npm-pack-files.txt"
  npm ls --omit=dev --parseable --all > "$work/runtime-deps.txt" 2>/dev/null || true
  tail -n +2 "$work/runtime-deps.txt" | while read -r dep; do
    rel=node_modules/${dep#*/node_modules/}
    mkdir -p "$work/install/$(dirname "$rel")"
    cp -r "$dep" "$work/install/$rel"
  done
  echo '{ "name": "vbt-install-check", "version": "1.0.0", "private": true }' > "$work/install/package.json"
  run_step npm-install 40 bash -c "cd '$work/install' && npm install --offline --no-audit --no-fund '$tgz'" || return
  [ -d "$work/install/node_modules/vbt/build" ] && log "package: node_modules/vbt/build exists: something compiled during install"
  # Without LD_LIBRARY_PATH (enter.sh sets it): the loader must find LibTorch itself.
  local short=''
  [ "$dry" = 1 ] && short='--set train.stages.0.maxSteps=3 --set train.stages.1.maxSteps=3'
  run_step package-train 70 bash -c "cd '$work/install' && env -u LD_LIBRARY_PATH npx vbt info && env -u LD_LIBRARY_PATH npx vbt train --device '$device' --epochs 1 $short --progress plain --out-dir '$work/install/runs' --name packaged" || true
  [ -d "$work/install/node_modules/vbt/build" ] && log "package: node_modules/vbt/build appeared: something compiled" || true
}

# The fine-tuning stage alone, with the graph executor's shape specialisation off (the default) and on.
check_jit_optimize() {
  built || { skip_step jit-optimize "no build"; return; }
  local stage='train.stages=[{"name":"finetune","freeze":"none","lr":0.003,"epochs":2,"patience":4}]' setting
  # A dry run on the CPU only checks that the comparison runs.
  [ "$dry" = 1 ] && stage='train.stages=[{"name":"finetune","freeze":"none","lr":0.003,"epochs":1,"maxSteps":4,"patience":4}]'
  for setting in false true; do
    rm -rf "$work/runs/jit-$setting"
    run_step "jit-optimize-$setting" 40 node bin/vbt.js train --device "$device" --progress plain --out-dir "$work/runs" --name "jit-$setting" \
      --set "$stage" --set "train.jitOptimize=$setting" || true
  done
}

# Ours against transformers, on the CPU, where the machine's Python has it
# (a GPU machine's PyTorch often comes with it; the test suite skips these
# without it): the backbones' frames, and time masking (the same spans
# replaced by the same learned vector; masks drawn alike).
check_transformers() {
  local script
  for script in parity_transformers parity_time_masking; do
    if "$py" -c 'import transformers' >/dev/null 2>&1; then
      run_step "$script" 60 bash -c "cd models/tests && '$py' $script.py $([ "$script" = parity_transformers ] && echo --configs tiny)" || true
    else
      skip_step "$script" "transformers is not installed for $py"
    fi
  done
}

# ---- main ---------------------------------------------------------------------

log "call $call; device $device; budget ${budget}s; OUT=$out"
if [ "$call" = 1 ]; then
  call_1
else
  check_transformers
  check_package
  check_jit_optimize
fi

# summary-<call>.json: every check, and the figures worth reading without unpacking the archive.
node - "$logs" "$out/summary-$call.json" "$call" "$device" "$(($(date +%s) - started))" <<'EOF'
const fs = require('fs');
const path = require('path');
const [dir, file, call, device, seconds] = process.argv.slice(2);
const steps = fs.readFileSync(path.join(dir, 'steps.tsv'), 'utf8').trim().split('\n').filter(Boolean)
  .map((l) => { const [name, status, s] = l.split('\t'); return { name, status, seconds: Number(s) }; });
const read = (f) => { try { return JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')); } catch { return null; } };
const log = (name) => { try { return fs.readFileSync(path.join(dir, 'logs', `${name}.log`), 'utf8'); } catch { return ''; } };
const bench = read('gpu-train-step.json');
const tests = /Tests\s+(.*)/.exec(log('gpu-tests'))?.[1]?.replace(/\u001b\[[0-9;]*m/g, '').trim() ?? null;
const done = (name) => /done after .* in ([\d.]+ min)/.exec(log(name))?.[1] ?? null;
const lastJson = (name) => { try { return JSON.parse(log(name).trim().split('\n').pop()); } catch { return null; } };
const parity = (name) => { const r = lastJson(name); return r && { ok: r.ok, transformers: r.transformers ?? null, cases: (r.cases ?? []).map((c) => ({ family: c.family, variant: c.variant, passed: c.passed, max_abs_diff: c.max_abs_diff, error: c.error })) }; };
const summary = {
  call: Number(call),
  device,
  ok: steps.every((s) => s.status === 'ok' || s.status === 'skipped' || s.name === 'environment'),
  seconds: Number(seconds),
  steps,
  vbtInfo: read('vbt-info.json'),
  gpuTests: tests,
  demo: { time: done('demo'), final: read('demo/final-metrics.json')?.metrics?.tasks ?? null },
  bench: bench && { device: bench.device, vbt: bench.vbt, python: bench.python, ratios: bench.ratios ?? bench.ratio ?? null, mfu: bench.vbt?.mfu ?? null },
  jitOptimize: { off: done('jit-optimize-false'), on: done('jit-optimize-true') },
  transformers: { backbones: parity('parity_transformers'), timeMasking: parity('parity_time_masking') },
};
fs.writeFileSync(file, `${JSON.stringify(summary, null, 2)}\n`);
EOF
tar -C "$logs" -czf "$out/gpu-check-$call.tar.gz" .
log "results: $out/summary-$call.json and $out/gpu-check-$call.tar.gz"
column -t "$logs/steps.tsv" | sed 's/^/    /'
