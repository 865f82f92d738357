/**
 * Writes detections in the format the file name asks for: `.json` (detections-json.ts),
 * `.geojson` (detections-geojson.ts, CRS coordinates for GeoTIFF inputs), `.txt` (one DOTA
 * text file, detections-dota.ts). Always atomic: no partial file on failure.
 */

import { extname } from 'node:path';
import { invalidArgument } from '../errors.js';
import type { DetectionResult } from '../tasks/detection.js';
import { writeDetectionsDota } from './detections-dota.js';
import { writeDetectionsGeoJson } from './detections-geojson.js';
import { writeDetectionsJson } from './detections-json.js';

export type DetectionFormat = 'json' | 'geojson' | 'dota';

/** The format for a file name, or a RangeError naming the supported extensions. */
export function detectionFormatFor(file: string): DetectionFormat {
  const ext = extname(file).toLowerCase();
  if (ext === '.json') return 'json';
  if (ext === '.geojson') return 'geojson';
  if (ext === '.txt') return 'dota';
  throw invalidArgument('output file', 'a name ending in .json, .geojson or .txt', file, 'range');
}

/** Writes `result` to `file` (format from the extension) and returns the format. */
export async function writeDetectionsFile(file: string, result: DetectionResult): Promise<DetectionFormat> {
  const format = detectionFormatFor(file);
  if (format === 'json') await writeDetectionsJson(file, result);
  else if (format === 'geojson') await writeDetectionsGeoJson(file, result);
  else await writeDetectionsDota(file, result);
  return format;
}
