/**
 * Options of detect(): checked once, defaults filled in from the model's metadata
 * (tiling.* for the patch split, detection.* for thresholds), so the pipeline works on one
 * plain object.
 */

import { invalidArgument } from '../errors.js';
import { resolveTiling } from '../image/tiling.js';
import type { DecodeOptions } from '../image/types.js';
import type { ModelMetadata, TilingSpec } from '../metadata.js';
import type { TaskModel } from './task-model.js';

export interface DetectOptions {
  /** A rotated-detection model (loadModel() of an `lwganet export` file). */
  model: TaskModel;
  /** Keep detections whose score is above this (0 … 1). Default: the model's detection.scoreThreshold (0.05). */
  scoreThreshold?: number;
  /** Patch side in pixels: a multiple of the model's tiling.tileMultiple, at least tiling.minTileSize. Default: tiling.defaultTileSize (1024). */
  tileSize?: number;
  /** Overlap of neighbouring patches in pixels (0 … tileSize/2). Default: tiling.defaultOverlap (200), at most tileSize/4. */
  overlap?: number;
  /** IoU above which the cross-patch merge (per-class rotated NMS) drops the lower-scored box. Default: the model's detection.nmsIouThreshold (0.1). */
  iouThreshold?: number;
  /** Decode options (pixel limit; bands and value range for GeoTIFFs). */
  decode?: DecodeOptions;
  /** Called after each patch with patches done and the total. */
  onProgress?: (done: number, total: number) => void;
  /** Aborts between patches; the promise rejects with LwganetError ABORTED. */
  signal?: AbortSignal;
}

export interface ResolvedDetect {
  scoreThreshold: number;
  iouThreshold: number;
  tileSize: number;
  overlap: number;
  decode: DecodeOptions;
  onProgress: ((done: number, total: number) => void) | null;
  signal: AbortSignal | null;
}

const KNOWN = ['model', 'scoreThreshold', 'tileSize', 'overlap', 'iouThreshold', 'decode', 'onProgress', 'signal'];

/** The DOTA "ss" (single-scale) split: 1024² patches overlapping by 200 for a model exported without a tiling rule. */
export const FALLBACK_DETECTION_TILING: TilingSpec = Object.freeze({ defaultTileSize: 1024, tileMultiple: 32, minTileSize: 32, defaultOverlap: 200 });

function unitInterval(value: unknown, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number') throw invalidArgument(name, 'a number from 0 to 1', value);
  if (!(value >= 0 && value <= 1)) throw invalidArgument(name, 'a number from 0 to 1', value, 'range');
  return value;
}

/** Checks the options argument is an object before anything reads from it. */
export function requireDetectOptions(options: unknown): asserts options is DetectOptions {
  if (typeof options !== 'object' || options === null) throw invalidArgument('options', 'an object with a model', options);
}

/** Validates the options (unknown keys included) and resolves the defaults for the model. */
export function resolveDetectOptions(options: DetectOptions, metadata: ModelMetadata): ResolvedDetect {
  for (const key of Object.keys(options)) if (!KNOWN.includes(key)) throw invalidArgument(`options.${key}`, `one of ${KNOWN.join(', ')}`, key, 'range');
  if (options.onProgress !== undefined && typeof options.onProgress !== 'function') throw invalidArgument('onProgress', 'a function', options.onProgress);
  if (options.decode !== undefined && (typeof options.decode !== 'object' || options.decode === null)) throw invalidArgument('decode', 'an object', options.decode);
  if (options.signal !== undefined && !(options.signal instanceof AbortSignal)) throw invalidArgument('signal', 'an AbortSignal', options.signal);
  // parseMetadata() guarantees the detection block of a rotated-detection model.
  const detection = metadata.detection!;
  const scoreThreshold = unitInterval(options.scoreThreshold, 'scoreThreshold', detection.scoreThreshold);
  const iouThreshold = unitInterval(options.iouThreshold, 'iouThreshold', detection.nmsIouThreshold);
  const { tileSize, overlap } = resolveTiling(metadata.tiling ?? FALLBACK_DETECTION_TILING, options.tileSize, options.overlap);
  return { scoreThreshold, iouThreshold, tileSize, overlap, decode: options.decode ?? {}, onProgress: options.onProgress ?? null, signal: options.signal ?? null };
}
