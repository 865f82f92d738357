/**
 * InferencePool: a bounded FIFO of requests in front of one model, with dynamic batching.
 *
 * Batching: requests whose inputs agree on dtype and on every dim but dim 0 (batchKey) are
 * stacked along dim 0 into one forward of at most `maxBatch` items; the output is cut back per
 * request. Requests wait until `maxBatch` items are queued or the oldest has waited
 * `maxDelayMs`; the waiting items are then spread evenly over the free forward slots
 * (`workers`). Requests issued in the same tick always meet (dispatch waits one microtask), so
 * `maxDelayMs: 0` still batches bursts; under load the queue fills while forwards run, so
 * batches form without any waiting. A lone client pays up to `maxDelayMs` per request.
 *
 * Isolation: each request is validated on its own before it may join a batch. If a batched
 * forward still fails, its requests are retried one by one, so only the faulty one rejects.
 * If a model's output cannot be split (a leaf that is not a tensor with the batch as dim 0,
 * e.g. a scalar sum), that batch is retried one by one and batching is switched off for the
 * pool: per-request results stay exact, at the price of throughput. An output whose dim 0
 * equals the batch but does not index items cannot be detected; such models need maxBatch 1.
 *
 * Compiled models (.pt2) run the batch sizes they were compiled for: batches are capped at the
 * largest compiled size within maxBatch and padded with zero rows up to the next compiled size
 * (compiled-batches.ts).
 *
 * 'worker-threads' is the default executor because it served more images/s than 'native' in
 * side-by-side runs of bench/throughput.mjs (the measurements are in bench/README.md), despite
 * copying inputs and outputs across threads. 'native' stays available: no thread start-up, no
 * copies (better for small tensors or when worker_threads are unwelcome).
 */

import path from 'node:path';
import { LwganetError } from '../errors.js';
import type { ModelMetadata } from '../model/metadata.js';
import type { ModelInputs, ModelOutput } from '../model/model.js';
import { type OrderedInputs, batchKey, concatInputs, itemCount, splitOutput } from './batching.js';
import { batchCap, padRows, runSize } from './compiled-batches.js';
import { type Executor, NativeExecutor, WorkerExecutor } from './executors.js';
import { type InferencePoolOptions, type ResolvedPoolOptions, resolvePoolOptions } from './pool-options.js';
import { orderInputs } from '../model/input-order.js';
import { rejectUnknownOptions, requireObject, signalOption } from '../options.js';

export interface PoolRunOptions {
  /** Aborting rejects the request with ABORTED: removed if queued, its result discarded if running. */
  signal?: AbortSignal;
}

export interface PoolCloseOptions {
  /** false (default): queued requests reject POOL_CLOSED. true: they run first. */
  drain?: boolean;
}

export interface PoolStats {
  /** Requests waiting to start. */
  queued: number;
  /** Requests inside forwards that have not finished. */
  running: number;
  /** Requests resolved with an output. */
  completed: number;
  /** Requests rejected (failed forward, validation, QUEUE_FULL, ABORTED, POOL_CLOSED). */
  failed: number;
  /** Forwards run, retries included. */
  batches: number;
  /** Mean items (dim-0 rows) per forward. */
  meanBatchSize: number;
  /** Most items seen in one forward (never above maxBatch unless a single request is larger). */
  largestBatch: number;
}

interface Request {
  readonly inputs: OrderedInputs;
  readonly rows: number;
  key: string | null;
  readonly enqueuedAt: number;
  settled: boolean;
  resolve(output: ModelOutput): void;
  reject(error: Error): void;
}

/**
 * A pool serving one model to many concurrent callers with dynamic batching (see the file
 * header for the policy). Create it with `InferencePool.create()` / `createInferencePool()`,
 * call `run()` from anywhere, and `close()` it when done.
 */
export class InferencePool {
  /** The options in effect, defaults filled in. */
  readonly options: Readonly<ResolvedPoolOptions>;
  readonly #executor: Executor;
  readonly #queue: Request[] = [];
  #inFlight = 0;
  #running = 0;
  #timer: NodeJS.Timeout | undefined;
  #pumpScheduled = false;
  #batchingOn: boolean;
  #closing: Promise<void> | undefined;
  #drained: (() => void) | undefined;
  #stats = { completed: 0, failed: 0, batches: 0, items: 0, largestBatch: 0 };

  private constructor(executor: Executor, options: ResolvedPoolOptions) {
    this.#executor = executor;
    this.options = Object.freeze({ ...options });
    this.#batchingOn = options.maxBatch > 1;
  }

  /** Loads the model (in this thread or in every worker) and resolves once it can serve. */
  static async create(modelPath: string, options?: InferencePoolOptions): Promise<InferencePool> {
    const resolved = resolvePoolOptions(options);
    if (typeof modelPath !== 'string' || modelPath.length === 0) throw new TypeError('Expected a model file path for modelPath');
    const config = { modelPath: path.resolve(modelPath), device: resolved.device, workers: resolved.workers, threadsPerWorker: resolved.threadsPerWorker, threadPolicy: resolved.threadPolicy, warmup: resolved.warmup };
    const executor = resolved.executor === 'native' ? await NativeExecutor.create(config) : await WorkerExecutor.create(config);
    return new InferencePool(executor, resolved);
  }

  /**
   * Queues one request and resolves with its own output: its rows of the batch, in the shape
   * and structure a lone Model.run would give. Rejects (never throws) on bad input, a full
   * queue (QUEUE_FULL), abort (ABORTED), a closed pool (POOL_CLOSED) or a failed forward.
   * Input memory is read when its forward starts: leave it unchanged until the promise settles.
   */
  run(inputs: ModelInputs, options: PoolRunOptions = {}): Promise<ModelOutput> {
    return new Promise<ModelOutput>((resolve, reject) => {
      const given = requireObject<PoolRunOptions>(options, 'options', 'an object', true);
      rejectUnknownOptions(given, ['signal']);
      const signal = signalOption('signal', given.signal);
      if (this.#closing) throw new LwganetError('POOL_CLOSED', 'InferencePool is closed');
      if (signal?.aborted) throw aborted(signal);
      const ordered = orderInputs(this.#executor.info, inputs);
      if (this.#queue.length >= this.options.maxQueue) {
        throw new LwganetError('QUEUE_FULL', `InferencePool queue is full (${this.options.maxQueue} requests waiting); retry later`);
      }
      const onAbort = () => this.#abort(request, aborted(signal!));
      const request: Request = {
        inputs: ordered,
        rows: itemCount(ordered) ?? 1,
        key: batchKey(ordered),
        enqueuedAt: performance.now(),
        settled: false,
        resolve: (output) => settle(() => resolve(output)),
        reject: (error) => settle(() => reject(error)),
      };
      const settle = (action: () => void) => {
        if (request.settled) return;
        request.settled = true;
        signal?.removeEventListener('abort', onAbort);
        action();
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#queue.push(request);
      this.#schedulePump();
    }).catch((error: Error) => {
      this.#stats.failed++;
      throw error;
    });
  }

  /** The served model's lwganet metadata (null when the file carries none), for task pipelines. */
  get metadata(): ModelMetadata | null {
    return this.#executor.info.metadata;
  }

  /** Counters for monitoring and tests. */
  stats(): PoolStats {
    const { completed, failed, batches, items, largestBatch } = this.#stats;
    return { queued: this.#queue.length, running: this.#running, completed, failed, batches, meanBatchSize: batches === 0 ? 0 : items / batches, largestBatch };
  }

  /**
   * Stops accepting work (run() then rejects POOL_CLOSED), lets running forwards finish (and
   * their retries), rejects queued requests with POOL_CLOSED unless `drain` is true, then frees
   * the model (and stops the workers). Resolves when all that is done; calling again returns
   * the same promise.
   */
  close(options: PoolCloseOptions = {}): Promise<void> {
    if (this.#closing) return this.#closing;
    if (!options?.drain) {
      for (const request of this.#queue.splice(0)) request.reject(new LwganetError('POOL_CLOSED', 'InferencePool closed before this request started'));
    }
    this.#closing = new Promise<void>((resolve) => (this.#drained = resolve)).then(() => this.#executor.close());
    this.#pump();
    return this.#closing;
  }

  #abort(request: Request, error: LwganetError): void {
    const index = this.#queue.indexOf(request);
    if (index >= 0) this.#queue.splice(index, 1);
    // A running request's forward goes on (LibTorch cannot stop one); its rows are dropped.
    request.reject(error);
  }

  #schedulePump(): void {
    if (this.#pumpScheduled) return;
    this.#pumpScheduled = true;
    queueMicrotask(() => {
      this.#pumpScheduled = false;
      this.#pump();
    });
  }

  /** Starts every batch that may start now; arms the timer for the one that must wait. */
  #pump(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    while (this.#inFlight < this.#executor.slots && this.#queue.length > 0) {
      const head = this.#queue[0];
      const { group, ready } = this.#collect(head, this.#executor.slots - this.#inFlight);
      const wait = head.enqueuedAt + this.options.maxDelayMs - performance.now();
      if (!ready && !this.#closing && wait > 0) {
        this.#timer = setTimeout(() => this.#pump(), wait);
        break;
      }
      for (const request of group) this.#queue.splice(this.#queue.indexOf(request), 1);
      this.#dispatch(group);
    }
    if (this.#closing && this.#inFlight === 0 && this.#queue.length === 0) this.#drained?.();
  }

  /**
   * The head and compatible requests behind it, in FIFO order. Ready when a full batch is
   * waiting (otherwise the head may wait up to maxDelayMs for more). The waiting rows are
   * spread over the free slots rather than packed into one forward: on a CPU, two half
   * batches on two idle slots finish sooner than one full batch beside an idle slot.
   */
  #collect(head: Request, freeSlots: number): { group: Request[]; ready: boolean } {
    if (head.key === null || !this.#batchingOn) return { group: [head], ready: true };
    const compatible = this.#queue.filter((request) => request.key === head.key);
    const waiting = compatible.reduce((sum, request) => sum + request.rows, 0);
    const sizes = this.#executor.info.batchSizes;
    const cap = sizes === null ? this.options.maxBatch : batchCap(sizes, this.options.maxBatch);
    const target = Math.min(cap, Math.ceil(waiting / freeSlots));
    const group = [head];
    let rows = head.rows;
    for (const request of compatible) {
      if (request === head || rows + request.rows > target) continue;
      group.push(request);
      rows += request.rows;
    }
    return { group, ready: waiting >= cap };
  }

  #dispatch(group: Request[]): void {
    const live = group.filter((request) => !request.settled);
    if (live.length === 0) return;
    const rows = live.map((request) => request.rows);
    this.#inFlight++;
    this.#running += live.length;
    this.#stats.batches++;
    const items = rows.reduce((a, b) => a + b, 0);
    this.#stats.items += items;
    this.#stats.largestBatch = Math.max(this.#stats.largestBatch, items);
    // A compiled model runs its compiled batch sizes only: pad up to the next one, drop those rows after.
    const sizes = this.#executor.info.batchSizes;
    const size = sizes === null || live[0].key === null ? null : runSize(sizes, items);
    const padding = size === null ? 0 : size - items;
    const inputs = padRows(concatInputs(live.map((request) => request.inputs)), padding);
    this.#executor
      .forward(inputs, live.length > 1 || padding > 0)
      .then(
        (output) => this.#deliver(live, output, padding > 0 ? [...rows, padding] : rows),
        (error: Error) => (live.length > 1 ? this.#retryAlone(live) : live[0].reject(error)),
      )
      .catch((error: Error) => live.forEach((request) => request.reject(error)))
      .finally(() => {
        this.#inFlight--;
        this.#running -= live.length;
        this.#pump();
      });
  }

  #deliver(group: Request[], output: ModelOutput, rows: number[]): void {
    const parts = splitOutput(output, rows);
    if (parts === null) {
      this.#batchingOn = false; // this model's outputs do not split by item: run requests alone
      this.#retryAlone(group);
      return;
    }
    group.forEach((request, i) => {  // a padding part, if any, is the last and has no request
      if (request.settled) return;
      this.#stats.completed++;
      request.resolve(parts[i]);
    });
  }

  /** Puts a failed batch's requests back at the front, each to run on its own. */
  #retryAlone(group: Request[]): void {
    const alive = group.filter((request) => !request.settled);
    for (const request of alive) request.key = null;
    this.#queue.unshift(...alive);
  }
}

function aborted(signal: AbortSignal): LwganetError {
  return new LwganetError('ABORTED', 'InferencePool request was aborted', { cause: signal.reason });
}

/** Same as InferencePool.create. */
export function createInferencePool(modelPath: string, options?: InferencePoolOptions): Promise<InferencePool> {
  return InferencePool.create(modelPath, options);
}
