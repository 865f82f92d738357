/** What `lwganet segment` and `lwganet change` share: option parsers, output checks, progress, areas. */

import { InvalidArgumentError } from 'commander';
import type { ApiFlag } from '../flags.js';
import { positiveInteger } from '../options.js';
import type { GeoInfo } from '../../image/types.js';
import type { Model } from '../../model.js';
import { maskFormatFor } from '../../output/mask-file.js';
import { CliError } from '../cli-error.js';
import { checkWritableOutput } from '../output-path.js';
import type { CliIO } from '../io.js';
import { startProgress, type Progress } from '../progress.js';

/** Flags both dense commands take (API option names: the table below derives the flags from them). */
export interface DenseFlags {
  model: string;
  out: string;
  tileSize?: number;
  overlap?: number;
  batchSize: number;
  valueRange?: [number, number];
  device?: string;
  threads?: number;
  json?: boolean;
  progress: boolean;
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
export function decodeOptions(flags: DenseFlags): { valueRange?: [number, number] } {
  return flags.valueRange ? { valueRange: flags.valueRange } : {};
}

/** Rows of the option tables the image commands share (the flag of each is the kebab-case of `api`). */
export const FLAG_ROWS = {
  tileSize: (what: string): ApiFlag => ({ api: 'tileSize', short: '-t', aliases: ['--tile'], value: '<n>', description: `${what} size in pixels (default: the model's)`, parse: positiveInteger }),
  overlap: (what: string): ApiFlag => ({ api: 'overlap', value: '<n>', description: `overlap between ${what} in pixels (default: the model's)`, parse: nonNegativeInteger }),
  batchSize: (what: string, fallback: number): ApiFlag => ({ api: 'batchSize', short: '-b', value: '<n>', description: `${what} per forward pass`, parse: positiveInteger, default: fallback }),
  valueRange: { api: 'valueRange', value: '<min,max>', description: 'map GeoTIFF samples in this range onto 0..255 (needed for float GeoTIFFs)', parse: valueRange } satisfies ApiFlag,
  device: { api: 'device', short: '-d', value: '<device>', description: 'cpu, cuda or cuda:N' } satisfies ApiFlag,
  threads: { api: 'threads', value: '<n>', description: 'intra-op threads per forward (default: the CPU count)', parse: positiveInteger } satisfies ApiFlag,
};
