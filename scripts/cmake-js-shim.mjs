#!/usr/bin/env node
// Stands in for node-gyp when prebuildify runs (`--node-gyp`): prebuildify has no cmake-js
// backend. It builds the addon with cmake-js in the package root, then installs it into
// <cwd>/build/Release, where prebuildify picks it up. The install step drops the build's RPATH:
// a prebuild gets its LibTorch preloaded by lib/native/binding.ts.
// prebuildify's node-gyp arguments (--target, --devdir, ...) are ignored: the addon uses N-API.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const staging = process.cwd();

function run(command, args) {
  const result = spawnSync(command, args, { stdio: 'inherit', cwd: root });
  if (result.status !== 0) process.exit(result.status ?? 1);
}

run(process.execPath, [path.join(root, 'node_modules', 'cmake-js', 'bin', 'cmake-js'), 'compile', '--out', 'build', '-d', root]);
run('cmake', ['--install', path.join(root, 'build'), '--prefix', path.join(staging, 'build'), '--component', 'prebuild']);
