/**
 * `lwganet worker --queue redis://HOST:PORT/QUEUE [--concurrency N]`: takes scene jobs from the
 * queue until SIGTERM or SIGINT, then finishes the running scenes, takes no new one, and exits.
 */

import type { Command } from 'commander';
import { parseQueueAddress, type QueueAddress } from '../../batch/queue-address.js';
import type { CliIO } from '../io.js';
import { positiveInteger } from '../options.js';
import { batchReporter } from '../batch-report.js';
import { untilSignal } from '../signals.js';

interface WorkerFlags {
  queue: QueueAddress;
  concurrency?: number;
  workers?: number;
  device?: string;
  lockMs: number;
  stalledMs: number;
  json?: boolean;
}

async function run(flags: WorkerFlags, io: CliIO): Promise<void> {
  const { startQueueWorker } = await import('../../batch/queue-worker.js');
  const reporter = batchReporter(io, flags.json === true, false);
  const workers = flags.workers ?? flags.concurrency;
  const handle = await startQueueWorker(flags.queue, {
    concurrency: flags.concurrency,
    pool: { ...(workers ? { workers } : {}), ...(flags.device ? { device: flags.device } : {}) },
    lockDurationMs: flags.lockMs,
    stalledIntervalMs: flags.stalledMs,
    onEvent: reporter.onEvent,
    onError: (error) => io.err(`lwganet worker: ${error.message} (retrying)\n`),
  });
  if (flags.json) io.out(`${JSON.stringify({ type: 'worker-ready', queue: flags.queue.display, pid: process.pid })}\n`);
  else io.err(`lwganet worker: taking jobs from ${flags.queue.display} (SIGTERM or Ctrl-C stops after the running scenes)\n`);
  await untilSignal(io, (signal) => new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true })), 'worker');
  await handle.close();
  if (flags.json) io.out(`${JSON.stringify({ type: 'worker-stopped', pid: process.pid })}\n`);
  else io.err('lwganet worker: stopped\n');
}

export function registerWorker(program: Command, io: CliIO): void {
  program
    .command('worker')
    .description('process scene jobs from a batch queue (lwganet batch --queue) until stopped')
    .requiredOption('-q, --queue <url>', 'redis://HOST:PORT/QUEUE', parseQueueAddress)
    .option('-c, --concurrency <n>', 'scenes at once (default: --workers)', positiveInteger)
    .option('-w, --workers <n>', 'forwards at once in the inference pool (default: --concurrency, else sized to the machine)', positiveInteger)
    .option('-d, --device <device>', 'cpu, cuda or cuda:N')
    .option('--lock-ms <ms>', 'job lock duration: a dead worker\'s job is taken over after about this long', positiveInteger, 30_000)
    .option('--stalled-ms <ms>', 'how often to look for jobs of dead workers', positiveInteger, 30_000)
    .option('--json', 'one JSON event per line on stdout')
    .action((flags: WorkerFlags) => run(flags, io));
}
