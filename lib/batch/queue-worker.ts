/**
 * `lwganet worker`: consumes scene jobs from a BullMQ queue with its own InferencePool and
 * model cache (each model loaded once per worker, by path or URL). Jobs run through runScene(),
 * so a job that was already done (a duplicate, or a stalled job whose worker died after
 * finishing) is skipped. A worker that dies mid-job loses its lock; BullMQ's stalled-job check
 * puts the job back for another worker. close() is the graceful stop: no new job is taken,
 * the running ones finish, then the models are freed.
 */

import { UnrecoverableError, Worker, type Job } from 'bullmq';
import { resolvePoolOptions, type InferencePoolOptions } from '../pool/pool-options.js';
import type { BatchEvent } from './events.js';
import { ModelCache } from './model-cache.js';
import type { QueueAddress } from './queue-address.js';
import { requireJobData, type SceneJobData } from './queue-jobs.js';
import { connectRedis } from './redis-connection.js';
import { describeSceneError, recordFailure, runScene, WORKER_NAME } from './run-scene.js';

export interface QueueWorkerOptions {
  /** Jobs run at once. Default: the pool's workers (forwards at once). */
  concurrency?: number;
  pool?: InferencePoolOptions;
  /** How long a job's lock lasts without renewal; a dead worker's job is recovered after about this. Default 30000. */
  lockDurationMs?: number;
  /** How often workers look for stalled jobs. Default 30000. */
  stalledIntervalMs?: number;
  onEvent?: (event: BatchEvent) => void;
  /** Errors of the connection or the worker loop (they are retried; this only reports them). */
  onError?: (error: Error) => void;
}

export interface QueueWorkerHandle {
  /** Graceful stop: takes no new job, finishes the running ones, frees the models. */
  close(): Promise<void>;
}

export interface SceneJobResult {
  state: 'done' | 'skipped';
  outputs: string[];
}

export async function startQueueWorker(address: QueueAddress, options: QueueWorkerOptions = {}): Promise<QueueWorkerHandle> {
  const emit = options.onEvent ?? (() => {});
  const models = new ModelCache(options.pool);
  const connection = await connectRedis(address);
  const concurrency = options.concurrency ?? resolvePoolOptions(options.pool).workers;

  const process = async (job: Job<SceneJobData>): Promise<SceneJobResult> => {
    let data: SceneJobData;
    try {
      data = requireJobData(job.data);
    } catch (error) {
      const failure = describeSceneError(error);
      throw new UnrecoverableError(`${failure.message} [${failure.code}]`); // retrying cannot fix it
    }
    const { spec, key, scene } = data;
    const attempt = job.attemptsMade + 1;
    const began = performance.now();
    emit({ type: 'scene-start', id: scene.id, attempt, worker: WORKER_NAME });
    try {
      const outcome = await runScene(spec, key, scene, models, attempt);
      if (outcome.state === 'skipped') emit({ type: 'scene-skipped', id: scene.id, worker: WORKER_NAME });
      else emit({ type: 'scene-done', id: scene.id, outputs: outcome.outputs.map((o) => o.path), ms: Math.round(outcome.ms), attempt, worker: WORKER_NAME });
      return { state: outcome.state, outputs: outcome.outputs.map((o) => o.path) };
    } catch (error) {
      const failure = describeSceneError(error);
      const final = attempt >= (job.opts.attempts ?? 1);
      if (final) await recordFailure(spec, key, scene, failure, attempt, performance.now() - began);
      emit({ type: 'scene-failed', id: scene.id, ...failure, attempt, final, worker: WORKER_NAME });
      throw new Error(`${failure.message} [${failure.code}]`);
    }
  };

  const worker = new Worker<SceneJobData, SceneJobResult>(address.name, process, {
    connection,
    concurrency,
    name: WORKER_NAME,
    lockDuration: options.lockDurationMs ?? 30_000,
    stalledInterval: options.stalledIntervalMs ?? 30_000,
    // After a lost connection, try again soon: Redis restarts are short.
    runRetryDelay: 1000,
    autorun: true,
  });
  worker.on('error', (error) => options.onError?.(error));

  let closing: Promise<void> | undefined;
  return {
    close() {
      closing ??= (async () => {
        await worker.close();
        await models.close();
        connection.disconnect();
      })();
      return closing;
    },
  };
}
