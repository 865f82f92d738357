// Finds a LibTorch the way cmake/LocateLibTorch.cmake does (first hit wins): the LIBTORCH or
// Torch_DIR environment variables, the torch of the `python3` on PATH, then the system.
// Used by the install script to decide whether the shipped prebuild can run here.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

/** Version of the LibTorch whose libraries sit in `libdir` ('' when unknown). */
export function libtorchVersionAt(libdir) {
  const versionPy = path.join(libdir, '..', 'version.py'); // pip torch
  if (fs.existsSync(versionPy)) {
    const match = fs.readFileSync(versionPy, 'utf8').match(/^__version__\s*=\s*['"]([^'"]+)['"]/m);
    if (match) return match[1];
  }
  const buildVersion = path.join(libdir, '..', 'build-version'); // LibTorch zip
  if (fs.existsSync(buildVersion)) return fs.readFileSync(buildVersion, 'utf8').trim();
  const lib = path.join(libdir, 'libtorch_cpu.so'); // Debian: libtorch_cpu.so.1.13
  if (fs.existsSync(lib)) return fs.realpathSync(lib).match(/\.so\.(\d+\.\d+(\.\d+)?)$/)?.[1] ?? '';
  return '';
}

function fromPrefix(prefix, source) {
  const libdir = path.join(prefix, 'lib');
  return fs.existsSync(path.join(libdir, 'libtorch_cpu.so')) ? { libdir, source } : { error: `${source}: no lib/libtorch_cpu.so under ${prefix}` };
}

/**
 * @returns {{ libdir: string, version: string, cuda: boolean, source: string } | { error: string, tried: string[] }}
 */
export function findLibtorch(env = process.env) {
  const tried = [];
  const attempt = (found) => {
    if (found.libdir) return { ...found, version: libtorchVersionAt(found.libdir), cuda: fs.existsSync(path.join(found.libdir, 'libtorch_cuda.so')) };
    tried.push(found.error);
    return null;
  };
  if (env.LIBTORCH) return attempt(fromPrefix(env.LIBTORCH, `LIBTORCH=${env.LIBTORCH}`)) ?? { error: tried[0], tried };
  if (env.Torch_DIR) return attempt(fromPrefix(path.resolve(env.Torch_DIR, '..', '..', '..'), `Torch_DIR=${env.Torch_DIR}`)) ?? { error: tried[0], tried };
  tried.push('LIBTORCH and Torch_DIR: not set');

  const python = spawnSync('python3', ['-c', 'import os, torch; print(os.path.join(os.path.dirname(torch.__file__), "lib"))'], { encoding: 'utf8', env });
  if (python.status === 0) {
    const found = attempt({ libdir: python.stdout.trim(), source: 'torch of python3 on PATH' });
    if (found) return found;
  } else {
    tried.push(python.error ? 'python3 on PATH: not found' : 'python3 on PATH: cannot import torch');
  }

  for (const libdir of ['/usr/lib/x86_64-linux-gnu', '/usr/lib/aarch64-linux-gnu', '/usr/local/lib', '/opt/libtorch/lib']) {
    if (fs.existsSync(path.join(libdir, 'libtorch_cpu.so'))) return attempt({ libdir, source: `system (${libdir})` });
  }
  tried.push('system: no libtorch_cpu.so in /usr/lib/<triplet>, /usr/local/lib, /opt/libtorch/lib');
  return { error: 'no LibTorch found', tried };
}
