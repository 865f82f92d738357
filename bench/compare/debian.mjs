// The optional "debian-ceiling" runtime of bench/compare.mjs: bench/native-ceiling.cc built
// against Debian's LibTorch (package libtorch-dev) instead of the pip torch in .venv, loading a
// TorchScript export made with Debian's own torch (python3-torch), since a TorchScript file must
// not be newer than the LibTorch that loads it. Same seed, so the same weights as the other columns.
// Neither package is part of scripts/setup.sh or CI: the column appears only where they are installed.
//
//   node bench/compare/debian.mjs    builds build/debian-ceiling/lwganet-native-ceiling and prints its path
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { exportPaths, modelArgs } from './exports.mjs';

export const DEBIAN_INSTALL = 'apt-get install -y --no-install-recommends libtorch-dev python3-torch';

const TRIPLETS = { x64: 'x86_64-linux-gnu', arm64: 'aarch64-linux-gnu' };
const libDir = `/usr/lib/${TRIPLETS[process.arch] ?? `${process.arch}-linux-gnu`}`;
const torchConfig = join(libDir, 'cmake', 'Torch', 'TorchConfig.cmake'); // marks libtorch-dev
const versionHeader = '/usr/include/torch/csrc/api/include/torch/version.h';
const python = '/usr/bin/python3';
const pythonTorch = '/usr/lib/python3/dist-packages/torch/__init__.py'; // marks python3-torch

/** The sources of the CMake target lwganet_native_ceiling (bench/native-ceiling.cc and what it links), relative to root. */
function ceilingSources(root) {
  const cmake = readFileSync(join(root, 'CMakeLists.txt'), 'utf8');
  const target = cmake.match(/add_executable\(\s*lwganet_native_ceiling\s+([^)]*)\)/);
  if (!target) throw new Error('no add_executable(lwganet_native_ceiling ...) in CMakeLists.txt to take the ceiling\'s sources from');
  return target[1].split(/\s+/).filter(Boolean).map((s) => s.replace(/^"|"$/g, '').replace('${CMAKE_CURRENT_SOURCE_DIR}/', ''));
}

/** What of the Debian LibTorch is missing (empty when the column can run). */
export function debianMissing() {
  const missing = [];
  if (!existsSync(torchConfig) || !existsSync(versionHeader)) missing.push('libtorch-dev');
  if (!existsSync(python) || !existsSync(pythonTorch)) missing.push('python3-torch');
  return missing;
}

/** "1.13.0" from the installed headers (no process started). */
export function debianLibtorchVersion() {
  const header = readFileSync(versionHeader, 'utf8');
  const part = (name) => header.match(new RegExp(`#define TORCH_VERSION_${name} (\\d+)`))?.[1];
  const [major, minor, patch] = ['MAJOR', 'MINOR', 'PATCH'].map(part);
  if (!major || !minor) throw new Error(`no TORCH_VERSION_MAJOR/MINOR in ${versionHeader}`);
  return `${major}.${minor}.${patch ?? 0}`;
}

/** build/debian-ceiling/lwganet-native-ceiling, compiled when missing or older than its sources, native/*.h or these flags. */
export function ensureDebianCeiling(root, log) {
  const binary = join(root, 'build', 'debian-ceiling', 'lwganet-native-ceiling');
  const sources = ceilingSources(root).map((s) => join(root, s));
  const headers = readdirSync(join(root, 'native')).filter((n) => n.endsWith('.h')).map((n) => join(root, 'native', n));
  const newest = Math.max(...[...sources, ...headers, fileURLToPath(import.meta.url)].map((f) => statSync(f).mtimeMs));
  if (existsSync(binary) && statSync(binary).mtimeMs >= newest) return binary;
  mkdirSync(dirname(binary), { recursive: true });
  const partial = `${binary}.partial`;
  const compiler = process.env.CXX || 'g++';
  // What TorchConfig.cmake hands its users: the C++ API include dir, the new libstdc++ ABI, and
  // torch / torch_cpu / c10 (no CUDA in Debian's build); -O3 -DNDEBUG like the CMake Release build.
  // No rpath: the libraries are in the default search path.
  const args = ['-std=c++17', '-O3', '-DNDEBUG', '-D_GLIBCXX_USE_CXX11_ABI=1', '-I/usr/include/torch/csrc/api/include',
    ...sources, '-o', partial, `-L${libDir}`, '-ltorch', '-ltorch_cpu', '-lc10'];
  log(`building the Debian LibTorch ${debianLibtorchVersion()} ceiling → ${binary}`);
  const run = spawnSync(compiler, args, { encoding: 'utf8' });
  if (run.status !== 0) {
    rmSync(partial, { force: true });
    // First line: the first compiler error (what is wrong); then the command and the start of the
    // output (the template spew after the first errors says nothing more).
    const stderr = (run.stderr || '').trim();
    const first = stderr.split('\n').find((l) => /error/.test(l)) ?? run.error?.message ?? `exit ${run.status ?? run.signal}`;
    throw new Error(`building the Debian LibTorch ceiling failed: ${first}\n${compiler} ${args.join(' ')}\n${stderr.slice(0, 3000)}`);
  }
  renameSync(partial, binary);
  return binary;
}

/** The frozen TorchScript file of `c` exported with Debian's torch: the venv export's name plus `-torch<major.minor>`. */
export function ensureDebianExport(root, dir, c, seed, log) {
  const [major, minor] = debianLibtorchVersion().split('.');
  const file = exportPaths(root, dir, c, seed).torchscript.replace(/\.pt$/, `-torch${major}.${minor}.pt`);
  if (existsSync(file)) return file;
  mkdirSync(dir, { recursive: true });
  const partial = `${file}.partial`;
  const args = ['-m', 'lwganet', 'export', c.model, ...modelArgs(c), '--seed', `${seed}`, '--freeze', '--out', partial];
  log(`exporting ${c.model}${c.features ? ' (features)' : ''} with Debian's torch → ${file}`);
  // No user site-packages and no inherited PYTHONPATH: only Debian's torch may be imported here.
  const env = { ...process.env, PYTHONNOUSERSITE: '1' };
  delete env.PYTHONPATH;
  const run = spawnSync(python, args, { cwd: join(root, 'python'), encoding: 'utf8', env });
  if (run.status !== 0) {
    rmSync(partial, { force: true });
    const stderr = (run.stderr || '').trim();
    // First line: the exception (a traceback's last line); then the command and the whole output.
    throw new Error(`exporting ${c.model} with Debian's torch failed: ${stderr.split('\n').at(-1) || `exit ${run.status ?? run.signal}`}\n` +
      `${python} ${args.join(' ')}\n${stderr}`);
  }
  renameSync(partial, file);
  return file;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const missing = debianMissing();
  if (missing.length) {
    console.error(`bench/compare/debian: ${missing.join(' and ')} not installed: ${DEBIAN_INSTALL}`);
    process.exit(1);
  }
  try {
    console.log(ensureDebianCeiling(resolve(dirname(fileURLToPath(import.meta.url)), '..', '..'), console.error));
  } catch (err) {
    console.error(`bench/compare/debian: ${err.message}`);
    process.exit(1);
  }
}
