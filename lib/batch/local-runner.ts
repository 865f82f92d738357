/**
 * runBatch(): a whole archive on this machine. One InferencePool (sized to the machine unless
 * told) serves every scene; a few scenes run at once so decoding and writing overlap forwards,
 * and their tiles batch together in the pool. Resumable through the manifest (manifest.ts):
 * a rerun skips finished scenes and redoes the rest. A scene's failure is recorded and the
 * batch goes on. Aborting the signal stops starting scenes; running ones finish and are
 * recorded, the rest count as not run.
 */

import { mkdir } from 'node:fs/promises';
import { invalidArgument } from '../errors.js';
import type { InferencePoolOptions } from '../pool/pool-options.js';
import { type BatchEvent, type BatchSummary, writeSummary } from './events.js';
import { batchKey } from './identity.js';
import { resolveScenes, type SceneSources } from './inputs.js';
import { ModelCache } from './model-cache.js';
import { describeSceneError, recordFailure, requireModelFor, runScene, WORKER_NAME } from './run-scene.js';
import { type BatchTaskOptions, makeSpec, type Scene } from './spec.js';
import { removeStaleTemps } from './stale-temps.js';

export interface RunBatchOptions extends SceneSources {
  task: string;
  /** Model file path or http(s) URL. */
  model: string;
  /** Output directory (created if missing); holds outputs, the manifest and batch-summary.json. */
  out: string;
  /** Scenes given directly (instead of, or besides, the sources). */
  scenes?: Scene[];
  options?: BatchTaskOptions;
  /** Pool options (workers = forwards at once; default: the pool's machine-sized default). */
  pool?: InferencePoolOptions;
  /** Scenes in flight at once. Default: twice the pool's workers. */
  concurrency?: number;
  signal?: AbortSignal;
  onEvent?: (event: BatchEvent) => void;
}


/**
 * Runs a batch on this machine and resolves with its summary (also written to OUT/batch-summary.json).
 * @throws (rejects) up front, before any scene runs: BATCH_INPUT_INVALID (unreadable or bad
 *   sources), MODEL_NOT_FOUND / MODEL_CORRUPT / TASK_MISMATCH (the model cannot serve the task),
 *   TypeError/RangeError (unknown task, bad options). Scene failures never reject.
 */
export async function runBatch(options: RunBatchOptions): Promise<BatchSummary> {
  if (typeof options !== 'object' || options === null) throw invalidArgument('options', 'an object', options);
  const spec = makeSpec(options.task, options.model, options.out, options.options);
  const concurrencyOption = options.concurrency;
  if (concurrencyOption !== undefined && (!Number.isSafeInteger(concurrencyOption) || concurrencyOption < 1)) throw invalidArgument('concurrency', 'a positive integer', concurrencyOption, 'range');
  const sourced = options.inputs?.length || options.list || options.stac || options.pairs || options.beforeList || options.afterList;
  const scenes = [...(options.scenes ?? []), ...(sourced || !options.scenes ? await resolveScenes(spec.task, options) : [])];
  const emit = options.onEvent ?? (() => {});
  const startedAt = new Date();
  const models = new ModelCache(options.pool);
  const summary: BatchSummary = {
    task: spec.task, model: spec.model, out: spec.out, total: scenes.length, done: 0, skipped: 0, failed: 0, notRun: 0,
    interrupted: false, seconds: 0, scenesPerSecond: 0, failures: [], startedAt: startedAt.toISOString(), finishedAt: '',
  };
  try {
    // The model is checked before anything is written: a batch it cannot serve fails up front.
    const { pool, model } = await models.get(spec.model);
    requireModelFor(spec.task, model);
    await mkdir(spec.out, { recursive: true });
    await removeStaleTemps(spec.out);
    const key = await batchKey(spec);
    const concurrency = concurrencyOption ?? pool.options.workers * 2;
    emit({ type: 'start', task: spec.task, model: spec.model, out: spec.out, total: scenes.length, workers: pool.options.workers });
    let next = 0;
    const lane = async () => {
      while (next < scenes.length && !options.signal?.aborted) {
        const scene = scenes[next++];
        const began = performance.now();
        emit({ type: 'scene-start', id: scene.id, attempt: 1, worker: WORKER_NAME });
        try {
          const outcome = await runScene(spec, key, scene, models, 1);
          if (outcome.state === 'skipped') {
            summary.skipped++;
            emit({ type: 'scene-skipped', id: scene.id, worker: WORKER_NAME });
          } else {
            summary.done++;
            emit({ type: 'scene-done', id: scene.id, outputs: outcome.outputs.map((o) => o.path), ms: Math.round(outcome.ms), attempt: 1, worker: WORKER_NAME });
          }
        } catch (error) {
          const failure = describeSceneError(error);
          await recordFailure(spec, key, scene, failure, 1, performance.now() - began);
          summary.failed++;
          summary.failures.push({ id: scene.id, ...failure });
          emit({ type: 'scene-failed', id: scene.id, ...failure, attempt: 1, final: true, worker: WORKER_NAME });
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, scenes.length) }, lane));
  } finally {
    await models.close();
  }
  summary.notRun = summary.total - summary.done - summary.skipped - summary.failed;
  summary.interrupted = summary.notRun > 0;
  const finished = new Date();
  summary.finishedAt = finished.toISOString();
  summary.seconds = (finished.getTime() - startedAt.getTime()) / 1000;
  summary.scenesPerSecond = summary.seconds > 0 ? summary.done / summary.seconds : 0;
  await writeSummary(summary);
  emit({ type: 'summary', summary });
  return summary;
}
