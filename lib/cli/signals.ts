/**
 * SIGINT/SIGTERM for long-running commands: the first signal aborts the given work's signal
 * (batch: no new scene starts, running ones finish and are recorded; worker: graceful stop);
 * a second one exits at once (outputs are written atomically, so nothing half-written stays).
 */

import type { CliIO } from './io.js';

export async function untilSignal<T>(io: CliIO, work: (signal: AbortSignal) => Promise<T>, what = 'batch'): Promise<T> {
  const controller = new AbortController();
  let received = 0;
  const onSignal = (name: NodeJS.Signals) => {
    received++;
    if (received === 1) {
      io.err(`\nlwganet ${what}: ${name}: finishing the running scenes (again to quit now)\n`);
      controller.abort();
    } else {
      process.exit(name === 'SIGINT' ? 130 : 143);
    }
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    return await work(controller.signal);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
