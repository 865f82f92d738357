// npm install step of lwganet-node (the package's "install" script).
//  1. Use the shipped prebuild when the LibTorch found here is the one it was built against
//     (linked as prebuilds/<platform>-<arch>/libtorch, the prebuild's RPATH) and it loads.
//  2. Otherwise build from source with cmake-js against the LibTorch found (same order as the
//     build: LIBTORCH / Torch_DIR, the torch of python3 on PATH, the system).
//  3. Otherwise fail with one message that says what to install, leaving no partial build.
// LWGANET_BUILD_FROM_SOURCE=1 (or npm's --build-from-source) skips step 1.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { findLibtorch } from './find-libtorch.mjs';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const say = (message) => console.error(`lwganet-node: ${message}`);

const INSTALL_HELP = `Install a LibTorch, then reinstall lwganet-node:
  - a pip torch:       python3 -m pip install torch==<version>   (python3 first on PATH when installing)
  - Debian/Ubuntu:     apt-get install libtorch-dev
  - a LibTorch zip:    unpack it, then LIBTORCH=/path/to/libtorch npm install lwganet-node
Building from source also needs cmake (>= 3.18) and a C++ compiler: C++17, or C++20 for LibTorch 2.10+ (apt-get install cmake g++).`;

// A development checkout builds with `npm run build` (scripts/setup.sh) instead.
if (fs.existsSync(path.join(root, '.git'))) process.exit(0);

/** Loads the addon in a child process, so a failure cannot take this process down. */
function loads() {
  const probe = `require(${JSON.stringify(path.join(root, 'dist', 'binding.js'))}).binding().devices()`;
  const result = spawnSync(process.execPath, ['-e', probe], { encoding: 'utf8' });
  return { ok: result.status === 0, reason: (result.stderr || '').split('\n').find((l) => l.includes('Error')) ?? result.stderr };
}

function tryPrebuild(libtorch) {
  const dir = path.join(root, 'prebuilds', `${process.platform}-${process.arch}`);
  const sidecarFile = path.join(dir, 'lwganet-node.json');
  if (!fs.existsSync(sidecarFile)) return `no prebuild for ${process.platform}-${process.arch}`;
  const sidecar = JSON.parse(fs.readFileSync(sidecarFile, 'utf8'));
  if (!libtorch.libdir) return `the prebuild needs LibTorch ${sidecar.libtorch}, and none was found`;
  if (libtorch.version.split('+')[0] !== sidecar.libtorchBase) {
    return `the prebuild was built against LibTorch ${sidecar.libtorch}, the one found (${libtorch.source}) is ${libtorch.version || 'of unknown version'}`;
  }
  if (sidecar.cuda && !libtorch.cuda) return `the prebuild links LibTorch's CUDA libraries, which ${libtorch.source} lacks (a CPU-only LibTorch)`;
  const link = path.join(dir, 'libtorch');
  fs.rmSync(link, { force: true, recursive: true });
  fs.symlinkSync(libtorch.libdir, link, 'dir');
  const probe = loads();
  if (probe.ok) return null;
  fs.rmSync(link, { force: true });
  return `the prebuild did not load: ${probe.reason.trim()}`;
}

function buildFromSource(libtorch) {
  const env = { ...process.env };
  // Build against exactly the LibTorch found here.
  if (libtorch.libdir && !env.LIBTORCH && !env.Torch_DIR) env.LIBTORCH = path.dirname(libtorch.libdir);
  const cmakeJs = path.join(path.dirname(fileURLToPath(import.meta.resolve('cmake-js/package.json'))), 'bin', 'cmake-js');
  say(`building from source with cmake-js against ${libtorch.source} (LibTorch ${libtorch.version || '?'}); this takes a few minutes`);
  const result = spawnSync(process.execPath, [cmakeJs, 'compile', '--out', 'build'], { cwd: root, env, stdio: ['ignore', 'inherit', 'inherit'] });
  if (result.status === 0 && loads().ok) return true;
  fs.rmSync(path.join(root, 'build'), { recursive: true, force: true }); // no half-built addon left behind
  return false;
}

const forceSource = process.env.LWGANET_BUILD_FROM_SOURCE === '1' || process.env.npm_config_build_from_source === 'true';
const libtorch = findLibtorch();

if (!forceSource) {
  const why = tryPrebuild(libtorch);
  if (why === null) {
    say(`using the prebuilt binary with LibTorch ${libtorch.version} from ${libtorch.source} (${libtorch.libdir})`);
    process.exit(0);
  }
  say(`not using the prebuilt binary: ${why}`);
}

if (!libtorch.libdir) {
  say(`cannot install: no LibTorch found. Looked at:\n  - ${libtorch.tried.join('\n  - ')}\n${INSTALL_HELP}`);
  process.exit(1);
}
if (spawnSync('cmake', ['--version']).status !== 0) {
  say(`cannot build from source: cmake is not installed.\n${INSTALL_HELP}`);
  process.exit(1);
}
if (!buildFromSource(libtorch)) {
  say(`building from source failed (see the compiler output above).\n${INSTALL_HELP}`);
  process.exit(1);
}
say('built from source');
