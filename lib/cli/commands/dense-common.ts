/** What `lwganet segment` and `lwganet change` share: option parsers, output checks, progress, areas. */

import { InvalidArgumentError } from 'commander';
import { classAreas, pixelAreaM2 } from '../../geo/area.js';
import type { ApiFlag } from '../flags.js';
import { positiveInteger } from '../options.js';
import type { GeoInfo } from '../../image/types.js';
import type { Model } from '../../model/model.js';
import { maskFormatFor } from '../../output/mask-file.js';
import { writeMaskVector } from '../../output/mask-vector.js';
import { vectorFormatFor, type VectorCrs } from '../../output/vector-file.js';
import { CliError } from '../cli-error.js';
import { checkWritableOutput } from '../output-path.js';
import type { CliIO } from '../io.js';
import { startProgress, type Progress } from '../progress.js';

/**
 * Flags every tiled image command (segment, change, detect) takes: the model, the FLAG_ROWS
 * below that they all list, --json and --no-progress (API option names).
 */
export interface TiledImageFlags {
  model: string;
  tileSize?: number;
  overlap?: number;
  valueRange?: [number, number];
  bands?: [number, number, number];
  device?: string;
  threads?: number;
  json?: boolean;
  progress: boolean;
}

/** Flags both dense commands take. */
export interface DenseFlags extends TiledImageFlags {
  out: string;
  batchSize: number;
  vector?: string;
  vectorCrs?: VectorCrs;
  simplify?: number;
}

/** Parses "MIN,MAX" for --value-range. */
export function valueRange(value: string): [number, number] {
  const parts = value.split(',').map((v) => Number(v.trim()));
  if (parts.length !== 2 || !parts.every(Number.isFinite) || parts[1] <= parts[0]) throw new InvalidArgumentError('must be MIN,MAX with MIN < MAX.');
  return [parts[0], parts[1]];
}

/** Parses a number from 0 to 1 (thresholds). */
export function unitNumber(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0 || n > 1) throw new InvalidArgumentError('must be a number from 0 to 1.');
  return n;
}

/** Parses "R,G,B" for --bands: three 0-based band indices (GDAL's band 1 is 0), as decode.bands. */
export function bandList(value: string): [number, number, number] {
  const parts = value.split(',').map((v) => v.trim());
  if (parts.length !== 3 || !parts.every((v) => /^\d+$/.test(v))) throw new InvalidArgumentError('must be three 0-based band indices R,G,B (e.g. 3,2,1 for bands 4,3,2).');
  return parts.map(Number) as [number, number, number];
}

/** Parses a non-negative integer (overlap may be 0). */
export function nonNegativeInteger(value: string): number {
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(Number(value))) throw new InvalidArgumentError('must be a non-negative integer.');
  return Number(value);
}

/** Fails before any inference when an output cannot be written where asked (PNG always; TIFF when `allowTiff`). */
export function checkOutput(file: string, what: string, allowTiff: boolean): void {
  let format: string | null = null;
  try {
    format = maskFormatFor(file);
  } catch {
    format = null;
  }
  if (format === null || (format === 'tiff' && !allowTiff)) {
    throw new CliError(`${what} ${JSON.stringify(file)} must end in .png${allowTiff ? ', .tif or .tiff' : ''}`, 2);
  }
  checkWritableOutput(file, what.toLowerCase());
}

/** A progress bar created on the first report (the total is known only then). */
export function lazyProgress(io: CliIO, enabled: boolean, unit = 'tiles', minItems?: number): { onProgress: (done: number, total: number) => void; stop: () => void } {
  let bar: Progress | null = null;
  return {
    onProgress(done, total) {
      bar ??= startProgress(io.progressStream, total, unit, enabled, minItems);
      bar.update(done);
    },
    stop: () => bar?.stop(),
  };
}

/**
 * Area of one pixel in m² (geo/area.ts: planar for projected CRSs, on the ellipsoid for
 * geographic ones, where it is the image's mean), or null without georeferencing.
 */
export function pixelArea(geo: GeoInfo | null, width: number, height: number): number | null {
  return pixelAreaM2(geo, width, height);
}

/** Area in m² of each class of a mask (pixel by pixel on geographic grids), or null. */
export function maskClassAreas(mask: Uint8Array, width: number, height: number, classes: number, geo: GeoInfo | null, nodata: number | null): number[] | null {
  return classAreas(mask, width, height, classes, geo, nodata);
}

/** Parses --vector-crs. */
export function vectorCrs(value: string): VectorCrs {
  if (value !== 'wgs84' && value !== 'native') throw new InvalidArgumentError('must be wgs84 or native.');
  return value;
}

/** Parses a non-negative number (--simplify). */
export function nonNegativeNumber(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0) throw new InvalidArgumentError('must be a number ≥ 0.');
  return n;
}

/** Fails before any inference when --vector names a file of no vector format or an unwritable place. */
export function checkVectorOutput(file: string | undefined): void {
  if (file === undefined) return;
  try {
    vectorFormatFor(file);
  } catch {
    throw new CliError(`Vector file ${JSON.stringify(file)} must end in .geojson, .json, .gpkg or .fgb`, 2);
  }
  checkWritableOutput(file, 'vector file');
}

/** Writes the mask's regions as polygons when --vector asks for them. */
export async function writeVectorIfAsked(flags: DenseFlags, mask: Uint8Array, width: number, height: number, geo: GeoInfo | null, labels: string[], nodata: number | null, background: number | null): Promise<number | null> {
  if (flags.vector === undefined) return null;
  const { features } = await writeMaskVector(flags.vector, mask, width, height, geo, { labels, nodata, background, crs: flags.vectorCrs, simplify: flags.simplify });
  return features;
}

/** The model block of a --json report. */
export function modelSummary(file: string, model: Model): Record<string, unknown> {
  const m = model.metadata;
  return { file, name: m?.model ?? null, variant: m?.variant ?? null, labelSet: m?.labelSet ?? null, device: model.device, weights: m?.weights ?? null };
}

/** The decode options the flags ask for. */
export function decodeOptions(flags: { valueRange?: [number, number]; bands?: [number, number, number] }): { valueRange?: [number, number]; bands?: [number, number, number] } {
  return { ...(flags.valueRange ? { valueRange: flags.valueRange } : {}), ...(flags.bands ? { bands: flags.bands } : {}) };
}

/** Help text of --bands and --value-range (the same for every command). */
export const BANDS_HELP = 'bands shown to the model as R,G,B, 0-based (3,2,1 = bands 4,3,2); default 0,1,2 (one band: 0,0,0)';
export const VALUE_RANGE_HELP = 'map samples in MIN..MAX onto 0..255 for every band (default: 8-bit as is, other types a 2-98 % percentile stretch per band)';

/** Rows of the option tables the image commands share (the flag of each is the kebab-case of `api`). */
export const FLAG_ROWS = {
  tileSize: (what: string): ApiFlag => ({ api: 'tileSize', short: '-t', aliases: ['--tile'], value: '<n>', description: `${what} size in pixels (default: the model's)`, parse: positiveInteger }),
  overlap: (what: string): ApiFlag => ({ api: 'overlap', value: '<n>', description: `overlap between ${what} in pixels (default: the model's)`, parse: nonNegativeInteger }),
  batchSize: (what: string, fallback: number): ApiFlag => ({ api: 'batchSize', short: '-b', value: '<n>', description: `${what} per forward pass`, parse: positiveInteger, default: fallback }),
  valueRange: { api: 'valueRange', value: '<min,max>', description: VALUE_RANGE_HELP, parse: valueRange } satisfies ApiFlag,
  bands: { api: 'bands', value: '<r,g,b>', description: BANDS_HELP, parse: bandList } satisfies ApiFlag,
  device: { api: 'device', short: '-d', value: '<device>', description: 'cpu, cuda or cuda:N' } satisfies ApiFlag,
  threads: { api: 'threads', value: '<n>', description: 'intra-op threads per forward (default: the CPU count)', parse: positiveInteger } satisfies ApiFlag,
};
