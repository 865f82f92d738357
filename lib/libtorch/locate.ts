/**
 * Finds LibTorch installations the way cmake/LocateLibTorch.cmake does, in the same order:
 * the LIBTORCH / Torch_DIR environment variables, (at load only: the LibTorch recorded when the
 * addon was built or installed), the torch of python3 on PATH, the venv of `lwganet setup`, then
 * the system.
 * Candidates are produced lazily: python3 is only asked when the earlier places had no match.
 */

import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { managedVenv, venvTorchDir } from '../setup/paths.js';

export interface Libtorch {
  /** Directory holding libtorch_cpu.so, libc10.so, ... */
  libdir: string;
  /** Version as the installation states it ('2.15.0+cu132', Debian's '1.13'); '' when unknown. */
  version: string;
  /** True when LibTorch's CUDA libraries are there. */
  cuda: boolean;
  /** Where it was found, for messages. */
  source: string;
}

/** '2.15.0+cu132' → '2.15.0'. */
export function baseVersion(version: string): string {
  return version.split('+')[0];
}

/** True when two LibTorch versions are the same release ('1.13' matches '1.13.1'). */
export function sameRelease(a: string, b: string): boolean {
  const x = baseVersion(a);
  const y = baseVersion(b);
  return x === y || x.startsWith(`${y}.`) || y.startsWith(`${x}.`);
}

/** Version of the LibTorch whose libraries sit in `libdir` ('' when unknown). */
export function libtorchVersionAt(libdir: string): string {
  const versionPy = join(libdir, '..', 'version.py'); // pip torch
  if (existsSync(versionPy)) {
    const match = readFileSync(versionPy, 'utf8').match(/^__version__\s*=\s*['"]([^'"]+)['"]/m);
    if (match) return match[1];
  }
  const buildVersion = join(libdir, '..', 'build-version'); // LibTorch zip
  if (existsSync(buildVersion)) return readFileSync(buildVersion, 'utf8').trim();
  const lib = join(libdir, 'libtorch_cpu.so'); // Debian: libtorch_cpu.so → libtorch_cpu.so.1.13
  if (existsSync(lib)) return realpathSync(lib).match(/\.so\.(\d+\.\d+(\.\d+)?)$/)?.[1] ?? '';
  return '';
}

function at(libdir: string, source: string): Libtorch | string {
  if (!existsSync(join(libdir, 'libtorch_cpu.so'))) return `${source}: no libtorch_cpu.so in ${libdir}`;
  return { libdir, source, version: libtorchVersionAt(libdir), cuda: existsSync(join(libdir, 'libtorch_cuda.so')) };
}

/** The torch/lib directory of `python`'s torch, found without importing torch (fast). */
function pythonTorchLibdir(python: string, env: NodeJS.ProcessEnv): string | null {
  const probe = 'import importlib.util as u; s = u.find_spec("torch"); print(s.submodule_search_locations[0] if s else "")';
  const run = spawnSync(python, ['-c', probe], { encoding: 'utf8', env, timeout: 20_000 });
  const dir = run.status === 0 ? run.stdout.trim() : '';
  return dir ? join(dir, 'lib') : null;
}

export const SYSTEM_LIBDIRS = ['/usr/lib/x86_64-linux-gnu', '/usr/lib/aarch64-linux-gnu', '/usr/local/lib', '/opt/libtorch/lib'];

/**
 * Every LibTorch candidate in search order. Places that hold none add a line to `tried`.
 * @param recorded libdir recorded by the build or the install script, if any
 */
export function* libtorchCandidates(env: NodeJS.ProcessEnv, tried: string[], recorded?: { libdir: string; source: string }): Generator<Libtorch> {
  const yieldIf = function* (found: Libtorch | string): Generator<Libtorch> {
    if (typeof found === 'string') tried.push(found);
    else yield found;
  };
  if (env.LIBTORCH) yield* yieldIf(at(join(env.LIBTORCH, 'lib'), `LIBTORCH=${env.LIBTORCH}`));
  else if (env.Torch_DIR) yield* yieldIf(at(join(resolve(env.Torch_DIR, '..', '..', '..'), 'lib'), `Torch_DIR=${env.Torch_DIR}`));
  else tried.push('LIBTORCH and Torch_DIR: not set');

  if (recorded) yield* yieldIf(at(recorded.libdir, recorded.source));

  const fromPath = pythonTorchLibdir('python3', env);
  if (fromPath) yield* yieldIf(at(fromPath, 'torch of python3 on PATH'));
  else tried.push('python3 on PATH: not found, or no torch');

  const venv = managedVenv(env);
  const managed = venvTorchDir(venv);
  if (managed) yield* yieldIf(at(join(managed, 'lib'), `the venv of "lwganet setup" (${venv})`));
  else tried.push(`the venv of "lwganet setup" (${venv}): not there`);

  let system = false;
  for (const libdir of SYSTEM_LIBDIRS) {
    if (existsSync(join(libdir, 'libtorch_cpu.so'))) {
      system = true;
      yield* yieldIf(at(libdir, `system (${libdir})`));
    }
  }
  if (!system) tried.push(`system: no libtorch_cpu.so in ${SYSTEM_LIBDIRS.join(', ')}`);
}

/** The first LibTorch found (what a build would link), or null with what was tried. */
export function findLibtorch(env: NodeJS.ProcessEnv = process.env): { found: Libtorch | null; tried: string[] } {
  const tried: string[] = [];
  for (const found of libtorchCandidates(env, tried)) return { found, tried };
  return { found: null, tried };
}

/** The LibTorch prefix to build against (LIBTORCH=...): the directory above its lib/. */
export function libtorchPrefix(libtorch: Libtorch): string {
  return dirname(libtorch.libdir);
}
