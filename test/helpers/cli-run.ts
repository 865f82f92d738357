/**
 * Runs the built CLI (dist/cli/bin.js) as a separate process, the way users run it.
 * Asynchronous on purpose: tests serve files from an HTTP server in this same process.
 */

import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './image-python.js';

export const BIN = join(ROOT, 'dist', 'cli', 'bin.js');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Fails loudly when the TypeScript build is missing (npm test runs build:ts first). */
export function requireBuiltCli(): void {
  if (!existsSync(BIN)) throw new Error(`${BIN} is missing: run "npm run build:ts" first`);
}

export function runCli(args: string[], env: NodeJS.ProcessEnv = {}, timeoutMs = 300_000): Promise<CliResult> {
  requireBuiltCli();
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { cwd: ROOT, env: { ...process.env, ...env }, timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** True when text contains a JS stack frame (expected errors must not print one). */
export function hasStack(text: string): boolean {
  return /\n\s+at .+:\d+:\d+/.test(text);
}
