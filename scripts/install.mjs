// npm install step of lwganet-node (the package's "install" script). Optional: npm 11 runs it only
// when the user allows it, and the package works without it (lib/native/binding.ts finds LibTorch at
// load; `npx lwganet setup` provisions one and builds the addon when needed). When it runs:
//  1. the shipped prebuild loads with a LibTorch found here → record that LibTorch
//     (prebuilds/<platform>-<arch>/libtorch.json) so later loads try it first;
//  2. else, with a LibTorch and cmake, build from source against it;
//  3. else point at `npx lwganet setup` and leave the install successful.
// LWGANET_BUILD_FROM_SOURCE=1 (or npm's --build-from-source) skips step 1 and fails the install
// when the build cannot be done.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const say = (message) => console.error(`lwganet-node: ${message}`);

// A development checkout builds with its own scripts instead.
if (fs.existsSync(path.join(root, '.git'))) process.exit(0);

const { findLibtorch } = require(path.join(root, 'dist', 'libtorch', 'locate.js'));
const { addonBuilds, chooseLibtorch } = require(path.join(root, 'dist', 'native', 'binding.js'));
const SETUP_HINT = 'run `npx lwganet setup`: it installs the LibTorch this package needs (a Python venv with torch, in ~/.cache/lwganet-node) and builds the addon if the prebuild does not fit';

/** Loads the addon in a child process, so a failure cannot take this process down. */
function loads() {
  const probe = `require(${JSON.stringify(path.join(root, 'dist', 'native', 'binding.js'))}).binding().devices()`;
  const result = spawnSync(process.execPath, ['-e', probe], { encoding: 'utf8' });
  return { ok: result.status === 0, reason: (result.stderr || '').split('\n').find((l) => l.includes('Error')) ?? result.stderr };
}

function tryPrebuild() {
  const prebuild = addonBuilds(root).find((b) => b.file.includes(`${path.sep}prebuilds${path.sep}`));
  if (!prebuild) return { why: `no prebuild for ${process.platform}-${process.arch}` };
  const { chosen, seen } = chooseLibtorch(prebuild);
  if (!chosen) return { why: `the prebuild needs LibTorch ${prebuild.libtorch}; found:\n  - ${seen.join('\n  - ')}` };
  const record = path.join(path.dirname(prebuild.file), 'libtorch.json');
  fs.writeFileSync(record, `${JSON.stringify({ libdir: chosen.libdir, version: chosen.version, source: chosen.source }, null, 2)}\n`);
  const probe = loads();
  if (probe.ok) return { chosen };
  fs.rmSync(record, { force: true });
  return { why: `the prebuild did not load: ${probe.reason.trim()}` };
}

function buildFromSource(libtorch) {
  const env = { ...process.env };
  // Build against exactly the LibTorch found here.
  if (!env.LIBTORCH && !env.Torch_DIR) env.LIBTORCH = path.dirname(libtorch.libdir);
  const cmakeJs = path.join(path.dirname(require.resolve('cmake-js/package.json')), 'bin', 'cmake-js');
  say(`building from source with cmake-js against ${libtorch.source} (LibTorch ${libtorch.version || '?'}); this takes a few minutes`);
  const result = spawnSync(process.execPath, [cmakeJs, 'compile', '--out', 'build'], { cwd: root, env, stdio: ['ignore', 'inherit', 'inherit'] });
  if (result.status === 0 && loads().ok) return true;
  fs.rmSync(path.join(root, 'build'), { recursive: true, force: true }); // no half-built addon left behind
  return false;
}

const forceSource = process.env.LWGANET_BUILD_FROM_SOURCE === '1' || process.env.npm_config_build_from_source === 'true';
/** Ends the install: a forced source build that cannot happen fails it; otherwise setup can finish the job later. */
const stop = (message) => {
  say(message);
  process.exit(forceSource ? 1 : 0);
};

if (!forceSource) {
  const prebuild = tryPrebuild();
  if (prebuild.chosen) {
    say(`using the prebuilt binary with LibTorch ${prebuild.chosen.version} from ${prebuild.chosen.source} (${prebuild.chosen.libdir})`);
    process.exit(0);
  }
  say(`not using the prebuilt binary: ${prebuild.why}`);
}

const { found, tried } = findLibtorch();
if (!found) stop(`no LibTorch found yet (looked at: ${tried.join('; ')}).\nTo finish the installation, ${SETUP_HINT}.`);
if (spawnSync('cmake', ['--version']).status !== 0) {
  stop(`cannot build from source against ${found.source}: cmake is not installed (apt-get install cmake g++, or brew install cmake).\nOr ${SETUP_HINT}.`);
}
if (!buildFromSource(found)) stop(`building from source failed (see the compiler output above).\nOr ${SETUP_HINT}.`);
say('built from source');
