/**
 * Runs the project's Python exporter (`python -m lwganet ...`), which owns everything that
 * needs PyTorch (model definitions, checkpoint loading, TorchScript export).
 * Interpreter choice, first match wins: $LWGANET_PYTHON, <package root>/.venv/bin/python (a
 * source checkout), the venv of `lwganet setup` (<cache>/python), then python3 on PATH. PYTHONPATH gets <package root>/python so the bundled package is found.
 */

import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { delimiter, join, resolve } from 'node:path';
import { LwganetError } from '../errors.js';
import { managedVenv, venvPython } from '../setup/paths.js';

/** Why the Python side could not do its job; expected failures, reported without a stack. */
export type PythonErrorCode = 'PYTHON_UNAVAILABLE' | 'TORCH_UNAVAILABLE' | 'EXPORT_FAILED';

/** A LwganetError from the Python side, with the exit code of the Python process when it ran. */
export class PythonToolError extends LwganetError {
  declare readonly code: PythonErrorCode;
  /** Exit code of the Python process, when it ran. */
  readonly exitCode: number | null;

  constructor(code: PythonErrorCode, message: string, exitCode: number | null = null) {
    super(code, message);
    this.exitCode = exitCode;
    Object.defineProperty(this, 'name', { value: 'PythonToolError', enumerable: false, configurable: true });
  }
}

import { PACKAGE_ROOT } from '../package-root.js';

const INSTALL_HINT = 'run `npx lwganet setup` (a Python venv with the pinned torch in ~/.cache/lwganet-node), or point LWGANET_PYTHON at a python with torch';

/** The interpreter to use and where the choice came from. */
export function findPython(env: NodeJS.ProcessEnv = process.env): { command: string; source: string } {
  if (env.LWGANET_PYTHON) return { command: env.LWGANET_PYTHON, source: '$LWGANET_PYTHON' };
  const venv = join(PACKAGE_ROOT, '.venv', 'bin', 'python');
  if (existsSync(venv)) return { command: venv, source: 'the package .venv' };
  const managed = venvPython(managedVenv(env));
  if (existsSync(managed)) return { command: managed, source: 'the venv of lwganet setup' };
  return { command: 'python3', source: 'PATH' };
}

function pythonEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const own = join(PACKAGE_ROOT, 'python');
  return { ...env, PYTHONPATH: env.PYTHONPATH ? `${own}${delimiter}${env.PYTHONPATH}` : own };
}

export interface PythonRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Spawns python with `args`; 'inherit' streams output to the terminal, 'pipe' captures it. */
export function runPython(args: string[], options: { stdio?: 'inherit' | 'pipe'; env?: NodeJS.ProcessEnv } = {}): Promise<PythonRun> {
  const env = options.env ?? process.env;
  const { command, source } = findPython(env);
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, { env: pythonEnv(env), stdio: ['ignore', options.stdio ?? 'pipe', options.stdio ?? 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout?.setEncoding('utf8').on('data', (s: string) => (stdout += s));
    child.stderr?.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    child.on('error', (error: NodeJS.ErrnoException) => {
      const why = error.code === 'ENOENT' ? 'was not found' : `could not be started (${error.message})`;
      reject(new PythonToolError('PYTHON_UNAVAILABLE', `Python (${command}, from ${source}) ${why}. The exporter needs Python 3 with torch; ${INSTALL_HINT}`));
    });
    child.on('close', (code, signal) => resolvePromise({ code: code ?? (signal ? 128 : 1), stdout, stderr }));
  });
}

const PROBE = `
import importlib.util as u
missing = []
for name in ("torch", "lwganet", "lwganet.__main__"):
    try:
        found = u.find_spec(name) is not None
    except Exception:
        found = False
    if not found:
        missing.append(name)
print(" ".join(missing))
`;

/** Checks that the interpreter can import torch and the lwganet exporter (`-m lwganet`); throws PythonToolError. */
export async function checkPython(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const { command } = findPython(env);
  const probe = await runPython(['-c', PROBE], { env });
  if (probe.code !== 0) {
    throw new PythonToolError('PYTHON_UNAVAILABLE', `Python (${command}) failed to run: ${probe.stderr.trim().split('\n').pop() ?? ''}`);
  }
  const missing = probe.stdout.trim().split(/\s+/).filter(Boolean);
  if (missing.includes('torch')) {
    throw new PythonToolError('TORCH_UNAVAILABLE', `Python (${command}) has no torch module, which the exporter needs; ${INSTALL_HINT}`);
  }
  if (missing.length > 0) {
    throw new PythonToolError('PYTHON_UNAVAILABLE', `Python (${command}) cannot import ${missing.join(', ')} from ${join(PACKAGE_ROOT, 'python')}; is the package installation complete?`);
  }
}
