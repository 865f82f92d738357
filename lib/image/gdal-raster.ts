/**
 * Georeferenced rasters through GDAL (gdal-async): every format GDAL opens (GeoTIFF in any
 * layout — JPEG-in-TIFF YCbCr, WebP, BigTIFF, COG —, JPEG2000, VRT, PNG/JPEG with a world
 * file). GDAL decodes the pixels and reports the georeferencing as GIS tools see it: the
 * geotransform already accounts for pixel-is-point, south-up and rotation, the CRS is WKT.
 *
 * Band and value conversion to 8-bit RGB (documented in types.ts DecodeOptions):
 * - bands (0-based): 1 or 2 bands → the first band replicated into R, G, B; 3 or more → 0, 1, 2;
 *   or the caller's `bands`;
 * - values, per band: Byte bands as they are; other types a 2–98 % percentile stretch of the
 *   band's valid pixels, computed once on a reduced read of the whole raster (GDAL picks an
 *   overview when there is one) so every window is scaled the same way; or an explicit range.
 * - nodata: pixels GDAL's mask band marks invalid (band nodata value, alpha band, per-dataset
 *   mask) or that are not finite are flagged in `nodata` and set to 0 in the RGB data.
 */

import type * as Gdal from 'gdal-async';
import { LwganetError, invalidArgument } from '../errors.js';
import type { GeoInfo, GeoTransform, SourceInfo, ValueRange } from './types.js';

let gdalModule: typeof Gdal | null = null;

/** gdal-async, loaded on first use (plain-image users never pay for it). */
export function gdal(): typeof Gdal {
  if (gdalModule === null) {
    try {
      gdalModule = require('gdal-async') as typeof Gdal;
    } catch (error) {
      throw new LwganetError(
        'IMAGE_DECODE',
        `GDAL (the gdal-async package) could not be loaded, so georeferenced rasters cannot be read or written: ${(error as Error).message}. Run "lwganet setup" to build it`,
        { cause: error },
      );
    }
  }
  return gdalModule;
}

/** Mask flag: the mask band is all valid (GDAL's GMF_ALL_VALID). */
const GMF_ALL_VALID = 0x01;
/** Longest side of the reduced read used for the percentile statistics. */
const STATS_SIDE = 1024;
/** Default percentile stretch for non-Byte bands. */
const PERCENTILES: readonly [number, number] = [0.02, 0.98];

let memoryFiles = 0;

/** An opened GDAL raster; close() releases it (and its in-memory copy for byte inputs). */
export interface GdalRaster {
  readonly dataset: Gdal.Dataset;
  readonly width: number;
  readonly height: number;
  readonly bandCount: number;
  readonly dataType: string;
  readonly geo: GeoInfo | null;
  readonly source: SourceInfo;
  close(): void;
}

function bitsOf(dataType: string): number {
  const match = /(\d+)$/.exec(dataType);
  return dataType === 'Byte' ? 8 : match ? Number(match[1]) : 8;
}

/** The georeferencing GDAL reports for the whole raster, or null when it has none. */
function geoOf(dataset: Gdal.Dataset, width: number, height: number): GeoInfo | null {
  // gdal-async reports a raster without a geotransform as null (it does not throw).
  const transform: number[] | null = dataset.geoTransform;
  const srs = dataset.srs;
  // GDAL's default transform [0, 1, 0, 0, 0, 1] without a CRS means "not georeferenced".
  const identity = !transform || (transform[0] === 0 && transform[1] === 1 && transform[2] === 0 && transform[3] === 0 && transform[4] === 0 && transform[5] === 1);
  if (!transform || (identity && !srs)) return null;
  let epsg: number | null = null;
  let crsWkt: string | null = null;
  if (srs) {
    crsWkt = srs.toWKT();
    // Both null when the CRS has no authority (user-defined); a code only from the EPSG authority.
    const name = srs.getAuthorityName(null);
    const code = Number(srs.getAuthorityCode(null));
    if (name === 'EPSG' && Number.isSafeInteger(code) && code > 0) epsg = code;
  }
  return {
    geoTransform: transform.slice(0, 6) as GeoTransform,
    crsWkt,
    epsg,
    window: [0, 0, width, height],
    fullWidth: width,
    fullHeight: height,
    // gdal-async reports a band without a nodata value as null.
    noData: dataset.bands.get(1).noDataValue,
  };
}

/** Opens a raster file (or encoded bytes, through GDAL's in-memory files). */
export async function openGdalRaster(input: string | Uint8Array, what: string): Promise<GdalRaster> {
  const g = gdal();
  let memoryPath: string | null = null;
  let dataset: Gdal.Dataset;
  try {
    if (typeof input === 'string') {
      dataset = await g.openAsync(input);
    } else {
      memoryPath = `/vsimem/lwganet-input-${process.pid}-${memoryFiles++}`;
      g.vsimem.set(Buffer.from(input.buffer, input.byteOffset, input.byteLength), memoryPath);
      dataset = await g.openAsync(memoryPath);
    }
  } catch (error) {
    if (memoryPath) g.vsimem.release(memoryPath);
    throw new LwganetError('IMAGE_DECODE', `${what} could not be decoded: ${(error as Error).message}`, { cause: error });
  }
  const release = () => {
    try {
      dataset.close();
    } catch {
      // already closed
    }
    if (memoryPath) {
      try {
        g.vsimem.release(memoryPath);
      } catch {
        // released
      }
    }
  };
  // A vector dataset (GeoJSON, Shapefile, ...) opens too, without bands and with no raster size
  // (null), so the bands are counted first.
  const bandCount = dataset.bands.count();
  if (bandCount < 1) {
    release();
    throw new LwganetError('IMAGE_DECODE', `${what} could not be decoded: GDAL finds no raster data in it (${bandCount} bands)`);
  }
  const { x: width, y: height } = dataset.rasterSize;
  const dataType = dataset.bands.get(1).dataType ?? 'Byte';
  const geo = geoOf(dataset, width, height);
  const source: SourceInfo = { format: geo ? 'geotiff' : 'tiff', channels: bandCount, bitsPerSample: bitsOf(dataType) };
  return { dataset, width, height, bandCount, dataType, geo, source, close: release };
}

/** The geo information of `window` ([left, top, right, bottom) in full-raster pixels). */
export function windowGeo(geo: GeoInfo | null, window: readonly [number, number, number, number]): GeoInfo | null {
  if (geo === null) return null;
  const gt = geo.geoTransform;
  const [left, top] = window;
  const shifted: GeoTransform = [gt[0] + left * gt[1] + top * gt[2], gt[1], gt[2], gt[3] + left * gt[4] + top * gt[5], gt[4], gt[5]];
  return { ...geo, geoTransform: shifted, window: [...window] as [number, number, number, number] };
}

/** The geo information of the whole raster read into a reduced width × height buffer. */
export function reducedGeo(geo: GeoInfo | null, fullWidth: number, fullHeight: number, width: number, height: number): GeoInfo | null {
  if (geo === null) return null;
  const [x0, a, b, y0, d, e] = geo.geoTransform;
  const sx = fullWidth / width;
  const sy = fullHeight / height;
  return { ...geo, geoTransform: [x0, a * sx, b * sy, y0, d * sx, e * sy] };
}

/** Validates `bands` (0-based) against the raster and fills in the default. */
export function pickBands(bands: unknown, count: number): [number, number, number] {
  if (bands === undefined) return count >= 3 ? [0, 1, 2] : [0, 0, 0];
  const ok = Array.isArray(bands) && bands.length === 3 && bands.every((v) => Number.isSafeInteger(v));
  if (!ok) throw invalidArgument('bands', 'an array of 3 band indices', bands);
  if ((bands as number[]).some((v) => v < 0 || v >= count)) throw invalidArgument('bands', `band indices in 0..${count - 1}`, bands, 'range');
  return bands as [number, number, number];
}

type Samples = ArrayLike<number>;

/** Reads band `index` (0-based) over the window into a buffer of bufferWidth × bufferHeight samples. */
async function readBand(raster: GdalRaster, index: number, window: readonly number[], bufferWidth: number, bufferHeight: number, what: string): Promise<Samples> {
  const [l, t, r, b] = window;
  try {
    const band = await raster.dataset.bands.getAsync(index + 1);
    const type = raster.dataType === 'Byte' ? 'Byte' : 'Float64';
    return (await band.pixels.readAsync(l, t, r - l, b - t, undefined, { buffer_width: bufferWidth, buffer_height: bufferHeight, data_type: type })) as Samples;
  } catch (error) {
    throw new LwganetError('IMAGE_DECODE', `${what} could not be decoded: ${(error as Error).message}`, { cause: error });
  }
}

/** Validity of each pixel of the window (1 valid, 0 nodata) from GDAL's mask band of band `index`, or null when all are valid. */
async function readMask(raster: GdalRaster, index: number, window: readonly number[], bufferWidth: number, bufferHeight: number, what: string): Promise<Uint8Array | null> {
  const [l, t, r, b] = window;
  try {
    const band = await raster.dataset.bands.getAsync(index + 1);
    if ((band.getMaskFlags() & GMF_ALL_VALID) !== 0) return null;
    // Never null: GDAL builds a mask band for every band (all valid, nodata value, alpha or per-dataset mask).
    const mask = band.getMaskBand()!;
    return (await mask.pixels.readAsync(l, t, r - l, b - t, undefined, { buffer_width: bufferWidth, buffer_height: bufferHeight, data_type: 'Byte' })) as Uint8Array;
  } catch (error) {
    throw new LwganetError('IMAGE_DECODE', `${what} could not be decoded: ${(error as Error).message}`, { cause: error });
  }
}

function percentileRange(values: Samples, valid: Uint8Array | null): [number, number] {
  const kept: number[] = [];
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (Number.isFinite(v) && (valid === null || valid[i] !== 0)) kept.push(v);
  }
  if (kept.length === 0) return [0, 1];
  const sorted = Float64Array.from(kept).sort();
  const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.round(p * (sorted.length - 1))))];
  const lo = at(PERCENTILES[0]);
  const hi = at(PERCENTILES[1]);
  return hi > lo ? [lo, hi] : [lo, lo + 1];
}

function minMaxRange(values: Samples, valid: Uint8Array | null): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (Number.isFinite(v) && (valid === null || valid[i] !== 0)) {
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
  }
  if (lo === Infinity) return [0, 1];
  return hi > lo ? [lo, hi] : [lo, lo + 1];
}

function dtypeRange(dataType: string): [number, number] | null {
  const ranges: Record<string, [number, number]> = {
    Byte: [0, 255], Int8: [-128, 127], UInt16: [0, 65535], Int16: [-32768, 32767], UInt32: [0, 2 ** 32 - 1], Int32: [-(2 ** 31), 2 ** 31 - 1],
  };
  return ranges[dataType] ?? null;
}

/**
 * The [min, max] each of `bands` is mapped from onto 0..255 (see the file comment for the
 * defaults). Statistics use a reduced read of the whole raster, never of one window.
 */
export async function bandRanges(raster: GdalRaster, bands: readonly number[], option: ValueRange | undefined, what: string): Promise<[number, number][]> {
  if (Array.isArray(option)) {
    const [lo, hi] = option as readonly number[];
    if (option.length !== 2 || !Number.isFinite(lo) || !Number.isFinite(hi) || hi <= lo) throw invalidArgument('valueRange', '[min, max] with min < max', option, 'range');
    return bands.map(() => [lo, hi]);
  }
  const mode = option ?? (raster.dataType === 'Byte' ? 'dtype' : 'percentile');
  if (mode !== 'dtype' && mode !== 'minmax' && mode !== 'percentile') throw invalidArgument('valueRange', "'dtype', 'minmax', 'percentile' or [min, max]", mode);
  if (mode === 'dtype') {
    const range = dtypeRange(raster.dataType);
    if (range) return bands.map(() => range);
  }
  const scale = Math.min(1, STATS_SIDE / Math.max(raster.width, raster.height));
  const w = Math.max(1, Math.round(raster.width * scale));
  const h = Math.max(1, Math.round(raster.height * scale));
  const whole = [0, 0, raster.width, raster.height];
  const out = new Map<number, [number, number]>();
  for (const band of new Set(bands)) {
    const values = await readBand(raster, band, whole, w, h, what);
    const valid = await readMask(raster, band, whole, w, h, what);
    out.set(band, mode === 'minmax' ? minMaxRange(values, valid) : percentileRange(values, valid));
  }
  return bands.map((band) => out.get(band)!);
}

/** 8-bit RGB of a window, and which of its pixels are nodata (null when none are). */
export interface RgbWindow {
  data: Uint8Array;
  nodata: Uint8Array | null;
}

/**
 * Reads `window` of `bands` (into a buffer × of that size, default the window's) and maps band c's samples from ranges[c] onto 0..255.
 * A pixel is nodata when any of the three bands is invalid there.
 */
export async function readRgb(
  raster: GdalRaster,
  window: readonly [number, number, number, number],
  bands: readonly [number, number, number],
  ranges: readonly [number, number][],
  what: string,
  buffer?: readonly [number, number],
): Promise<RgbWindow> {
  // A buffer smaller than the window makes GDAL read from the closest overview (then resample).
  const [w, h] = buffer ?? [window[2] - window[0], window[3] - window[1]];
  const pixels = w * h;
  const out = new Uint8Array(pixels * 3);
  let nodata: Uint8Array | null = null;
  const markNodata = (i: number) => {
    nodata ??= new Uint8Array(pixels);
    nodata[i] = 1;
  };
  const unique = [...new Set(bands)];
  const values = new Map<number, Samples>();
  for (const band of unique) {
    values.set(band, await readBand(raster, band, window, w, h, what));
    const valid = await readMask(raster, band, window, w, h, what);
    if (valid) for (let i = 0; i < pixels; i++) if (valid[i] === 0) markNodata(i);
  }
  for (let c = 0; c < 3; c++) {
    const src = values.get(bands[c])!;
    const [lo, hi] = ranges[c];
    // Always rounded, so float samples in 0..255 round like every other range (no truncation).
    const scale = 255 / (hi - lo);
    for (let i = 0; i < pixels; i++) {
      const v = src[i];
      if (!(v === v) || v === Infinity || v === -Infinity) {
        markNodata(i);
        continue;
      }
      const mapped = Math.round((v - lo) * scale);
      out[i * 3 + c] = mapped < 0 ? 0 : mapped > 255 ? 255 : mapped;
    }
  }
  if (nodata !== null) {
    const flags: Uint8Array = nodata;
    for (let i = 0; i < pixels; i++) if (flags[i]) out.fill(0, i * 3, i * 3 + 3);
  }
  return { data: out, nodata };
}
