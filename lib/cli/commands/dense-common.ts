/** What `lwganet segment` and `lwganet change` share: option parsers, output checks, progress, areas. */

import { InvalidArgumentError } from 'commander';
import type { GeoInfo } from '../../image/types.js';
import type { Model } from '../../model.js';
import { maskFormatFor } from '../../output/mask-file.js';
import { CliError } from '../cli-error.js';
import { checkWritableOutput } from '../output-path.js';
import type { CliIO } from '../io.js';
import { startProgress, type Progress } from '../progress.js';

/** Flags both dense commands take. */
export interface DenseFlags {
  model: string;
  out: string;
  tile?: number;
  overlap?: number;
  batchSize: number;
  valueRange?: [number, number];
  bands?: [number, number, number];
  device?: string;
  json?: boolean;
  progress: boolean;
}

/** Parses "MIN,MAX" for --value-range. */
export function valueRange(value: string): [number, number] {
  const parts = value.split(',').map((v) => Number(v.trim()));
  if (parts.length !== 2 || !parts.every(Number.isFinite) || parts[1] <= parts[0]) throw new InvalidArgumentError('must be MIN,MAX with MIN < MAX.');
  return [parts[0], parts[1]];
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

/** Area of one pixel in map units² (CRS units), or null without georeferencing. */
export function pixelArea(geo: GeoInfo | null): number | null {
  if (!geo) return null;
  const [, a, b, , d, e] = geo.geoTransform;
  return Math.abs(a * e - b * d);
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

/**
 * A RangeError from the library's option checks (e.g. a tile size the model's rule forbids) is
 * a usage error of the command line, reported without a stack (exit code 2).
 */
export function asUsageError(error: unknown): unknown {
  if (error instanceof RangeError && error.message.startsWith('Expected ')) return new CliError(error.message, 2);
  return error;
}
