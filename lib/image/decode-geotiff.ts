/**
 * GeoTIFF (and TIFFs sharp cannot represent: float samples, more than 4 bands) through
 * geotiff.js. Only the requested window is read — scenes can be gigabytes — and the
 * geotransform/CRS of that window travel with the pixels.
 *
 * Band and value conversion to 8-bit RGB (documented in types.ts DecodeOptions):
 * - bands: 1 or 2 bands → the first band replicated into R, G, B (a second band is taken to be
 *   alpha and dropped); 3 or more → bands 0, 1, 2; or the caller's `bands`;
 * - values: linear map of `valueRange` onto 0..255, rounded and clamped; nodata and NaN → 0.
 * geotiff.js decodes in JavaScript, so this path is slower than sharp; the per-pixel mapping
 * below is one pass over the window.
 */

import { stat } from 'node:fs/promises';
import type { GeoTIFF, GeoTIFFImage, TypedArray } from 'geotiff';
import { geotiff } from './geotiff-module.js';
import { LwganetError, invalidArgument } from '../errors.js';
import { geoInfoFor, hasGeoTags } from './geo-info.js';
import { checkPixelCount } from './limits.js';
import type { DecodedImage, DecodeOptions, ValueRange } from './types.js';

export interface OpenedTiff {
  tiff: GeoTIFF;
  image: GeoTIFFImage;
}

/**
 * A TIFF must have pixels, and every strip or tile it lists must lie inside the file: geotiff.js
 * would read a block cut short by truncation (or one whose byte count points past the end) as
 * zeros, and the result would look like a successful decode.
 */
async function checkTiffLayout(image: GeoTIFFImage, fileBytes: number, what: string): Promise<void> {
  const width = image.getWidth();
  const height = image.getHeight();
  if (!(width >= 1 && height >= 1)) {
    throw new LwganetError('IMAGE_DECODE', `${what} could not be decoded: the TIFF declares ${width}×${height} pixels (no pixel data)`);
  }
  const directory = image.fileDirectory as unknown as { loadValue(tag: string): Promise<ArrayLike<number | bigint> | number | bigint | undefined> };
  const [offsetsTag, countsTag] = image.isTiled ? ['TileOffsets', 'TileByteCounts'] : ['StripOffsets', 'StripByteCounts'];
  const list = (value: ArrayLike<number | bigint> | number | bigint | undefined): ArrayLike<number | bigint> =>
    value === undefined ? [] : typeof value === 'object' ? value : [value];
  const offsets = list(await directory.loadValue(offsetsTag));
  const counts = list(await directory.loadValue(countsTag));
  if (offsets.length === 0 || offsets.length !== counts.length) {
    throw new LwganetError('IMAGE_DECODE', `${what} could not be decoded: its ${offsetsTag} and ${countsTag} tags are missing or disagree`);
  }
  for (let i = 0; i < offsets.length; i++) {
    const end = Number(offsets[i]) + Number(counts[i]);
    if (!(end <= fileBytes)) {
      throw new LwganetError(
        'IMAGE_DECODE',
        `${what} could not be decoded: it is truncated or damaged (${image.isTiled ? 'tile' : 'strip'} ${i} ends at byte ${end}, the file has ${fileBytes})`,
      );
    }
  }
}

/** Opens a TIFF (header and first IFD only) from a path or bytes, and checks its layout. */
export async function openTiff(input: string | Uint8Array, what: string): Promise<OpenedTiff> {
  let opened: OpenedTiff;
  let fileBytes: number;
  try {
    const { fromArrayBuffer, fromFile } = geotiff();
    fileBytes = typeof input === 'string' ? (await stat(input)).size : input.byteLength;
    const tiff = typeof input === 'string'
      ? await fromFile(input)
      : await fromArrayBuffer(input.buffer.slice(input.byteOffset, input.byteOffset + input.byteLength) as ArrayBuffer);
    opened = { tiff, image: await tiff.getImage(0) };
  } catch (error) {
    throw new LwganetError('IMAGE_DECODE', `${what} could not be decoded as TIFF: ${(error as Error).message}`, { cause: error });
  }
  try {
    await checkTiffLayout(opened.image, fileBytes, what);
  } catch (error) {
    await opened.tiff.close();
    if (error instanceof LwganetError) throw error;
    throw new LwganetError('IMAGE_DECODE', `${what} could not be decoded as TIFF: ${(error as Error).message}`, { cause: error });
  }
  return opened;
}

/** True when geotiff.js rather than sharp should decode this TIFF. */
export function needsGeotiff(image: GeoTIFFImage): boolean {
  const bands = image.getSamplesPerPixel();
  return hasGeoTags(image) || bands > 4 || image.getSampleFormat(0) === 3 || image.getBitsPerSample(0) > 16;
}

function checkWindow(window: unknown, width: number, height: number): [number, number, number, number] {
  if (window === undefined) return [0, 0, width, height];
  const ok = Array.isArray(window) && window.length === 4 && window.every((v) => Number.isSafeInteger(v));
  if (!ok) throw invalidArgument('window', 'an array of 4 integers [left, top, right, bottom]', window);
  const [l, t, r, b] = window as number[];
  if (l < 0 || t < 0 || r > width || b > height || r <= l || b <= t) {
    throw invalidArgument('window', `a non-empty window inside the ${width}×${height} raster`, window, 'range');
  }
  return [l, t, r, b];
}

function pickBands(bands: unknown, count: number): [number, number, number] {
  if (bands === undefined) return count >= 3 ? [0, 1, 2] : [0, 0, 0];
  const ok = Array.isArray(bands) && bands.length === 3 && bands.every((v) => Number.isSafeInteger(v));
  if (!ok) throw invalidArgument('bands', 'an array of 3 band indices', bands);
  if ((bands as number[]).some((v) => v < 0 || v >= count)) throw invalidArgument('bands', `band indices in 0..${count - 1}`, bands, 'range');
  return bands as [number, number, number];
}

function rangeFor(option: ValueRange | undefined, image: GeoTIFFImage, arrays: TypedArray[], noData: number | null): [number, number] {
  const format = image.getSampleFormat(0);
  const bits = image.getBitsPerSample(0);
  const mode = option ?? (format === 3 ? 'minmax' : 'dtype');
  if (Array.isArray(mode)) {
    const [lo, hi] = mode as readonly number[];
    if (!Number.isFinite(lo) || !Number.isFinite(hi) || hi <= lo) throw invalidArgument('valueRange', '[min, max] with min < max', mode, 'range');
    return [lo, hi];
  }
  if (mode === 'dtype' && format !== 3) {
    return format === 2 ? [-(2 ** (bits - 1)), 2 ** (bits - 1) - 1] : [0, 2 ** bits - 1];
  }
  if (mode !== 'minmax' && mode !== 'dtype') throw invalidArgument('valueRange', "'dtype', 'minmax' or [min, max]", mode);
  let lo = Infinity;
  let hi = -Infinity;
  for (const array of arrays) {
    for (let i = 0; i < array.length; i++) {
      const v = array[i];
      if (Number.isFinite(v) && v !== noData) {
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
    }
  }
  if (!(hi > lo)) return [lo === Infinity ? 0 : lo, lo === Infinity ? 1 : lo + 1];
  return [lo, hi];
}

/** Reads the window of an opened TIFF and converts it to 8-bit RGB with its geo information. */
export async function decodeGeotiff(opened: OpenedTiff, what: string, maxPixels: number, options: DecodeOptions): Promise<DecodedImage> {
  const { tiff, image } = opened;
  try {
    const width = image.getWidth();
    const height = image.getHeight();
    const window = checkWindow(options.window, width, height);
    const [l, t, r, b] = window;
    checkPixelCount(r - l, b - t, maxPixels, options.window ? `The window of ${what}` : what);
    const count = image.getSamplesPerPixel();
    const bands = pickBands(options.bands, count);
    const unique = [...new Set(bands)];
    let rasters: TypedArray[];
    try {
      rasters = Array.from(await image.readRasters({ window, samples: unique, interleave: false }) as unknown as TypedArray[]);
    } catch (error) {
      throw new LwganetError('IMAGE_DECODE', `${what} could not be decoded: ${(error as Error).message}`, { cause: error });
    }
    const noData = image.getGDALNoData();
    const [lo, hi] = rangeFor(options.valueRange, image, rasters, noData);
    const scale = 255 / (hi - lo);
    const pixels = (r - l) * (b - t);
    const out = new Uint8Array(pixels * 3);
    bands.forEach((band, c) => {
      const src = rasters[unique.indexOf(band)];
      for (let i = 0; i < pixels; i++) {
        const v = src[i];
        // NaN fails both comparisons and stays 0, like nodata.
        if (v === noData || !(v === v)) continue;
        const mapped = Math.round((v - lo) * scale);
        out[i * 3 + c] = mapped < 0 ? 0 : mapped > 255 ? 255 : mapped;
      }
    });
    const source = { format: hasGeoTags(image) ? 'geotiff' as const : 'tiff' as const, channels: count, bitsPerSample: image.getBitsPerSample(0) };
    return Object.freeze({ data: out, width: r - l, height: b - t, channels: 3, source, geo: geoInfoFor(image, window) });
  } finally {
    await tiff.close();
  }
}
