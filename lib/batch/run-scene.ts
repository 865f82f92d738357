/**
 * The one job both runners (local and queue worker) do per scene, idempotently: check the
 * manifest first (a scene finished under the same key with unchanged inputs and intact outputs
 * is skipped), else run it, write its output atomically, then its manifest record. A retried or
 * duplicated job therefore either skips or rewrites the same bytes to the same path.
 */

import { hostname } from 'node:os';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { LwganetError } from '../errors.js';
import { requireTask } from '../tasks/task-model.js';
import type { ModelTask } from '../model/metadata.js';
import { fileIdentity, type FileIdentity } from './identity.js';
import { isDone, writeRecord, type OutputRecord } from './manifest.js';
import type { ModelCache } from './model-cache.js';
import { processScene } from './scene-task.js';
import type { BatchSpec, BatchTask, Scene } from './spec.js';

export interface SceneOutcome {
  state: 'done' | 'skipped';
  outputs: OutputRecord[];
  ms: number;
}

export interface SceneFailure {
  code: string;
  message: string;
}

const MODEL_TASK: Record<BatchTask, ModelTask> = {
  classify: 'classification',
  segment: 'segmentation',
  change: 'change-detection',
  detect: 'rotated-detection',
};

/** Throws TASK_MISMATCH / METADATA_INVALID when the model was not exported for the batch task. */
export function requireModelFor(task: BatchTask, model: unknown): void {
  requireTask(model, MODEL_TASK[task]);
}

export const WORKER_NAME = `${hostname()}:${process.pid}`;

/** The code and message recorded for a failed scene. */
export function describeSceneError(error: unknown): SceneFailure {
  if (error instanceof LwganetError) return { code: error.code, message: error.message };
  if (error instanceof RangeError || error instanceof TypeError) return { code: 'INVALID_ARGUMENT', message: error.message };
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code; // e.g. a file system error's ENOSPC, EACCES
    return { code: typeof code === 'string' && code.length > 0 ? code : 'INTERNAL', message: error.message };
  }
  return { code: 'INTERNAL', message: String(error) };
}

async function identities(scene: Scene): Promise<FileIdentity[]> {
  return Promise.all(scene.inputs.map((input) => fileIdentity(input)));
}

/**
 * Runs one scene unless the manifest says it is done.
 * @throws (rejects) the scene's error (INPUT_NOT_FOUND, IMAGE_DECODE, MODEL_NOT_FOUND, TASK_MISMATCH, …)
 */
export async function runScene(spec: BatchSpec, key: string, scene: Scene, models: ModelCache, attempt = 1, signal?: AbortSignal): Promise<SceneOutcome> {
  const started = performance.now();
  const inputs = await identities(scene);
  const done = await isDone(spec.out, scene.id, key, inputs);
  if (done) return { state: 'skipped', outputs: done.outputs, ms: performance.now() - started };
  const { model } = await models.get(spec.model);
  requireModelFor(spec.task, model);
  const rel = await processScene(spec, scene, model, signal);
  const outputs = [{ path: rel, size: (await stat(join(spec.out, rel))).size }];
  const ms = performance.now() - started;
  await writeRecord(spec.out, { id: scene.id, state: 'done', key, inputs, outputs, attempts: attempt, by: WORKER_NAME, finishedAt: new Date().toISOString(), ms: Math.round(ms) });
  return { state: 'done', outputs, ms };
}

/** Records a scene's final failure in the manifest (best effort: the failure is also reported elsewhere). */
export async function recordFailure(spec: BatchSpec, key: string, scene: Scene, failure: SceneFailure, attempts: number, ms: number): Promise<void> {
  const inputs = await identities(scene).catch(() => scene.inputs.map((path) => ({ path, size: -1, mtimeMs: -1 })));
  await writeRecord(spec.out, { id: scene.id, state: 'failed', key, inputs, outputs: [], error: failure, attempts, by: WORKER_NAME, finishedAt: new Date().toISOString(), ms: Math.round(ms) }).catch(() => undefined);
}
