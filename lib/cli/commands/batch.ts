/**
 * `lwganet batch TASK (INPUTS… | --list FILE | --stac ITEMS.json | --pairs CSV) --model FILE --out DIR`:
 * every scene of an archive through one task, resumable (a rerun skips finished scenes), on this
 * machine; with `--queue redis://HOST:PORT/NAME` one BullMQ job per scene is enqueued instead,
 * for `lwganet worker` processes on any number of machines. `lwganet batch status --queue …`
 * shows a queue's progress and failures.
 */

import type { Command } from 'commander';
import { formatSummary } from '../../batch/events.js';
import { resolveScenes, type SceneSources } from '../../batch/inputs.js';
import { parseQueueAddress, type QueueAddress } from '../../batch/queue-address.js';
import type { QueueStatus } from '../../batch/queue-status.js';
import { BATCH_TASKS, isBatchTask, makeSpec, type BatchTaskOptions } from '../../batch/spec.js';
import { CliError } from '../cli-error.js';
import type { CliIO } from '../io.js';
import { positiveInteger } from '../options.js';
import { batchReporter } from '../batch-report.js';
import { nonNegativeInteger, unitNumber } from './dense-common.js';
import { addApiFlags } from '../flags.js';
import { untilSignal } from '../signals.js';

/** The flags; the task options carry their API names (addApiFlags stores them so). */
interface BatchFlags extends BatchTaskOptions {
  model?: string;
  out?: string;
  list?: string;
  stac?: string;
  asset?: string;
  role?: string;
  pairs?: string;
  beforeList?: string;
  afterList?: string;
  workers?: number;
  concurrency?: number;
  device?: string;
  queue?: QueueAddress;
  attempts: number;
  backoffMs: number;
  priority?: number;
  wait?: boolean;
  json?: boolean;
  progress: boolean;
}

interface StatusFlags {
  queue: QueueAddress;
  json?: boolean;
  wait?: boolean;
  retryFailed?: boolean;
  failed: number;
}

function taskOptions(flags: BatchFlags): BatchTaskOptions {
  const o: BatchTaskOptions = { tileSize: flags.tileSize, overlap: flags.overlap, batchSize: flags.batchSize, topK: flags.topK, threshold: flags.threshold, scoreThreshold: flags.scoreThreshold };
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as BatchTaskOptions;
}

function sources(inputs: string[], flags: BatchFlags): SceneSources {
  return {
    inputs, list: flags.list, stac: flags.stac, assetKeys: flags.asset?.split(',').map((k) => k.trim()).filter(Boolean), assetRole: flags.role,
    pairs: flags.pairs, beforeList: flags.beforeList, afterList: flags.afterList,
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls a queue until nothing is pending; prints progress lines unless --json. */
async function waitForQueue(address: QueueAddress, io: CliIO, json: boolean, signal: AbortSignal): Promise<QueueStatus> {
  const { formatStatus, queueStatus } = await import('../../batch/queue-status.js');
  let last = '';
  for (;;) {
    const status = await queueStatus(address);
    const line = formatStatus({ ...status, failures: [] });
    if (!json && line !== last) io.err(line);
    last = line;
    if (status.pending === 0 || signal.aborted) return queueStatus(address);
    await sleep(1000);
  }
}

async function runBatchCommand(task: string, inputs: string[], flags: BatchFlags, io: CliIO): Promise<void> {
  // Checked here, not by commander: it would demand them of "batch status" too.
  if (flags.model === undefined) throw new CliError("required option '-m, --model <file>' not specified", 2);
  if (flags.out === undefined) throw new CliError("required option '-o, --out <dir>' not specified", 2);
  if (!isBatchTask(task)) throw new CliError(`Unknown task ${JSON.stringify(task)}: use one of ${BATCH_TASKS.join(', ')}`, 2);
  const spec = makeSpec(task, flags.model, flags.out, taskOptions(flags));
  const { model, out } = spec;
  if (flags.queue) {
    const scenes = await resolveScenes(spec.task, sources(inputs, flags));
    const { enqueueBatch } = await import('../../batch/queue-producer.js');
    const result = await enqueueBatch(flags.queue, spec, scenes, { attempts: flags.attempts, backoffMs: flags.backoffMs, priority: flags.priority });
    if (flags.json) io.out(`${JSON.stringify({ type: 'enqueued', ...result })}\n`);
    else io.out(`${result.scenes} scenes queued on ${result.queue} (already queued ones are not added twice); run "lwganet worker --queue ${result.queue}" on each machine\n`);
    if (flags.wait) {
      const { formatStatus } = await import('../../batch/queue-status.js');
      const status = await untilSignal(io, (signal) => waitForQueue(flags.queue!, io, flags.json === true, signal));
      io.out(flags.json ? `${JSON.stringify({ type: 'status', ...status })}\n` : formatStatus(status));
      if (status.counts.failed > 0) throw new CliError(`${status.counts.failed} scenes failed`, 1);
    }
    return;
  }
  const { runBatch } = await import('../../batch/local-runner.js');
  const reporter = batchReporter(io, flags.json === true, flags.progress);
  let summary;
  try {
    summary = await untilSignal(io, (signal) =>
      runBatch({
        ...sources(inputs, flags), task, model, out, options: spec.options, signal, onEvent: reporter.onEvent, concurrency: flags.concurrency,
        pool: { ...(flags.workers ? { workers: flags.workers } : {}), ...(flags.device ? { device: flags.device } : {}) },
      }),
    );
  } finally {
    reporter.stop();
  }
  if (!flags.json) io.out(formatSummary(summary));
  if (summary.interrupted) throw new CliError(`interrupted: ${summary.notRun} scenes not run; run the same command again to finish`, 130);
  if (summary.failed > 0) throw new CliError(`${summary.failed} of ${summary.total} scenes failed (see ${summary.out}/batch-summary.json); a rerun retries them`, 1);
}

async function runStatus(flags: StatusFlags, io: CliIO): Promise<void> {
  const { formatStatus, queueStatus } = await import('../../batch/queue-status.js');
  const status = flags.wait
    ? await untilSignal(io, (signal) => waitForQueue(flags.queue, io, flags.json === true, signal))
    : await queueStatus(flags.queue, { failedLimit: flags.failed, retryFailed: flags.retryFailed });
  io.out(flags.json ? `${JSON.stringify(status, null, 2)}\n` : formatStatus(status));
}

function queueAddress(value: string): QueueAddress {
  return parseQueueAddress(value);
}

export function registerBatch(program: Command, io: CliIO): void {
  const batch = program
    .command('batch')
    .description(`run a task over many scenes, resumable; or queue them for workers (--queue). Tasks: ${BATCH_TASKS.join(', ')}`)
    .enablePositionalOptions() // options after "status" belong to status (both have --queue, --json)
    .argument('<task>', BATCH_TASKS.join(' | '))
    .argument('[inputs...]', 'image files or globs (quote globs: "tiles/**/*.tif")')
    .option('-m, --model <file>', 'model file exported by "lwganet export" (or an http(s) URL, downloaded once per worker) (required)')
    .option('-o, --out <dir>', 'output directory (every worker must reach it); holds outputs, the manifest and batch-summary.json (required)')
    .option('--list <file>', 'text file with one image path per line')
    .option('--stac <file>', 'STAC ItemCollection: one scene per item')
    .option('--asset <keys>', 'STAC asset key(s) to read, comma-separated, first present wins (default: "visual", else the first with role "data")')
    .option('--role <role>', 'STAC: use the asset with this role')
    .option('--pairs <csv>', 'change: CSV of before,after[,id]')
    .option('--before-list <file>', 'change: earlier images, one per line')
    .option('--after-list <file>', 'change: later images, paired line by line with --before-list');
  addApiFlags(batch, [
    { api: 'tileSize', short: '-t', aliases: ['--tile'], value: '<n>', description: 'segment/change/detect: tile size (default: the model\'s)', parse: positiveInteger },
    { api: 'overlap', value: '<n>', description: 'segment/change/detect: tile overlap (default: the model\'s)', parse: nonNegativeInteger },
    { api: 'batchSize', short: '-b', value: '<n>', description: 'segment/change: tiles per forward', parse: positiveInteger },
    { api: 'topK', aliases: ['--top'], value: '<k>', description: 'classify: classes kept per scene', parse: positiveInteger },
    { api: 'threshold', value: '<p>', description: 'change: probability above which a pixel is changed', parse: unitNumber },
    { api: 'scoreThreshold', value: '<p>', description: 'detect: lowest score kept', parse: unitNumber },
  ]);
  batch
    .option('-w, --workers <n>', 'forwards at once in the inference pool (default: sized to the machine)', positiveInteger)
    .option('--concurrency <n>', 'scenes in flight at once (default: twice --workers)', positiveInteger)
    .option('-d, --device <device>', 'cpu, cuda or cuda:N')
    .option('-q, --queue <url>', 'enqueue one job per scene on redis://HOST:PORT/QUEUE instead of running here', queueAddress)
    .option('--attempts <n>', 'with --queue: tries per scene before it fails for good', positiveInteger, 3)
    .option('--backoff-ms <ms>', 'with --queue: first retry delay, doubling each retry', nonNegativeInteger, 2000)
    .option('--priority <n>', 'with --queue: job priority (1 = highest)', positiveInteger)
    .option('--wait', 'with --queue: wait until the queue has no pending job, then print its status')
    .option('--json', 'one JSON event per line on stdout (start, scene-start, scene-done, scene-skipped, scene-failed, summary)')
    .option('--no-progress', 'no progress bar on a terminal')
    .action((task: string, inputs: string[], flags: BatchFlags) => runBatchCommand(task, inputs, flags, io));
  batch
    .command('status')
    .description('progress and failures of a queue')
    .requiredOption('-q, --queue <url>', 'redis://HOST:PORT/QUEUE', queueAddress)
    .option('--failed <n>', 'failed scenes listed at most', nonNegativeInteger, 100)
    .option('--retry-failed', 'put the failed jobs back in the queue for another round of attempts')
    .option('--wait', 'wait until nothing is pending')
    .option('--json', 'print JSON')
    .action((flags: StatusFlags) => runStatus(flags, io));
}
