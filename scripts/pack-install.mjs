#!/usr/bin/env node
// Pack vbt as `npm pack` makes it and install the tarball into an empty
// project, the way a user does, to check what installing costs and that a
// prebuild spares the compiler:
//
//   node scripts/pack-install.mjs --work DIR [--prebuild] [--keep]
//
// --prebuild  ship this checkout's local build (build/Release/vbt.node) as
//             the prebuild for the LibTorch found here (scripts/prebuild.mjs);
//             without it the package has no prebuild and installing compiles.
// The package is packed from a staged copy of the files package.json lists
// (dist/ must be built), so the checkout itself is never changed. Runtime
// dependencies are copied from this checkout's node_modules into the empty
// project first, so npm installs offline and fetches nothing.
// Prints one JSON object: the tarball, its size, seconds to pack and to
// install, whether anything compiled, and which prebuild the install chose.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({ options: { work: { type: 'string' }, prebuild: { type: 'boolean', default: false }, keep: { type: 'boolean', default: false } } });
if (!values.work) {
  console.error('usage: node scripts/pack-install.mjs --work DIR [--prebuild]');
  process.exit(2);
}
const work = path.resolve(values.work);
const stage = path.join(work, 'stage');
const project = path.join(work, 'project');

function run(command, args, cwd, extraEnv = {}) {
  const t0 = performance.now();
  const r = spawnSync(command, args, { cwd, encoding: 'utf8', env: { ...process.env, ...extraEnv } });
  const seconds = (performance.now() - t0) / 1000;
  if (r.status !== 0) {
    console.error(`pack-install: ${command} ${args.join(' ')} failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
    process.exit(1);
  }
  return { stdout: r.stdout, stderr: r.stderr, seconds };
}

if (!existsSync(path.join(root, 'dist', 'cli', 'main.js'))) {
  console.error('pack-install: dist/ is missing: run `npm run build` first');
  process.exit(1);
}
rmSync(work, { recursive: true, force: true });
mkdirSync(stage, { recursive: true });

// The staged package: what package.json's "files" names, plus what npm always includes.
const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
for (const entry of [...pkg.files, 'package.json', 'README.md']) {
  if (entry.includes('*')) {
    const dir = path.dirname(entry);
    const suffix = path.basename(entry).replace('*', '');
    mkdirSync(path.join(stage, dir), { recursive: true });
    for (const f of readdirSync(path.join(root, dir))) if (f.endsWith(suffix)) cpSync(path.join(root, dir, f), path.join(stage, dir, f));
  } else if (existsSync(path.join(root, entry)) && entry !== 'prebuilds') {
    cpSync(path.join(root, entry), path.join(stage, entry), { recursive: true, filter: (src) => !src.includes('__pycache__') });
  }
}
if (values.prebuild) run(process.execPath, [path.join(root, 'scripts', 'prebuild.mjs'), '--skip-build', '--out-dir', path.join(stage, 'prebuilds')], root);

// dist/ is there already: pack without the prepack build.
const packed = run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work], stage);
const info = JSON.parse(packed.stdout)[0];
const tarball = path.join(work, info.filename);

// An empty project with vbt's runtime dependencies in place.
mkdirSync(path.join(project, 'node_modules'), { recursive: true });
writeFileSync(path.join(project, 'package.json'), `${JSON.stringify({ name: 'vbt-consumer', version: '1.0.0', private: true, type: 'module' }, null, 2)}\n`);
const deps = spawnSync('npm', ['ls', '--omit=dev', '--parseable', '--all'], { cwd: root, encoding: 'utf8' }).stdout.trim().split('\n').slice(1);
for (const dep of deps) {
  const rel = dep.slice(dep.lastIndexOf(`${path.sep}node_modules${path.sep}`) + 1);
  cpSync(dep, path.join(project, rel.startsWith('node_modules') ? rel : path.join('node_modules', rel)), { recursive: true });
}
const installed = run('npm', ['install', '--offline', '--no-audit', '--no-fund', '--foreground-scripts', tarball], project);
const vbtDir = path.join(project, 'node_modules', 'vbt');
const compiled = existsSync(path.join(vbtDir, 'build'));
const chose = /using the prebuilt addon (\S+)/.exec(installed.stdout + installed.stderr)?.[1] ?? null;

process.stdout.write(
  `${JSON.stringify({
    tarball,
    tarballBytes: statSync(tarball).size,
    files: info.files.length,
    prebuild: values.prebuild,
    packSeconds: Number(packed.seconds.toFixed(2)),
    installSeconds: Number(installed.seconds.toFixed(2)),
    compiled,
    prebuildChosen: chose,
    project,
  })}\n`,
);
if (!values.keep) rmSync(stage, { recursive: true, force: true });
