/**
 * Options shared by segment() and detectChanges(): checked once, defaults filled in, so the
 * pipelines work on one plain object.
 */

import { invalidArgument, LwganetError } from '../errors.js';
import { planTiles, resolveTiling, type TileGrid } from '../image/tiling.js';
import type { DecodeOptions } from '../image/types.js';
import type { ModelMetadata } from '../metadata.js';
import type { TaskModel } from './task-model.js';

/** Options of every dense pipeline. */
export interface DenseOptions {
  /** A model exported for the pipeline's task (loadModel() of an `lwganet export` file). */
  model: TaskModel;
  /** Tile side in pixels: a multiple of the model's tiling.tileMultiple, at least tiling.minTileSize. Default: the model's tiling.defaultTileSize. */
  tileSize?: number;
  /** Overlap between neighbouring tiles in pixels (0 … tileSize/2). Default: the model's tiling.defaultOverlap, at most tileSize/4. */
  overlap?: number;
  /** Tiles per forward pass. Default 2. */
  batchSize?: number;
  /** Decode options (pixel limit; bands and value range for GeoTIFFs). */
  decode?: DecodeOptions;
  /**
   * Largest scene accepted, in pixels (width × height), checked before any tile is read, like
   * sharp's limitInputPixels. The result (a mask of one byte per pixel, plus 4 bytes per class
   * and pixel with `scores`) grows with the scene even though tiles are read band by band.
   * Default DEFAULT_MAX_SCENE_PIXELS (400 megapixels, a 20000 × 20000 scene).
   */
  maxScenePixels?: number;
  /** Called after each batch of tiles with tiles done and the total. */
  onProgress?: (done: number, total: number) => void;
  /** Aborts between batches; the promise rejects with LwganetError ABORTED. */
  signal?: AbortSignal;
}

export interface ResolvedDense {
  tileSize: number;
  overlap: number;
  batchSize: number;
  decode: DecodeOptions;
  maxScenePixels: number;
  onProgress: ((done: number, total: number) => void) | null;
  signal: AbortSignal | null;
}

const COMMON = ['model', 'tileSize', 'overlap', 'batchSize', 'decode', 'maxScenePixels', 'onProgress', 'signal'];

/** Default scene limit of segment() and detectChanges(): 400 megapixels (a 400 MB mask). */
export const DEFAULT_MAX_SCENE_PIXELS = 400_000_000;

/** Validates the options object (unknown keys included) and resolves tile size and overlap for the model. */
export function resolveDenseOptions(options: DenseOptions, metadata: ModelMetadata, extra: readonly string[] = []): ResolvedDense {
  const known = new Set([...COMMON, ...extra]);
  for (const key of Object.keys(options)) if (!known.has(key)) throw invalidArgument(`options.${key}`, `one of ${[...known].join(', ')}`, key, 'range');
  if (options.onProgress !== undefined && typeof options.onProgress !== 'function') throw invalidArgument('onProgress', 'a function', options.onProgress);
  if (options.decode !== undefined && (typeof options.decode !== 'object' || options.decode === null)) throw invalidArgument('decode', 'an object', options.decode);
  if (options.signal !== undefined && !(options.signal instanceof AbortSignal)) throw invalidArgument('signal', 'an AbortSignal', options.signal);
  const batchSize = options.batchSize ?? 2;
  if (typeof batchSize !== 'number') throw invalidArgument('batchSize', 'a positive integer', batchSize);
  if (!Number.isSafeInteger(batchSize) || batchSize < 1) throw invalidArgument('batchSize', 'a positive integer', batchSize, 'range');
  const maxScenePixels = options.maxScenePixels ?? DEFAULT_MAX_SCENE_PIXELS;
  if (typeof maxScenePixels !== 'number') throw invalidArgument('maxScenePixels', 'a positive integer', maxScenePixels);
  if (!Number.isSafeInteger(maxScenePixels) || maxScenePixels < 1) throw invalidArgument('maxScenePixels', 'a positive integer', maxScenePixels, 'range');
  // parseMetadata() requires tiling for every tiled task: the exporter's config is its one source.
  const rule = metadata.tiling;
  if (!rule) throw new LwganetError('METADATA_INVALID', `Model metadata is invalid: a ${metadata.task} model has no tiling`);
  const { tileSize, overlap } = resolveTiling(rule, options.tileSize, options.overlap);
  return { tileSize, overlap, batchSize, decode: options.decode ?? {}, maxScenePixels, onProgress: options.onProgress ?? null, signal: options.signal ?? null };
}

/** Checks the options argument is an object before anything reads from it. */
export function requireOptions(options: unknown): asserts options is DenseOptions {
  if (typeof options !== 'object' || options === null) throw invalidArgument('options', 'an object with a model', options);
}

/** The tile grid for a width × height image under resolved options; IMAGE_TOO_LARGE past maxScenePixels. */
export function gridFor(width: number, height: number, resolved: ResolvedDense): TileGrid {
  if (width * height > resolved.maxScenePixels) {
    throw new LwganetError(
      'IMAGE_TOO_LARGE',
      `The scene is too large: ${width}×${height} = ${width * height} pixels exceeds maxScenePixels ${resolved.maxScenePixels} (the result grows with the scene; raise maxScenePixels if the memory is there, or cut the scene)`,
    );
  }
  return planTiles(width, height, resolved.tileSize, resolved.overlap);
}
