/**
 * Where the pool's forwards run. Both executors offer `slots` concurrent forwards and the
 * same model description, so the pool's queueing and batching do not depend on the choice:
 *
 * - NativeExecutor: one Model in the calling thread; its run() already executes on the
 *   addon's native inference threads, so concurrency costs no copies and no thread hops.
 * - WorkerExecutor: N worker_threads, each with its own Model handle on the same file (the
 *   native cache keeps one copy of the weights); inputs and outputs are copied across threads.
 */

import fs from 'node:fs';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { PACKAGE_ROOT } from '../package-root.js';
import { LwganetError } from '../errors.js';
import type { ModelMetadata } from '../model/metadata.js';
import { type ForwardArgument, type ModelOutput, loadModel, type Model } from '../model/model.js';
import { RUN_ORDERED } from '../model/run-ordered.js';
import type { OrderedInputs } from './batching.js';
import { compiledBatchSizes } from './compiled-batches.js';
import type { ThreadPolicy } from '../model/thread-policy.js';
import { type FromWorker, type ForwardMessage, type ResultMessage, type WorkerConfig, fromWireError, fromWireValue, toWireTensor, transferList } from './messages.js';

/** What the pool validates requests against. */
export interface ModelInfo {
  readonly inputs: readonly ForwardArgument[];
  readonly metadata: ModelMetadata | null;
  readonly dtype: 'float32' | 'float16';
  /** A compiled (.pt2) model's static batch sizes when it has no dynamic entry; null: any batch. */
  readonly batchSizes: readonly number[] | null;
}

export interface Executor {
  readonly slots: number;
  readonly info: ModelInfo;
  /** `owned`: the pool built these tensors (a batch) and nobody else holds them. */
  forward(inputs: OrderedInputs, owned: boolean): Promise<ModelOutput>;
  /** Called once no forward is in flight. */
  close(): Promise<void>;
}

export interface ExecutorConfig {
  modelPath: string;
  device: string;
  workers: number;
  threadsPerWorker: number;
  threadPolicy: ThreadPolicy;
  warmup: boolean;
}

export class NativeExecutor implements Executor {
  readonly slots: number;
  readonly info: ModelInfo;
  readonly #model: Model;

  private constructor(model: Model, slots: number) {
    this.#model = model;
    this.slots = slots;
    this.info = { inputs: model.inputs, metadata: model.metadata, dtype: model.dtype, batchSizes: compiledBatchSizes(model) };
  }

  static async create(config: ExecutorConfig): Promise<NativeExecutor> {
    const model = await loadModel(config.modelPath, { device: config.device, threads: config.threadsPerWorker, threadPolicy: config.threadPolicy, warmup: config.warmup });
    return new NativeExecutor(model, config.workers);
  }

  forward(inputs: OrderedInputs, _owned: boolean): Promise<ModelOutput> {
    // The pool checked every request with orderInputs() when it was queued.
    return this.#model[RUN_ORDERED](inputs);
  }

  async close(): Promise<void> {
    this.#model.dispose();
  }
}

/**
 * The compiled worker entry. Under vitest the pool itself runs from lib/*.ts, which a Worker
 * cannot execute, so the compiled copy in dist/ is used then (built by `npm run build:ts`).
 */
function workerScript(): string {
  const beside = path.join(__dirname, 'pool-worker.js');
  if (fs.existsSync(beside)) return beside;
  return path.join(PACKAGE_ROOT, 'dist', 'pool', 'pool-worker.js');
}

interface PoolThread {
  worker: Worker;
  busy: boolean;
  pending?: { id: number; resolve: (output: ModelOutput) => void; reject: (error: Error) => void };
}

export class WorkerExecutor implements Executor {
  readonly slots: number;
  readonly info: ModelInfo;
  readonly #threads: PoolThread[];
  #nextId = 0;

  private constructor(threads: PoolThread[], info: ModelInfo) {
    this.#threads = threads;
    this.slots = threads.length;
    this.info = info;
    for (const thread of threads) {
      this.#listen(thread);
      // An idle worker must not keep the process alive (a forgotten close() would hang the exit);
      // a worker with a forward in flight does, as the native executor's pending jobs do.
      thread.worker.unref();
    }
  }

  static async create(config: ExecutorConfig): Promise<WorkerExecutor> {
    const script = workerScript();
    const workerData: WorkerConfig = { modelPath: config.modelPath, device: config.device, threads: config.threadsPerWorker, threadPolicy: config.threadPolicy, warmup: config.warmup };
    const workers = Array.from({ length: config.workers }, () => new Worker(script, { workerData }));
    const started = await Promise.allSettled(workers.map((worker) => waitReady(worker)));
    const failed = started.find((result) => result.status === 'rejected');
    if (failed) {
      await Promise.all(workers.map((worker) => worker.terminate()));
      throw (failed as PromiseRejectedResult).reason;
    }
    const info = (started[0] as PromiseFulfilledResult<ModelInfo>).value;
    return new WorkerExecutor(workers.map((worker) => ({ worker, busy: false })), info);
  }

  forward(inputs: OrderedInputs, owned: boolean): Promise<ModelOutput> {
    // The pool never has more forwards in flight than slots, so an idle thread exists.
    const thread = this.#threads.find((candidate) => !candidate.busy);
    if (!thread) return Promise.reject(new LwganetError('FORWARD_FAILED', 'No pool worker is available (a worker thread died)'));
    const id = this.#nextId++;
    const wire = inputs.map((input) => (input === null ? null : toWireTensor(input)));
    const message: ForwardMessage = { type: 'forward', id, inputs: wire };
    return new Promise<ModelOutput>((resolve, reject) => {
      thread.busy = true;
      thread.pending = { id, resolve, reject };
      thread.worker.ref();
      // A batch the pool stacked is moved; an unbatched request is the caller's own memory,
      // which must stay usable, so the structured clone copies it instead.
      thread.worker.postMessage(message, owned ? transferList(wire) : []);
    });
  }

  #listen(thread: PoolThread): void {
    thread.worker.on('message', (message: FromWorker) => {
      if (message.type !== 'result' || !thread.pending || thread.pending.id !== message.id) return;
      this.#settle(thread, message);
    });
    // A dead worker fails its forward and is never picked again (busy stays true); the pool
    // retries that batch's requests one by one on the remaining workers.
    const fail = (error: Error) => {
      const pending = thread.pending;
      thread.pending = undefined;
      thread.busy = true;
      thread.worker.unref();
      pending?.reject(new LwganetError('FORWARD_FAILED', `Pool worker stopped: ${error.message}`));
    };
    thread.worker.on('error', fail);
    thread.worker.on('exit', (code) => fail(new Error(`exit code ${code}`)));
  }

  #settle(thread: PoolThread, message: ResultMessage): void {
    const pending = thread.pending!;
    thread.pending = undefined;
    thread.busy = false;
    thread.worker.unref();
    if (message.error) pending.reject(fromWireError(message.error));
    else pending.resolve(fromWireValue(message.output ?? null));
  }

  async close(): Promise<void> {
    await Promise.all(this.#threads.map((thread) => thread.worker.terminate()));
  }
}

function waitReady(worker: Worker): Promise<ModelInfo> {
  return new Promise((resolve, reject) => {
    const onMessage = (message: FromWorker) => {
      worker.off('error', onError);
      if (message.type === 'ready') resolve({ inputs: message.inputs, metadata: message.metadata, dtype: message.dtype, batchSizes: message.batchSizes });
      else if (message.type === 'load-failed') reject(fromWireError(message.error));
    };
    const onError = (error: Error) => reject(new LwganetError('FORWARD_FAILED', `Pool worker failed to start: ${error.message}`, { cause: error }));
    worker.once('message', onMessage);
    worker.once('error', onError);
  });
}

