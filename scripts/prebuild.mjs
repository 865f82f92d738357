// Makes prebuilds/<platform>-<arch>/lwganet-node.node with prebuildify (driving cmake-js through
// scripts/cmake-js-shim.mjs) and writes the sidecar lwganet-node.json that records which LibTorch
// it was built against, and copies the LibTorch-free preloader (lwganet-preload.node) beside it.
// Run by `npm run build:prebuild` and before `npm pack` (after build:ts: it uses dist/).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
const staging = path.join(root, 'build', 'prebuild-stage');
fs.rmSync(staging, { recursive: true, force: true });
fs.mkdirSync(staging, { recursive: true });
fs.writeFileSync(path.join(staging, 'package.json'), JSON.stringify({ name: pkg.name, version: pkg.version }));

const { findLibtorch } = createRequire(import.meta.url)(path.join(root, 'dist', 'libtorch', 'locate.js'));
const { found: libtorch, tried } = findLibtorch();
if (!libtorch) {
  console.error(`prebuild: no LibTorch found\n  ${tried.join('\n  ')}`);
  process.exit(1);
}

const prebuildify = path.join(root, 'node_modules', 'prebuildify', 'bin.js');
const result = spawnSync(
  process.execPath,
  [prebuildify, '--napi', '--strip', '--cwd', staging, '--out', root, '--node-gyp', path.join(root, 'scripts', 'cmake-js-shim.mjs')],
  // prebuildify puts node's own directory first on PATH, where another python3 may hide ours:
  // hand the LibTorch found here to the build explicitly.
  { stdio: 'inherit', cwd: root, env: { ...process.env, LIBTORCH: path.dirname(libtorch.libdir) } },
);
if (result.status !== 0) process.exit(result.status ?? 1);

const dir = path.join(root, 'prebuilds', `${process.platform}-${process.arch}`);
// Built by the same cmake-js run; it links only libc, so it is stripped and shipped as is.
fs.copyFileSync(path.join(root, 'build', 'Release', 'lwganet_preload.node'), path.join(dir, 'lwganet-preload.node'));
spawnSync('strip', ['--strip-unneeded', path.join(dir, 'lwganet-preload.node')]);
fs.rmSync(path.join(dir, 'libtorch'), { force: true, recursive: true }); // the link older install scripts made
const sidecar = {
  file: `${pkg.name}.node`,
  libtorch: libtorch.version,
  libtorchBase: libtorch.version.split('+')[0],
  linked: 'libtorch_cpu.so and libc10.so only: CUDA is used when the LibTorch found at load has libtorch_cuda.so',
  builtFrom: libtorch.source,
  napi: pkg.binary.napi_versions[0],
  platform: process.platform,
  arch: process.arch,
  libc: 'glibc',
  rpath: 'none: lib/native/binding.ts preloads the LibTorch it finds (same release) with lwganet-preload.node',
};
fs.writeFileSync(path.join(dir, `${pkg.name}.json`), `${JSON.stringify(sidecar, null, 2)}\n`);
console.log(`prebuild: ${path.relative(root, path.join(dir, sidecar.file))} for LibTorch ${sidecar.libtorch}, CPU or CUDA at run time`);
