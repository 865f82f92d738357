/**
 * decodeImage() for rasters GDAL reads (georeferenced, or beyond what sharp represents: float
 * samples, more than 4 bands, 32-bit, JPEG2000, VRT): one window, converted to 8-bit RGB as
 * gdal-raster.ts documents, with the window's georeferencing and nodata flags.
 */

import { invalidArgument } from '../errors.js';
import { bandRanges, pickBands, readRgb, reducedGeo, windowGeo, type GdalRaster } from './gdal-raster.js';
import { checkPixelCount } from './limits.js';
import type { DecodedImage, DecodeOptions } from './types.js';

export function checkWindow(window: unknown, width: number, height: number): [number, number, number, number] {
  if (window === undefined) return [0, 0, width, height];
  const ok = Array.isArray(window) && window.length === 4 && window.every((v) => Number.isSafeInteger(v));
  if (!ok) throw invalidArgument('window', 'an array of 4 integers [left, top, right, bottom]', window);
  const [l, t, r, b] = window as number[];
  if (l < 0 || t < 0 || r > width || b > height || r <= l || b <= t) {
    throw invalidArgument('window', `a non-empty window inside the ${width}×${height} raster`, window, 'range');
  }
  return [l, t, r, b];
}

/** True when sharp cannot represent this raster faithfully (or it is georeferenced), so GDAL decodes it. */
export function needsGdal(raster: GdalRaster): boolean {
  return raster.geo !== null || raster.bandCount > 4 || !['Byte', 'UInt16'].includes(raster.dataType);
}

/**
 * For a whole-raster read, the size the caller will downsample to anyway (e.g. classification's
 * resize), or null: GDAL then reads a buffer of that size, from an overview when there is one.
 */
export type ReduceFor = (width: number, height: number) => readonly [number, number] | null;

/** Decodes the window of an opened raster (and closes it). */
export async function decodeGdal(raster: GdalRaster, what: string, maxPixels: number, options: DecodeOptions, reduce?: ReduceFor): Promise<DecodedImage> {
  try {
    const window = checkWindow(options.window, raster.width, raster.height);
    const [l, t, r, b] = window;
    checkPixelCount(r - l, b - t, maxPixels, options.window ? `The window of ${what}` : what);
    const bands = pickBands(options.bands, raster.bandCount);
    const ranges = await bandRanges(raster, bands, options.valueRange, what);
    const target = options.window === undefined && reduce ? reduce(raster.width, raster.height) : null;
    if (target && target[0] < raster.width && target[1] < raster.height) {
      const [w, h] = [Math.max(1, Math.round(target[0])), Math.max(1, Math.round(target[1]))];
      const { data, nodata } = await readRgb(raster, window, bands, ranges, what, [w, h]);
      return Object.freeze({ data, width: w, height: h, channels: 3 as const, source: raster.source, geo: reducedGeo(raster.geo, raster.width, raster.height, w, h), nodata });
    }
    const { data, nodata } = await readRgb(raster, window, bands, ranges, what);
    return Object.freeze({ data, width: r - l, height: b - t, channels: 3 as const, source: raster.source, geo: windowGeo(raster.geo, window), nodata });
  } finally {
    raster.close();
  }
}
