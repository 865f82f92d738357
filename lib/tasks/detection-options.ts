/**
 * Options of detect(): checked once, defaults filled in from the model's metadata
 * (tiling.* for the patch split, detection.* for thresholds), so the pipeline works on one
 * plain object.
 */

import { resolveTiling } from '../image/tiling.js';
import type { ModelMetadata, TilingSpec } from '../model/metadata.js';
import { type PipelineOptions, type ResolvedPipelineOptions, numberOption, resolvePipelineOptions } from '../options.js';

export interface DetectOptions extends PipelineOptions {
  /** Keep detections whose score is above this (0 … 1). Default: the model's detection.scoreThreshold (0.05). */
  scoreThreshold?: number;
  /** Patch side in pixels: a multiple of the model's tiling.tileMultiple, at least tiling.minTileSize. Default: tiling.defaultTileSize (1024). */
  tileSize?: number;
  /** Overlap of neighbouring patches in pixels (0 … tileSize/2). Default: tiling.defaultOverlap (200), at most tileSize/4. */
  overlap?: number;
  /** IoU above which the cross-patch merge (per-class rotated NMS) drops the lower-scored box. Default: the model's detection.nmsIouThreshold (0.1). */
  iouThreshold?: number;
}

export interface ResolvedDetect extends ResolvedPipelineOptions {
  scoreThreshold: number;
  iouThreshold: number;
  tileSize: number;
  overlap: number;
}

const DETECT_OPTION_NAMES = ['scoreThreshold', 'tileSize', 'overlap', 'iouThreshold'];

/** The DOTA "ss" (single-scale) split: 1024² patches overlapping by 200 for a model exported without a tiling rule. */
export const FALLBACK_DETECTION_TILING: TilingSpec = Object.freeze({ defaultTileSize: 1024, tileMultiple: 32, minTileSize: 32, defaultOverlap: 200 });

/** Validates the options (unknown keys included) and resolves the defaults for the model. */
export function resolveDetectOptions(options: DetectOptions, metadata: ModelMetadata): ResolvedDetect {
  const shared = resolvePipelineOptions(options, DETECT_OPTION_NAMES);
  // parseMetadata() guarantees the detection block of a rotated-detection model.
  const detection = metadata.detection!;
  const scoreThreshold = numberOption('scoreThreshold', options.scoreThreshold, detection.scoreThreshold, 0, 1);
  const iouThreshold = numberOption('iouThreshold', options.iouThreshold, detection.nmsIouThreshold, 0, 1);
  const { tileSize, overlap } = resolveTiling(metadata.tiling ?? FALLBACK_DETECTION_TILING, options.tileSize, options.overlap);
  return { ...shared, scoreThreshold, iouThreshold, tileSize, overlap };
}
