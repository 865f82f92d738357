/**
 * A long-running CLI process (dist/cli/bin.js) whose `--json` event lines are collected as they
 * arrive, so a test can act at a chosen point (kill it after N scenes, wait for an event).
 */

import { spawn, type ChildProcess } from 'node:child_process';
import { BIN, requireBuiltCli } from './cli-run.js';
import { ROOT } from './image-python.js';

export interface CliEvent {
  type: string;
  id?: string;
  code?: string;
  message?: string;
  final?: boolean;
  attempt?: number;
  [key: string]: unknown;
}

export class CliProcess {
  readonly child: ChildProcess;
  readonly events: CliEvent[] = [];
  stderr = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  #waiters: Array<() => void> = [];
  #buffer = '';

  constructor(args: string[], env: NodeJS.ProcessEnv = {}) {
    requireBuiltCli();
    this.child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child.stdout!.on('data', (chunk: Buffer) => {
      this.#buffer += chunk.toString();
      let nl: number;
      while ((nl = this.#buffer.indexOf('\n')) >= 0) {
        const line = this.#buffer.slice(0, nl);
        this.#buffer = this.#buffer.slice(nl + 1);
        if (line.trim()) this.events.push(JSON.parse(line) as CliEvent);
      }
      this.#notify();
    });
    this.child.stderr!.on('data', (chunk: Buffer) => (this.stderr += chunk.toString()));
    this.exited = new Promise((resolve) => this.child.on('exit', (code, signal) => {
      this.#notify();
      resolve({ code, signal });
    }));
  }

  #notify(): void {
    for (const wake of this.#waiters.splice(0)) wake();
  }

  /** Resolves once `test` holds over the events so far; rejects if the process exits first or on timeout. */
  async until(test: (events: CliEvent[]) => boolean, timeoutMs = 120_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!test(this.events)) {
      if (this.child.exitCode !== null || this.child.signalCode !== null) throw new Error(`process exited before the awaited event; stderr:\n${this.stderr}`);
      if (Date.now() > deadline) throw new Error(`timed out waiting for an event; stderr:\n${this.stderr}`);
      await new Promise<void>((resolve) => {
        this.#waiters.push(resolve);
        setTimeout(resolve, 500);
      });
    }
  }

  ids(type: string): string[] {
    return this.events.filter((e) => e.type === type).map((e) => String(e.id));
  }
}
