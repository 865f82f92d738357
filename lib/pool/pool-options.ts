/**
 * InferencePool options: documented defaults and the checks that turn user options into one
 * fully defaulted object (style rule: validate once, in TypeScript, with the shared messages).
 */

import os from 'node:os';
import { parseDevice } from '../device.js';
import { invalidArgument } from '../errors.js';
import { THREAD_POLICIES, type ThreadPolicy } from '../thread-policy.js';

export type PoolExecutorKind = 'native' | 'worker-threads';

export interface InferencePoolOptions {
  /**
   * Where forwards run. 'worker-threads' (default): `workers` worker_threads, each with a
   * handle on the same weights (shared natively). 'native': one model handle in this thread,
   * forwards on the addon's native inference threads. See InferencePool for why.
   */
  executor?: PoolExecutorKind;
  /**
   * Forwards (batches) running at the same time. Default: 2 (1 on a single core). Two forwards
   * of one thread each beat one forward of two threads on 2 cores: LWGANet is many small ops,
   * which intra-op threads barely speed up, and OpenMP threads degrade badly when the cores are
   * shared (bench/throughput.mjs). Two slots also let one batch run while the next is stacked.
   */
  workers?: number;
  /** Intra-op threads of each forward. Default: cores / workers (at least 1), so threads × forwards ≤ cores. */
  threadsPerWorker?: number;
  /** loadModel's threadPolicy for each worker's model: 'adaptive' (default) or 'fixed'. */
  threadPolicy?: ThreadPolicy;
  /** Most items (rows along dim 0, summed over requests) in one forward. Default 8; 1 disables batching. */
  maxBatch?: number;
  /** How long the oldest waiting request may wait for others to fill its batch. Default 2 ms. */
  maxDelayMs?: number;
  /** Requests waiting to start (not counting running ones) before run() rejects QUEUE_FULL. Default 256. */
  maxQueue?: number;
  /** 'cpu' (default), 'cuda' or 'cuda:N'. */
  device?: string;
  /** Warm each worker's model up before the pool takes requests (loadModel's warmup; needs metadata). Default false. */
  warmup?: boolean;
}

export interface ResolvedPoolOptions {
  executor: PoolExecutorKind;
  workers: number;
  threadsPerWorker: number;
  threadPolicy: ThreadPolicy;
  maxBatch: number;
  maxDelayMs: number;
  maxQueue: number;
  device: string;
  warmup: boolean;
}

const NAMES = ['executor', 'workers', 'threadsPerWorker', 'threadPolicy', 'maxBatch', 'maxDelayMs', 'maxQueue', 'device', 'warmup'];

function integer(name: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value)) throw invalidArgument(name, `an integer between ${min} and ${max}`, value);
  if (value < min || value > max) throw invalidArgument(name, `an integer between ${min} and ${max}`, value, 'range');
  return value;
}

export function resolvePoolOptions(options: unknown): ResolvedPoolOptions {
  if (options === undefined) options = {};
  if (typeof options !== 'object' || options === null) throw invalidArgument('options', 'an object', options);
  for (const key of Object.keys(options)) {
    if (!NAMES.includes(key)) {
      const near = NAMES.find((name) => name.toLowerCase() === key.toLowerCase());
      throw new TypeError(near ? `Misspelled option "${key}" should be "${near}"` : `Unknown option "${key}" (expected one of ${NAMES.join(', ')})`);
    }
  }
  const given = options as InferencePoolOptions;
  const executor = given.executor ?? 'worker-threads';
  if (executor !== 'native' && executor !== 'worker-threads') throw invalidArgument('executor', '"native" or "worker-threads"', executor);
  const cores = os.availableParallelism();
  const workers = integer('workers', given.workers ?? Math.min(2, cores), 1, 64);
  const threadsPerWorker = integer('threadsPerWorker', given.threadsPerWorker ?? Math.max(1, Math.floor(cores / workers)), 1, 1024);
  const threadPolicy = given.threadPolicy ?? 'adaptive';
  if (!THREAD_POLICIES.includes(threadPolicy)) throw invalidArgument('threadPolicy', '"adaptive" or "fixed"', threadPolicy);
  const maxBatch = integer('maxBatch', given.maxBatch ?? 8, 1, 4096);
  const maxDelayMs = given.maxDelayMs ?? 2;
  if (typeof maxDelayMs !== 'number' || Number.isNaN(maxDelayMs)) throw invalidArgument('maxDelayMs', 'a number of milliseconds between 0 and 60000', maxDelayMs);
  if (maxDelayMs < 0 || maxDelayMs > 60_000) throw invalidArgument('maxDelayMs', 'a number of milliseconds between 0 and 60000', maxDelayMs, 'range');
  const maxQueue = integer('maxQueue', given.maxQueue ?? 256, 0, 1_000_000);
  const device = parseDevice(given.device ?? 'cpu');
  const warmup = given.warmup ?? false;
  if (typeof warmup !== 'boolean') throw invalidArgument('warmup', 'a boolean', warmup);
  return { executor, workers, threadsPerWorker, threadPolicy, maxBatch, maxDelayMs, maxQueue, device, warmup };
}
