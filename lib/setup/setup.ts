/**
 * setup() / `lwganet setup`: provisions what the package needs in the user's cache, not in
 * node_modules: a Python venv with the pinned torch (the exporter's torch and the LibTorch the
 * addon loads, in one step), then makes sure the addon loads with it, building it from source
 * when no prebuild fits, and that gdal-async (GDAL) loads, installing its binding when npm did
 * not run its install script. Idempotent: a second run checks and returns.
 * The pip index: PyTorch's CPU (or --cuda flavour) index, unless the user's pip configuration
 * (pip.conf or PIP_INDEX_URL) names one, which then wins; so do its other settings (find-links,
 * no-index, proxies, trusted hosts).
 */

import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { LwganetError } from '../errors.js';
import { libtorchVersionAt, sameRelease } from '../libtorch/locate.js';
import { PACKAGE_ROOT } from '../package-root.js';
import { findSetupPython } from './find-python.js';
import { ensureGdalBinding, type GdalBindingResult } from './gdal-binding.js';
import { managedVenv, venvPython, venvTorchDir } from './paths.js';
import { DEFAULT_CUDA, EXPORTER_PACKAGES, expectedVenvBytes, indexFor, TORCH_VERSION, type TorchFlavour } from './torch-pin.js';

export interface SetupOptions {
  /** Install a CUDA torch: true for the default flavour (cu132), or a flavour such as 'cu130'. */
  cuda?: boolean | string;
  /** Python to create the venv with (default: python3, python3.13 … 3.10 on PATH). */
  python?: string;
  /** Recreate the venv even when it is complete. */
  force?: boolean;
  /** Environment (PATH, HOME, XDG_CACHE_HOME, LWGANET_CACHE, pip settings). Default process.env. */
  env?: NodeJS.ProcessEnv;
  /** Progress lines. Default: written to stderr. */
  log?: (line: string) => void;
  /** Where pip's and the compiler's output go. Default 'inherit' (the terminal). */
  stdio?: 'inherit' | 'ignore';
}

export interface SetupResult {
  venv: string;
  python: string;
  torch: string;
  flavour: TorchFlavour;
  /** The LibTorch directory the addon loads. */
  libtorch: string;
  /** 'prebuild' | 'build' (the addon that loads) and whether setup compiled it now. */
  addon: { file: string; builtNow: boolean };
  /** The GDAL binding (gdal-async) georeferenced rasters are read and written with. */
  gdal: GdalBindingResult;
  /** True when nothing had to be installed. */
  alreadyDone: boolean;
}

const MARKER = 'lwganet-setup.json';
const GiB = 1024 ** 3;

function fail(message: string): never {
  throw new LwganetError('SETUP_FAILED', message);
}

function flavourOf(cuda: SetupOptions['cuda']): TorchFlavour {
  if (cuda === undefined || cuda === false) return 'cpu';
  if (cuda === true) return DEFAULT_CUDA;
  if (!/^cu\d{3}$/.test(cuda)) throw new RangeError(`Expected a CUDA flavour such as ${DEFAULT_CUDA} for cuda but received ${JSON.stringify(cuda)}`);
  return cuda;
}

function freeBytes(path: string): number {
  let dir = path;
  while (!existsSync(dir) && dirname(dir) !== dir) dir = dirname(dir);
  const stats = statfsSync(dir);
  return stats.bavail * stats.bsize;
}

function run(command: string, args: string[], env: NodeJS.ProcessEnv, stdio: 'inherit' | 'ignore', cwd?: string): Promise<number> {
  return new Promise((resolve, reject) => {
    // pip and the compiler report on stdout; keep our stdout for the result.
    const child = spawn(command, args, { env, cwd, stdio: stdio === 'inherit' ? ['ignore', 2, 2] : 'ignore' });
    child.on('error', reject);
    child.on('close', (code) => resolve(code ?? 1));
  });
}

/** The torch release installed in the venv (from its metadata: no torch import), or null. */
function installedTorch(python: string, env: NodeJS.ProcessEnv): string | null {
  const probe = spawnSync(python, ['-c', 'import importlib.metadata as m; print(m.version("torch"))'], { encoding: 'utf8', env, timeout: 30_000 });
  return probe.status === 0 ? probe.stdout.trim() : null;
}

/** True when the user's pip configuration (files or PIP_INDEX_URL) chooses the index. */
function pipConfiguresIndex(python: string, env: NodeJS.ProcessEnv): boolean {
  if (env.PIP_INDEX_URL) return true;
  const list = spawnSync(python, ['-m', 'pip', 'config', 'list'], { encoding: 'utf8', env, timeout: 60_000 });
  return /^[\w:.-]*\.index-url=/m.test(list.stdout ?? '');
}

/** Loads the addon in a child process: null when it works, else the error's first lines. */
function addonProblem(env: NodeJS.ProcessEnv): string | null {
  const probe = `require(${JSON.stringify(join(PACKAGE_ROOT, 'dist', 'native', 'binding.js'))}).binding().devices()`;
  const child = spawnSync(process.execPath, ['-e', probe], { encoding: 'utf8', env, timeout: 120_000 });
  if (child.status === 0) return null;
  const lines = (child.stderr || '').split('\n');
  const start = Math.max(0, lines.findIndex((l) => /Error/.test(l)));
  return lines.slice(start, start + 8).join('\n').trim() || `exit ${child.status}`;
}

function loadedAddonFile(env: NodeJS.ProcessEnv): string {
  const probe = `const b = require(${JSON.stringify(join(PACKAGE_ROOT, 'dist', 'native', 'binding.js'))}); console.log(b.addonBuilds()[0].file)`;
  return spawnSync(process.execPath, ['-e', probe], { encoding: 'utf8', env }).stdout.trim();
}

/**
 * Provisions the venv with torch and makes the addon load with it.
 * @throws LwganetError SETUP_FAILED (no suitable Python, not enough disk, pip or the build failed)
 */
export async function setup(options: SetupOptions = {}): Promise<SetupResult> {
  const env = options.env ?? process.env;
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const stdio = options.stdio ?? 'inherit';
  const flavour = flavourOf(options.cuda);
  const venv = managedVenv(env);
  const python = venvPython(venv);
  const marker = join(venv, MARKER);

  let alreadyDone = false;
  const recorded = existsSync(marker) ? (JSON.parse(readFileSync(marker, 'utf8')) as { torch?: string; flavour?: string }) : null;
  const installed = existsSync(python) ? installedTorch(python, env) : null;
  if (!options.force && recorded?.flavour === flavour && installed && sameRelease(installed, TORCH_VERSION)) {
    alreadyDone = true;
    log(`lwganet setup: [1/3] torch ${installed} already in ${venv}`);
  } else {
    const base = findSetupPython(env, options.python);
    log(`lwganet setup: [1/3] creating ${venv} with ${base.command} (Python ${base.version}) for torch ${TORCH_VERSION} (${flavour})`);
    const needed = expectedVenvBytes(flavour);
    const free = freeBytes(venv);
    if (free < needed) {
      fail(`not enough disk space for the venv in ${venv}: ${(free / GiB).toFixed(1)} GiB free, about ${(needed / GiB).toFixed(1)} GiB needed for torch ${TORCH_VERSION} (${flavour}). `
        + 'Free some space, or point XDG_CACHE_HOME (or LWGANET_CACHE) at a disk with room.');
    }
    rmSync(venv, { recursive: true, force: true });
    mkdirSync(dirname(venv), { recursive: true });
    if ((await run(base.command, ['-m', 'venv', venv], env, stdio)) !== 0) fail(`${base.command} -m venv ${venv} failed (see above)`);

    const args = ['-m', 'pip', 'install', '--disable-pip-version-check', `torch==${TORCH_VERSION}`, ...EXPORTER_PACKAGES];
    const ownIndex = pipConfiguresIndex(python, env);
    if (!ownIndex) args.push('--index-url', indexFor(flavour));
    log(`lwganet setup: [2/3] pip install torch==${TORCH_VERSION} from ${ownIndex ? 'the index of your pip configuration' : indexFor(flavour)} (about ${(needed / GiB).toFixed(1)} GiB; a few minutes)`);
    if ((await run(python, args, env, stdio)) !== 0) {
      rmSync(venv, { recursive: true, force: true }); // no half-provisioned venv left to look complete
      fail(`pip could not install torch==${TORCH_VERSION} (see pip's output above). A mirror or proxy goes in pip's own configuration (pip config set global.index-url URL).`);
    }
    writeFileSync(marker, `${JSON.stringify({ torch: TORCH_VERSION, flavour, python: base.command }, null, 2)}\n`);
  }

  const torchDir = venvTorchDir(venv);
  if (!torchDir) fail(`torch is missing from ${venv} after installation; run lwganet setup --force`);
  const torch = libtorchVersionAt(join(torchDir, 'lib'));

  let builtNow = false;
  let problem = addonProblem(env);
  if (problem === null) {
    log(`lwganet setup: [3/3] the addon loads with LibTorch ${torch}`);
  } else {
    log(`lwganet setup: [3/3] the addon does not load as shipped:\n${problem}\nbuilding it from source against ${torchDir} (a few minutes)`);
    if (existsSync(join(PACKAGE_ROOT, '.git'))) fail('this is a source checkout of lwganet-node: build it with its own scripts (README, "Building")');
    for (const tool of ['cmake', 'c++']) {
      if (spawnSync(tool, ['--version'], { env }).error) fail(`building the addon needs ${tool}: apt-get install cmake g++ (Debian/Ubuntu), or xcode-select --install && brew install cmake (macOS)`);
    }
    const cmakeJs = join(dirname(require.resolve('cmake-js/package.json')), 'bin', 'cmake-js');
    const code = await run(process.execPath, [cmakeJs, 'compile', '--out', 'build'], { ...env, LIBTORCH: torchDir }, stdio, PACKAGE_ROOT);
    problem = code === 0 ? addonProblem(env) : `cmake-js exited with code ${code}`;
    if (problem !== null) {
      rmSync(join(PACKAGE_ROOT, 'build'), { recursive: true, force: true });
      fail(`building the addon against ${torchDir} failed:\n${problem}`);
    }
    builtNow = true;
  }
  const gdal = await ensureGdalBinding(env, log, stdio);
  return { venv, python, torch, flavour, libtorch: join(torchDir, 'lib'), addon: { file: loadedAddonFile(env), builtNow }, gdal, alreadyDone: alreadyDone && !gdal.builtNow };
}
