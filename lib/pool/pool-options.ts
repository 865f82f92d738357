/**
 * InferencePool options: documented defaults and the checks that turn user options into one
 * fully defaulted object (style rule: validate once, in TypeScript, with the shared messages).
 */

import os from 'node:os';
import { parseDevice } from '../native/device.js';
import { booleanOption, enumOption, integerOption, numberOption, rejectUnknownOptions, requireObject } from '../options.js';
import { THREAD_POLICIES, type ThreadPolicy } from '../model/thread-policy.js';

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

export function resolvePoolOptions(options: unknown): ResolvedPoolOptions {
  const given = requireObject<InferencePoolOptions>(options, 'options', 'an object', true);
  rejectUnknownOptions(given, NAMES);
  const executor = enumOption<PoolExecutorKind>('executor', given.executor, 'worker-threads', ['native', 'worker-threads']);
  const cores = os.availableParallelism();
  const workers = integerOption('workers', given.workers, Math.min(2, cores), 1, 64);
  const threadsPerWorker = integerOption('threadsPerWorker', given.threadsPerWorker, Math.max(1, Math.floor(cores / workers)), 1, 1024);
  const threadPolicy = enumOption('threadPolicy', given.threadPolicy, 'adaptive', THREAD_POLICIES);
  const maxBatch = integerOption('maxBatch', given.maxBatch, 8, 1, 4096);
  const maxDelayMs = numberOption('maxDelayMs', given.maxDelayMs, 2, 0, 60_000, 'a number of milliseconds from 0 to 60000');
  const maxQueue = integerOption('maxQueue', given.maxQueue, 256, 0, 1_000_000);
  const device = parseDevice(given.device ?? 'cpu');
  const warmup = booleanOption('warmup', given.warmup, false);
  return { executor, workers, threadsPerWorker, threadPolicy, maxBatch, maxDelayMs, maxQueue, device, warmup };
}
