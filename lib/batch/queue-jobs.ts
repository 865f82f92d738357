/**
 * The queue job of one scene: its data (everything a worker on another machine needs) and its
 * id. The id is a hash of the batch key and the scene id, so enqueuing the same batch twice
 * adds nothing (BullMQ ignores a job whose id is already in the queue) and a scene is one job.
 */

import { createHash } from 'node:crypto';
import { LwganetError } from '../errors.js';
import { type BatchSpec, isBatchTask, type Scene } from './spec.js';

export interface SceneJobData {
  spec: BatchSpec;
  key: string;
  scene: Scene;
}

export const SCENE_JOB = 'scene';

export function sceneJobId(key: string, sceneId: string): string {
  return createHash('sha1').update(`${key}\0${sceneId}`).digest('hex');
}

/** Checks a job's data before a worker acts on it (a queue is shared; anything may be in it). */
export function requireJobData(data: unknown): SceneJobData {
  const d = data as Partial<SceneJobData> | null;
  const ok =
    typeof d === 'object' && d !== null &&
    typeof d.key === 'string' &&
    typeof d.spec === 'object' && d.spec !== null && isBatchTask(d.spec.task) && typeof d.spec.model === 'string' && typeof d.spec.out === 'string' &&
    typeof d.spec.options === 'object' && d.spec.options !== null &&
    typeof d.scene === 'object' && d.scene !== null && typeof d.scene.id === 'string' && Array.isArray(d.scene.inputs) && d.scene.inputs.every((i) => typeof i === 'string');
  if (!ok) throw new LwganetError('BATCH_INPUT_INVALID', 'This job is not an lwganet batch scene (task, model, out, options, scene id and inputs expected)');
  return d as SceneJobData;
}
