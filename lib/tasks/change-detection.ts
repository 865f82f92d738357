/**
 * Change detection between two co-registered images of any size: both are tiled on the same
 * grid, each pair of tiles goes through forward(before, after), the outputs are blended
 * (dense-engine.ts) and turned into a change probability and a 0/1 mask row by row.
 *
 * Output conventions (from the model's metadata, outputs[0].kind):
 * - 1 channel, kind "logits": probability = sigmoid(logit);
 * - 1 channel, any other kind ("probability", as A2Net returns): the value is the probability;
 * - 2 channels, kind "logits" (CLAFA): probability = softmax(…)[1] = sigmoid(l1 − l0);
 *   2 channels of another kind: channel 1 is the probability.
 * Blending happens on the model's own output (logits are averaged as logits).
 */

import { LwganetError } from '../errors.js';
import { openBandSource, type BandSource } from '../image/band-source.js';
import { applyNodata } from './nodata.js';
import { tileCount } from '../image/tiling.js';
import type { GeoInfo, ImageInput } from '../image/types.js';
import { runTiled } from './dense-engine.js';
import { numberOption, requirePipelineOptions } from '../options.js';
import { gridFor, resolveDenseOptions, type DenseOptions } from './dense-options.js';
import { withJsonSummary } from './result-json.js';
import { requireTask } from './task-model.js';

/** Union of the two inputs' nodata flags. */
function mergeNodata(a: Uint8Array | null, b: Uint8Array | null): Uint8Array | null {
  if (a === null || b === null) return a ?? b;
  const out = new Uint8Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i] | b[i];
  return out;
}

export interface ChangeOptions extends DenseOptions {
  /** A pixel is "changed" when its probability is above this. Default 0.5 (as A2Net's test code). */
  threshold?: number;
}

/**
 * JSON.stringify(result) writes the pixel arrays as summaries ({ type, length, preview }), not
 * pixel by pixel; serialise `Array.from(result.mask)` yourself to keep every value.
 */
export interface ChangeResult {
  /** 1 where changed, 0 elsewhere; row-major, width × height. */
  mask: Uint8Array;
  /** Change probability per pixel. */
  probability: Float32Array;
  width: number;
  height: number;
  /** Number of pixels marked changed. */
  changedPixels: number;
  /** Georeferencing shared by both inputs (whichever has it), or null. */
  geo: GeoInfo | null;
  /** Mask value of pixels either input has no data for (255), or null when there are none; their probability is NaN. */
  noData: number | null;
  tiling: { tileSize: number; overlap: number; tiles: number };
}

function sameGrid(a: GeoInfo, b: GeoInfo): boolean {
  if (a.epsg !== b.epsg) return false;
  // Within a thousandth of a pixel: the same grid written by two tools may differ in the last bits.
  const tolerance = 1e-3 * Math.max(Math.abs(a.geoTransform[1]), Math.abs(a.geoTransform[5]), 1e-12);
  return a.geoTransform.every((v, i) => Math.abs(v - b.geoTransform[i]) <= tolerance);
}

/** Throws INPUT_SHAPE unless the two images cover the same pixel grid. */
export function checkCoregistered(before: BandSource, after: BandSource): void {
  if (before.width !== after.width || before.height !== after.height) {
    throw new LwganetError('INPUT_SHAPE', `Change detection needs two images of the same size, but "before" is ${before.width}×${before.height} and "after" is ${after.width}×${after.height}; resample them onto one grid first`);
  }
  if (before.geo && after.geo && !sameGrid(before.geo, after.geo)) {
    const crs = (g: GeoInfo) => (g.epsg === null ? 'a user-defined CRS' : `EPSG:${g.epsg}`);
    throw new LwganetError(
      'INPUT_SHAPE',
      `Change detection needs co-registered images, but "before" is in ${crs(before.geo)} with geotransform [${before.geo.geoTransform.join(', ')}] and "after" is in ${crs(after.geo)} with [${after.geo.geoTransform.join(', ')}]; reproject them onto one grid first`,
    );
  }
}

/** Per-pixel probability from blended outputs (see the conventions above). */
export function probabilityFunction(channels: number, kind: string | undefined): (values: Float32Array, stride: number, p: number) => number {
  const logits = kind === 'logits';
  if (channels === 1) return logits ? (v, _n, p) => 1 / (1 + Math.exp(-v[p])) : (v, _n, p) => v[p];
  if (channels === 2) return logits ? (v, s, p) => 1 / (1 + Math.exp(v[p] - v[s + p])) : (v, s, p) => v[s + p];
  throw new LwganetError('OUTPUT_UNSUPPORTED', `A change-detection model must return 1 or 2 channels, but this one returned ${channels}`);
}

/**
 * Detects changes between two images of the same scene.
 * @param before the earlier image (path, Buffer, raw pixels or decoded image); fed as the model's first input
 * @param after the later image, same size and (for GeoTIFFs) same CRS and geotransform
 * @param options the change-detection model, tileSize, overlap, batchSize, threshold, decode, onProgress, signal
 * @throws (rejects) INPUT_SHAPE for images of different sizes or grids, TASK_MISMATCH,
 *   IMAGE_DECODE / IMAGE_TOO_LARGE, OUTPUT_UNSUPPORTED, ABORTED, TypeError/RangeError for bad options.
 */
export async function detectChanges(before: ImageInput, after: ImageInput, options: ChangeOptions): Promise<ChangeResult> {
  requirePipelineOptions(options);
  const metadata = requireTask(options.model, 'change-detection');
  const resolved = resolveDenseOptions(options, metadata, ['threshold']);
  const threshold = numberOption('threshold', options.threshold, 0.5, 0, 1);
  const [a, b] = await Promise.all([openBandSource(before, resolved.decode), openBandSource(after, resolved.decode)]);
  checkCoregistered(a, b);
  const { width, height } = a;
  const grid = gridFor(width, height, resolved);
  const mask = new Uint8Array(width * height);
  const probability = new Float32Array(width * height);
  let changedPixels = 0;
  const kind = metadata.outputs?.[0]?.kind;
  await runTiled({
    model: options.model,
    metadata,
    sources: [a, b],
    grid,
    batchSize: resolved.batchSize,
    signal: resolved.signal,
    onProgress: resolved.onProgress,
    emit(top, rows, values, channels, stride) {
      const probabilityOf = probabilityFunction(channels, kind);
      const n = rows * width;
      const offset = top * width;
      for (let p = 0; p < n; p++) {
        const q = probabilityOf(values, stride, p);
        probability[offset + p] = q;
        if (q > threshold) {
          mask[offset + p] = 1;
          changedPixels++;
        }
      }
    },
  });
  const nodata = mergeNodata(a.nodataMask(), b.nodataMask());
  if (nodata) for (let i = 0; i < nodata.length; i++) if (nodata[i] && mask[i] === 1) changedPixels--;
  const noData = applyNodata(nodata, mask, [probability]);
  const result: ChangeResult = { mask, probability, width, height, changedPixels, geo: a.geo ?? b.geo, noData, tiling: { tileSize: grid.tileSize, overlap: grid.overlap, tiles: tileCount(grid) } };
  return withJsonSummary(result);
}
