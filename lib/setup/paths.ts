/**
 * Where `lwganet setup` provisions its Python venv (the exporter's torch and the LibTorch the
 * addon loads): <cache>/python, with <cache> = $LWGANET_CACHE, else $XDG_CACHE_HOME/lwganet-node,
 * else ~/.cache/lwganet-node (the same directory as the weights cache).
 */

import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { cacheDir } from '../weights/cache.js';

export function managedVenv(env: NodeJS.ProcessEnv = process.env): string {
  return join(cacheDir(env), 'python');
}

export function venvPython(venv: string): string {
  return join(venv, 'bin', 'python');
}

/** The torch package directory inside a venv (lib/python3.X/site-packages/torch), or null. */
export function venvTorchDir(venv: string): string | null {
  const lib = join(venv, 'lib');
  if (!existsSync(lib)) return null;
  for (const entry of readdirSync(lib).filter((e) => e.startsWith('python3')).sort().reverse()) {
    const torch = join(lib, entry, 'site-packages', 'torch');
    if (existsSync(join(torch, 'lib'))) return torch;
  }
  return null;
}
