/**
 * Options shared by segment() and detectChanges(): checked once, defaults filled in, so the
 * pipelines work on one plain object.
 */

import { LwganetError } from '../errors.js';
import { planTiles, resolveTiling, type TileGrid } from '../image/tiling.js';
import type { InputSizeRule, ModelMetadata } from '../model/metadata.js';
import { type PipelineOptions, type ResolvedPipelineOptions, optionError, positiveIntegerOption, resolvePipelineOptions } from '../options.js';

/** Options of every dense pipeline. */
export interface DenseOptions extends PipelineOptions {
  /** Tile side in pixels: a multiple of the model's tiling.tileMultiple, at least tiling.minTileSize. Default: the model's tiling.defaultTileSize. */
  tileSize?: number;
  /** Overlap between neighbouring tiles in pixels (0 … tileSize/2). Default: the model's tiling.defaultOverlap, at most tileSize/4. */
  overlap?: number;
  /** Tiles per forward pass. Default 2. */
  batchSize?: number;
  /**
   * Largest scene accepted, in pixels (width × height), checked before any tile is read, like
   * sharp's limitInputPixels. The result (a mask of one byte per pixel, plus 4 bytes per class
   * and pixel with `scores`) grows with the scene even though tiles are read band by band.
   * Default DEFAULT_MAX_SCENE_PIXELS (400 megapixels, a 20000 × 20000 scene).
   */
  maxScenePixels?: number;
}

export interface ResolvedDense extends ResolvedPipelineOptions {
  tileSize: number;
  overlap: number;
  batchSize: number;
  maxScenePixels: number;
}

const DENSE_OPTION_NAMES = ['tileSize', 'overlap', 'batchSize', 'maxScenePixels'];

/** Default scene limit of segment() and detectChanges(): 400 megapixels (a 400 MB mask). */
export const DEFAULT_MAX_SCENE_PIXELS = 400_000_000;

/** Validates the options object (unknown keys included) and resolves tile size and overlap for the model. */
export function resolveDenseOptions(options: DenseOptions, metadata: ModelMetadata, extra: readonly string[] = []): ResolvedDense {
  const shared = resolvePipelineOptions(options, [...DENSE_OPTION_NAMES, ...extra]);
  const batchSize = positiveIntegerOption('batchSize', options.batchSize, 2);
  const maxScenePixels = positiveIntegerOption('maxScenePixels', options.maxScenePixels, DEFAULT_MAX_SCENE_PIXELS);
  // parseMetadata() requires tiling for every tiled task: the exporter's config is its one source.
  const rule = metadata.tiling;
  if (!rule) throw new LwganetError('METADATA_INVALID', `Model metadata is invalid: a ${metadata.task} model has no tiling`);
  const { tileSize, overlap } = resolveTiling(rule, options.tileSize, options.overlap);
  checkTileFitsInput(tileSize, metadata.input.size);
  return { ...shared, tileSize, overlap, batchSize, maxScenePixels };
}

/**
 * Every forward of a dense pipeline takes tileSize² tiles, so checking the tile against the
 * model's input size rule once here is the only input check they need (runTask skips orderInputs).
 */
function checkTileFitsInput(tile: number, size: InputSizeRule): void {
  if (size.rule === 'fixed') {
    if (tile !== size.width || tile !== size.height) throw optionError('tileSize', `${size.width} (this model's fixed ${size.width}×${size.height} input)`, tile, 'range');
    return;
  }
  const multiple = size.multipleOf ?? 1;
  if (tile < size.minWidth || tile < size.minHeight || tile % multiple !== 0) {
    throw optionError('tileSize', `a multiple of ${multiple} of at least ${Math.max(size.minWidth, size.minHeight)} (this model's input size rule)`, tile, 'range');
  }
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
