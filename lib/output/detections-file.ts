/**
 * Writes detections in the format the file name asks for: `.json` (detections-json.ts, pixels),
 * `.geojson` / `.gpkg` / `.fgb` (polygons through OGR, detections-vector.ts: GeoJSON in WGS 84
 * lon/lat by default, GeoPackage and FlatGeobuf in the input's CRS; `crs` overrides), `.txt`
 * (one DOTA label file, detections-dota.ts; `clip` clips boxes to the image). Always atomic:
 * no partial file on failure.
 */

import { extname } from 'node:path';
import { invalidArgument } from '../errors.js';
import type { DetectionResult } from '../tasks/detection.js';
import { writeDetectionsDota, type DotaOptions } from './detections-dota.js';
import { writeDetectionsJson } from './detections-json.js';
import { writeDetectionsVector } from './detections-vector.js';
import { vectorCrsFor, type VectorCrs } from './vector-file.js';

export type DetectionFormat = 'json' | 'geojson' | 'gpkg' | 'fgb' | 'dota';

export interface DetectionFileOptions extends DotaOptions {
  /** Vector formats: 'wgs84' or 'native' (defaults: GeoJSON 'wgs84', GeoPackage/FlatGeobuf 'native'). */
  crs?: VectorCrs;
}

const FORMATS: Record<string, DetectionFormat> = { '.json': 'json', '.geojson': 'geojson', '.gpkg': 'gpkg', '.fgb': 'fgb', '.txt': 'dota' };

/** The format for a file name, or a RangeError naming the supported extensions. */
export function detectionFormatFor(file: string): DetectionFormat {
  const format = FORMATS[extname(file).toLowerCase()];
  if (!format) throw invalidArgument('output file', 'a name ending in .json, .geojson, .gpkg, .fgb or .txt', file, 'range');
  return format;
}

/** Writes `result` to `file` (format from the extension) and returns the format. */
export async function writeDetectionsFile(file: string, result: DetectionResult, options: DetectionFileOptions = {}): Promise<DetectionFormat> {
  const format = detectionFormatFor(file);
  if (format === 'json') await writeDetectionsJson(file, result);
  else if (format === 'dota') await writeDetectionsDota(file, result, options);
  else await writeDetectionsVector(file, result, { format, crs: options.crs === undefined ? undefined : vectorCrsFor(format, options.crs) });
  return format;
}
