/**
 * Runs the project's Python (the .venv with torch, numpy and pillow) for reference values.
 * A missing venv is a test failure, not a skip: CI always creates it.
 */

import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const ROOT = resolve(__dirname, '..', '..');
// $LWGANET_TEST_PYTHON lets a copy of the tree without .venv, such as
// the mutation-testing sandbox, use the project venv.
export const VENV_PYTHON = process.env.LWGANET_TEST_PYTHON || join(ROOT, '.venv', 'bin', 'python');

/** Runs `python <args>` with PYTHONPATH=python/ and returns stdout; throws with stderr on failure. */
export function runPython(args: string[], options: { input?: string | Uint8Array; timeoutMs?: number } = {}): string {
  if (!existsSync(VENV_PYTHON)) throw new Error(`The reference tests need ${VENV_PYTHON} (pip install -r requirements-ci.txt into .venv)`);
  try {
    return execFileSync(VENV_PYTHON, args, {
      cwd: ROOT,
      env: { ...process.env, PYTHONPATH: join(ROOT, 'python') },
      input: options.input,
      timeout: options.timeoutMs ?? 120_000,
      maxBuffer: 256 * 1024 * 1024,
      encoding: 'utf8',
      stdio: ['pipe', 'pipe', 'pipe'],
    });
  } catch (error) {
    const e = error as { stderr?: string; message: string };
    throw new Error(`python ${args.join(' ')} failed: ${e.stderr || e.message}`);
  }
}

/** Path of a reference script in test/helpers. */
export function helperScript(name: string): string {
  return join(ROOT, 'test', 'helpers', name);
}
