/**
 * What one batch is, in a form that crosses process and machine boundaries unchanged (it is the
 * payload of every queue job): the task, the model (a path or an http(s) URL), the output
 * directory and the task options, plus the scenes, each one or two input files.
 */

import { resolve } from 'node:path';
import { invalidArgument } from '../errors.js';

export const BATCH_TASKS = ['classify', 'segment', 'change', 'detect'] as const;
export type BatchTask = (typeof BATCH_TASKS)[number];

/** Per-task options; every field optional, the task pipeline's defaults apply. */
export interface BatchTaskOptions {
  /** segment, change, detect: tile (patch) side in pixels. */
  tileSize?: number;
  /** segment, change, detect: overlap between tiles in pixels. */
  overlap?: number;
  /** segment, change: tiles per forward. */
  batchSize?: number;
  /** classify: classes kept per scene. */
  topK?: number;
  /** change: probability above which a pixel is changed. */
  threshold?: number;
  /** detect: lowest score kept. */
  scoreThreshold?: number;
}

export interface BatchSpec {
  task: BatchTask;
  /** Absolute model path, or an http(s) URL every worker downloads once into its cache. */
  model: string;
  /** Absolute output directory, reachable by every worker. */
  out: string;
  options: BatchTaskOptions;
}

/** One unit of work: its stable id (also its output name) and its input files (two for change). */
export interface Scene {
  id: string;
  inputs: string[];
}

export function isBatchTask(value: unknown): value is BatchTask {
  return typeof value === 'string' && (BATCH_TASKS as readonly string[]).includes(value);
}

/** Inputs each scene of a task has. */
export function inputsPerScene(task: BatchTask): number {
  return task === 'change' ? 2 : 1;
}

/** Checks a task name up front (an unknown task never reaches a queue). */
export function requireTaskName(task: unknown): BatchTask {
  if (!isBatchTask(task)) throw invalidArgument('task', `one of ${BATCH_TASKS.join(', ')}`, task, typeof task === 'string' ? 'range' : 'type');
  return task;
}

/** A spec with absolute paths (what crosses to workers). */
export function makeSpec(task: string, model: string, out: string, options: BatchTaskOptions = {}): BatchSpec {
  return { task: requireTaskName(task), model: /^https?:\/\//i.test(model) ? model : resolve(model), out: resolve(out), options };
}
