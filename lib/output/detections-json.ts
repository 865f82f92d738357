/**
 * Detections as a JSON document: the image size, class names, how the image was split, the
 * thresholds, the input's georeferencing (or null) and every detection in image pixels
 * (cx, cy, w, h, angle in radians le90, score, label, index, polygon).
 */

import type { DetectionResult } from '../tasks/detection.js';
import { writeTextAtomically } from './text-file.js';

/** The JSON value written to a .json file. */
export function detectionsDocument(result: DetectionResult): Record<string, unknown> {
  return {
    width: result.width,
    height: result.height,
    labels: result.labels,
    coordinates: 'pixel',
    angleConvention: 'le90',
    crs: result.geo ? { epsg: result.geo.epsg, geoTransform: result.geo.geoTransform } : null,
    tiling: result.tiling,
    scoreThreshold: result.scoreThreshold,
    iouThreshold: result.iouThreshold,
    detections: result.detections,
  };
}

/** Writes the JSON document atomically. */
export async function writeDetectionsJson(file: string, result: DetectionResult): Promise<void> {
  await writeTextAtomically(file, `${JSON.stringify(detectionsDocument(result), null, 2)}\n`);
}
