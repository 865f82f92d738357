/**
 * Oriented object detection on images of any size (the DOTA "ss" protocol: single scale, 1024² patches overlapping by 200, merged by per-class rotated NMS):
 * the image is split into tileSize² patches overlapping by `overlap` pixels — windows every
 * tileSize − overlap pixels, the last one of a row/column shifted back to end at the image
 * border — each patch goes through the detector on its own, the boxes are shifted back by the
 * patch offset and merged across patches by per-class rotated NMS (detection-candidates.ts).
 *
 * Patches are fed at their own size: border patches of an image that is not a multiple of the
 * step are full-size anyway (the last window is shifted), and an image smaller than a patch
 * runs as one patch of its own size. That one is not padded to tileSize: the detector pads to a
 * multiple of 32 internally with zeros in normalised space, which is the mean colour DOTA's
 * split pads with, but only up to the next multiple of 32, so near the image border the
 * features (and boxes) can differ slightly from DOTA's pad-to-1024 protocol. Only an image
 * below the model's minimum input size is padded here, with that same value (patch-input.ts).
 *
 * Memory: one patch of pixels and its tensor at a time (GeoTIFF files are read by windows; other
 * inputs are decoded whole), plus the candidate boxes.
 */

import { LwganetError } from '../errors.js';
import { openBandSource } from '../image/band-source.js';
import { buildLookupTables } from '../image/normalize.js';
import { planTiles, tileCount } from '../image/tiling.js';
import type { GeoInfo, ImageInput } from '../image/types.js';
import type { ModelMetadata, Palette } from '../model/metadata.js';
import { detectionPalette } from '../output/detection-palette.js';
import { DetectionCandidates, type Detection } from './detection-candidates.js';
import { requirePipelineOptions } from '../options.js';
import { resolveDetectOptions, type DetectOptions } from './detection-options.js';
import { detectorOutputNames, readDetectorOutput } from './detector-output.js';
import { patchInputSize, patchTensor } from './patch-input.js';
import { requireTask, runTask } from './task-model.js';

export type { Detection } from './detection-candidates.js';
export type { DetectOptions } from './detection-options.js';

export interface DetectionResult {
  /** Size of the image, pixels. */
  width: number;
  height: number;
  /** Merged detections in image pixels, by descending score. */
  detections: Detection[];
  /** Label of each class index (the index as a string when the model has no labels). */
  labels: string[];
  /** A colour per class index for drawing: the model's palette, else detectionPalette(). */
  palette: Palette;
  /** Georeferencing of the input (GeoTIFF), or null. */
  geo: GeoInfo | null;
  /** How the image was split and the thresholds applied. */
  tiling: { tileSize: number; overlap: number; tiles: number };
  scoreThreshold: number;
  iouThreshold: number;
}

function checkAborted(signal: AbortSignal | null): void {
  if (signal?.aborted) throw new LwganetError('ABORTED', 'Detection was aborted', { cause: signal.reason });
}

function classesOf(metadata: ModelMetadata): number | null {
  return metadata.labels ? metadata.labels.length : null;
}

/**
 * Detects rotated objects in one image of any size.
 * @param image a path, Buffer (JPEG, PNG, WebP, TIFF, GeoTIFF), raw pixels or a decoded image.
 *   GeoTIFF files are read one patch window at a time; other inputs are decoded whole. Grey,
 *   2- and 4-band inputs become RGB and 16-bit samples 8-bit as decodeImage() documents.
 * @param options the detection model, scoreThreshold, tileSize, overlap, iouThreshold, decode, onProgress, signal
 * @throws (rejects) TASK_MISMATCH / METADATA_INVALID for a model that is not a rotated-detection
 *   model, IMAGE_DECODE / IMAGE_TOO_LARGE for bad images, OUTPUT_UNSUPPORTED for a model that
 *   does not return {boxes (D, 5), scores (D), labels (D)}, ABORTED, TypeError/RangeError for bad options.
 */
/** Boxes whose centre falls on a nodata pixel of the input are not detections (there is no image there). */
function dropNodataCentres(detections: Detection[], nodata: Uint8Array | null, width: number, height: number): Detection[] {
  if (nodata === null) return detections;
  return detections.filter((d) => {
    const x = Math.min(width - 1, Math.max(0, Math.floor(d.cx)));
    const y = Math.min(height - 1, Math.max(0, Math.floor(d.cy)));
    return nodata[y * width + x] === 0;
  });
}

export async function detect(image: ImageInput, options: DetectOptions): Promise<DetectionResult> {
  requirePipelineOptions(options);
  const metadata = requireTask(options.model, 'rotated-detection');
  const resolved = resolveDetectOptions(options, metadata);
  const names = detectorOutputNames(metadata);
  const classes = classesOf(metadata);
  const source = await openBandSource(image, resolved.decode);
  const { width, height } = source;
  const grid = planTiles(width, height, resolved.tileSize, resolved.overlap);
  const total = tileCount(grid);
  const tables = buildLookupTables(metadata.input);
  const bgr = metadata.input.colorOrder === 'BGR';
  const candidates = new DetectionCandidates(resolved.scoreThreshold);
  let done = 0;
  let maxLabel = -1;
  for (const top of grid.ys) {
    for (const left of grid.xs) {
      checkAborted(resolved.signal);
      const right = Math.min(left + grid.tileSize, width);
      const bottom = Math.min(top + grid.tileSize, height);
      const pixels = await source.readWindow(left, top, right, bottom);
      const input = patchInputSize(right - left, bottom - top, metadata.input.size);
      const tensor = patchTensor(pixels, right - left, bottom - top, input.width, input.height, tables, bgr);
      const patch = readDetectorOutput(await runTask(options.model, tensor, resolved.signal), names, classes);
      for (let i = 0; i < patch.count; i++) maxLabel = Math.max(maxLabel, patch.labels[i]);
      candidates.add(patch, left, top);
      done++;
      resolved.onProgress?.(done, total);
    }
  }
  const labels = metadata.labels ? [...metadata.labels] : Array.from({ length: maxLabel + 1 }, (_, i) => String(i));
  const palette = metadata.palette ? metadata.palette.map((c) => [...c] as [number, number, number]) : detectionPalette(labels.length);
  return {
    width,
    height,
    detections: dropNodataCentres(candidates.merge(resolved.iouThreshold, (index) => labels[index]), source.nodataMask(), width, height),
    labels,
    palette,
    geo: source.geo,
    tiling: { tileSize: grid.tileSize, overlap: grid.overlap, tiles: total },
    scoreThreshold: resolved.scoreThreshold,
    iouThreshold: resolved.iouThreshold,
  };
}
