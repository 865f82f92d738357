/**
 * Semantic segmentation of images of any size: tiled, blended inference (dense-engine.ts)
 * reduced row by row to a class-index mask, so only the mask (1 byte per pixel) and, on
 * request, the per-class probability maps grow with the scene.
 *
 * Logits from overlapping tiles are blended before the argmax; `scores` are the softmax of the
 * blended logits. Ties in the argmax go to the lower class index.
 */

import { LwganetError } from '../errors.js';
import { openBandSource } from '../image/band-source.js';
import { MASK_NODATA, applyNodata } from './nodata.js';
import type { GeoInfo, ImageInput } from '../image/types.js';
import type { ModelMetadata, Palette } from '../model/metadata.js';
import { defaultPalette } from '../output/palette.js';
import { runTiled } from './dense-engine.js';
import { booleanOption, requirePipelineOptions } from '../options.js';
import { gridFor, resolveDenseOptions, type DenseOptions } from './dense-options.js';
import { withJsonSummary } from './result-json.js';
import { requireTask } from './task-model.js';
import { tileCount } from '../image/tiling.js';

export interface SegmentOptions extends DenseOptions {
  /** Also return per-class probability maps (softmax of the blended logits). Default false. */
  scores?: boolean;
}

/**
 * JSON.stringify(result) writes the pixel arrays as summaries ({ type, length, preview }), not
 * pixel by pixel; serialise `Array.from(result.mask)` yourself to keep every value.
 */
export interface SegmentationResult {
  /** Class index per pixel, row-major, width × height. */
  mask: Uint8Array;
  width: number;
  height: number;
  /** Label of each class index (the index as a string when the model has no labels). */
  labels: string[];
  /** Colour of each class index (the model's palette, else the PASCAL VOC colour map). */
  palette: Palette;
  /** With `scores: true`: one width × height probability map per class. */
  scores?: Float32Array[];
  /** Georeferencing of the input (GeoTIFF), or null. */
  geo: GeoInfo | null;
  /** Mask value of pixels the input has no data for (255), or null when there are none; their scores are NaN. */
  noData: number | null;
  /** How the image was tiled. */
  tiling: { tileSize: number; overlap: number; tiles: number };
}

function labelsFor(metadata: ModelMetadata, classes: number): string[] {
  if (!metadata.labels) return Array.from({ length: classes }, (_, i) => String(i));
  if (metadata.labels.length !== classes) {
    throw new LwganetError('METADATA_INVALID', `Model metadata is invalid: it lists ${metadata.labels.length} labels but the model outputs ${classes} classes`);
  }
  return [...metadata.labels];
}

/** Argmax over `channels` planes (plane k at k·stride) of `n` pixels into mask[offset …]; optional softmax into scores. */
export function reduceLogits(values: Float32Array, channels: number, stride: number, n: number, mask: Uint8Array, offset: number, scores: Float32Array[] | null): void {
  for (let p = 0; p < n; p++) {
    let best = 0;
    let max = values[p];
    for (let k = 1; k < channels; k++) {
      const v = values[k * stride + p];
      if (v > max) {
        max = v;
        best = k;
      }
    }
    mask[offset + p] = best;
    if (scores) {
      let sum = 0;
      for (let k = 0; k < channels; k++) sum += Math.exp(values[k * stride + p] - max);
      for (let k = 0; k < channels; k++) scores[k][offset + p] = Math.exp(values[k * stride + p] - max) / sum;
    }
  }
}

/**
 * Segments one image of any size.
 * @param image a path, Buffer (JPEG, PNG, WebP, TIFF, GeoTIFF), raw pixels or a decoded image.
 *   GeoTIFF files are read by windows, one band of tiles at a time; other inputs are decoded
 *   whole. Grey, 2- and 4-band inputs become RGB and 16-bit samples 8-bit as decodeImage() documents.
 * @param options the segmentation model, tileSize, overlap, batchSize, scores, decode, onProgress, signal
 * @throws (rejects) TASK_MISMATCH / METADATA_INVALID for a model that is not a segmentation
 *   model, IMAGE_DECODE / IMAGE_TOO_LARGE for bad images, OUTPUT_UNSUPPORTED for a model whose
 *   output is not [N, classes, tile, tile], ABORTED, TypeError/RangeError for bad options.
 */
export async function segment(image: ImageInput, options: SegmentOptions): Promise<SegmentationResult> {
  requirePipelineOptions(options);
  const metadata = requireTask(options.model, 'segmentation');
  const resolved = resolveDenseOptions(options, metadata, ['scores']);
  const wantScores = booleanOption('scores', options.scores, false);
  const source = await openBandSource(image, resolved.decode);
  const { width, height } = source;
  const grid = gridFor(width, height, resolved);
  const mask = new Uint8Array(width * height);
  let scores: Float32Array[] | null = null;
  const classes = await runTiled({
    model: options.model,
    metadata,
    sources: [source],
    grid,
    batchSize: resolved.batchSize,
    signal: resolved.signal,
    onProgress: resolved.onProgress,
    emit(top, rows, values, channels, stride) {
      if (channels > 256) throw new LwganetError('OUTPUT_UNSUPPORTED', `The model returns ${channels} classes; a Uint8Array mask holds at most 256`);
      if (wantScores && scores === null) scores = Array.from({ length: channels }, () => new Float32Array(width * height));
      reduceLogits(values, channels, stride, rows * width, mask, top * width, scores);
    },
  });
  if (classes >= MASK_NODATA && source.nodataMask() !== null) throw new LwganetError('OUTPUT_UNSUPPORTED', `The model returns ${classes} classes; with nodata in the input the mask keeps ${MASK_NODATA} for nodata`);
  const noData = applyNodata(source.nodataMask(), mask, scores ?? []);
  const labels = labelsFor(metadata, classes);
  const palette = metadata.palette ? metadata.palette.map((c) => [...c] as [number, number, number]) : defaultPalette(classes);
  const result: SegmentationResult = {
    mask,
    width,
    height,
    labels,
    palette,
    geo: source.geo,
    noData,
    tiling: { tileSize: grid.tileSize, overlap: grid.overlap, tiles: tileCount(grid) },
  };
  if (scores) result.scores = scores;
  return withJsonSummary(result);
}
