/**
 * Makes gdal-async (the GDAL binding that reads and writes georeferenced rasters) loadable when
 * npm did not run its install script (npm 11 runs dependencies' install scripts only when
 * allowed). Runs what that script would: node-pre-gyp install --fallback-to-build in the
 * package's directory — a prebuilt binary from GitHub when one fits, else a build from source;
 * against the system GDAL (--shared_gdal) when gdal-config is on PATH, else GDAL's bundled copy.
 */

import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { LwganetError } from '../errors.js';

export interface GdalBindingResult {
  /** GDAL version the binding reports. */
  version: string;
  /** True when setup installed or built the binding now. */
  builtNow: boolean;
}

/** Loads gdal-async in a child process: its GDAL version, or the error's first line. */
function probe(env: NodeJS.ProcessEnv): { version: string } | { problem: string } {
  const child = spawnSync(process.execPath, ['-e', "process.stdout.write(require('gdal-async').version)"], { encoding: 'utf8', env, timeout: 60_000 });
  if (child.status === 0) return { version: child.stdout.trim() };
  const line = (child.stderr || '').split('\n').find((l) => /Error/.test(l)) ?? `exit ${child.status}`;
  return { problem: line.trim() };
}

/**
 * Checks that gdal-async loads, installing its binding when it does not.
 * @throws LwganetError SETUP_FAILED when neither a prebuilt binary nor a build works
 */
export async function ensureGdalBinding(env: NodeJS.ProcessEnv, log: (line: string) => void, stdio: 'inherit' | 'ignore'): Promise<GdalBindingResult> {
  const first = probe(env);
  if ('version' in first) {
    log(`lwganet setup: GDAL ${first.version} loads (gdal-async)`);
    return { version: first.version, builtNow: false };
  }
  const dir = dirname(require.resolve('gdal-async/package.json'));
  const preGyp = [join(dir, 'node_modules', '@mapbox', 'node-pre-gyp', 'bin', 'node-pre-gyp')].find((file) => existsSync(file));
  if (!preGyp) throw new LwganetError('SETUP_FAILED', `gdal-async does not load (${first.problem}) and its node-pre-gyp is missing from ${dir}; reinstall gdal-async`);
  const shared = !spawnSync('gdal-config', ['--version'], { env }).error;
  const args = [preGyp, 'install', '--fallback-to-build', ...(shared ? ['--shared_gdal'] : [])];
  log(`lwganet setup: gdal-async does not load (${first.problem}): installing its binding — a prebuilt binary, else a build ${shared ? 'against the system GDAL' : 'with its bundled GDAL (install libgdal-dev to build against the system GDAL instead)'}; a build takes minutes`);
  const code = await new Promise<number>((resolve) => {
    const child = spawn(process.execPath, args, { cwd: dir, env, stdio: ['ignore', stdio === 'inherit' ? process.stderr : 'ignore', stdio === 'inherit' ? 'inherit' : 'ignore'] });
    child.on('error', () => resolve(1));
    child.on('close', (c) => resolve(c ?? 1));
  });
  const second = probe(env);
  if (code !== 0 || 'problem' in second) {
    const why = 'problem' in second ? second.problem : `node-pre-gyp exited with code ${code}`;
    throw new LwganetError('SETUP_FAILED', `gdal-async could not be installed (${why}). Build it yourself: apt-get install libgdal-dev (or brew install gdal), then in ${dir}: npx node-pre-gyp rebuild --build-from-source --shared_gdal`);
  }
  log(`lwganet setup: GDAL ${second.version} loads (gdal-async, installed now)`);
  return { version: second.version, builtNow: true };
}
