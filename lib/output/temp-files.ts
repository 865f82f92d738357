/**
 * Temporary files being written (atomic outputs, downloads): removed when the CLI is stopped by
 * SIGINT/SIGTERM, and, when a process died without that chance (kill -9), swept by the next
 * write of the same output. Temporary names carry the writer's pid, so a sweep removes only
 * files of processes that no longer run.
 */

import { readdirSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

const inProgress = new Set<string>();

export function trackTempFile(file: string): void {
  inProgress.add(file);
}

export function untrackTempFile(file: string): void {
  inProgress.delete(file);
}

/** Removes every temporary file still being written (synchronously: called from a signal handler). */
export function removeTempFilesNow(): void {
  for (const file of inProgress) rmSync(file, { force: true });
  inProgress.clear();
}

function processRuns(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'; // alive, another user's
  }
}

/** The temporary name of `file` for this process: `.NAME.PID.HEX.tmp` beside it. */
export function tempNameFor(file: string, hex: string): string {
  return join(dirname(file), `.${basename(file)}.${process.pid}.${hex}.tmp`);
}

/** Removes `.NAME.PID.HEX.tmp` files of `file` left by processes that no longer run. */
export function sweepStaleTempFiles(file: string): void {
  const prefix = `.${basename(file)}.`;
  let names: string[];
  try {
    names = readdirSync(dirname(file));
  } catch {
    return;
  }
  for (const name of names) {
    if (!name.startsWith(prefix)) continue;
    const match = /^(\d+)\.[0-9a-f]+\.tmp$/.exec(name.slice(prefix.length));
    if (!match) continue;
    const pid = Number(match[1]);
    if (pid !== process.pid && !processRuns(pid)) rmSync(join(dirname(file), name), { force: true });
  }
}

let installed = false;

/**
 * For the CLI: on SIGINT/SIGTERM remove the temporary files, then end by the same signal (the
 * default action, so the exit status still says what stopped the process). A command that stops
 * gracefully on the signal (`lwganet batch`, `lwganet worker`) listens to it too: its running
 * writes must be allowed to finish, so the signal is left to it, and whatever is still being
 * written when it exits is removed at exit.
 */
export function removeTempFilesOnSignals(): void {
  if (installed) return;
  installed = true;
  const onSignal = (signal: NodeJS.Signals) => {
    if (process.listenerCount(signal) > 1) return;
    removeTempFilesNow();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    process.kill(process.pid, signal);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('exit', removeTempFilesNow);
}
