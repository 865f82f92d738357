/** Finds a Python ≥ 3.10 with the venv module, to create the `lwganet setup` venv with. */

import { spawnSync } from 'node:child_process';
import { LwganetError } from '../errors.js';

export const MIN_PYTHON: readonly [number, number] = [3, 10];

export const PYTHON_INSTALL_HINT = 'Install one, then run setup again: apt-get install python3 python3-venv (Debian/Ubuntu), '
  + 'dnf install python3 (Fedora), brew install python@3.12 (macOS); or pass --python /path/to/python3.';

const PROBE = 'import sys, venv, ensurepip; print("%d.%d" % sys.version_info[:2])';

export interface FoundPython {
  command: string;
  version: string;
}

/**
 * The first usable interpreter: `preferred` when given (and then only it), else python3,
 * python3.13 … python3.10 on PATH.
 * @throws LwganetError SETUP_FAILED listing what was found and how to get a suitable one
 */
export function findSetupPython(env: NodeJS.ProcessEnv, preferred?: string): FoundPython {
  const names = preferred ? [preferred] : ['python3', 'python3.13', 'python3.12', 'python3.11', 'python3.10'];
  const seen: string[] = [];
  for (const command of names) {
    const run = spawnSync(command, ['-c', PROBE], { encoding: 'utf8', env, timeout: 30_000 });
    if (run.error) {
      seen.push(`${command}: not found`);
      continue;
    }
    if (run.status !== 0) {
      const why = /No module named '?(venv|ensurepip)/.exec(run.stderr)?.[1];
      seen.push(`${command}: ${why ? `no ${why} module (Debian/Ubuntu: apt-get install python3-venv)` : (run.stderr.trim().split('\n').pop() ?? 'failed')}`);
      continue;
    }
    const version = run.stdout.trim();
    const [major, minor] = version.split('.').map(Number);
    if (major > MIN_PYTHON[0] || (major === MIN_PYTHON[0] && minor >= MIN_PYTHON[1])) return { command, version };
    seen.push(`${command}: Python ${version}, too old`);
  }
  throw new LwganetError('SETUP_FAILED', `lwganet setup needs Python ${MIN_PYTHON.join('.')} or newer with the venv module, and found none:\n${seen.map((s) => `  - ${s}`).join('\n')}\n${PYTHON_INSTALL_HINT}`);
}
