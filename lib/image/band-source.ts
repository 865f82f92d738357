/**
 * Row bands of an image, read on demand, so tiled inference never holds a whole scene; and
 * single windows (detection patches), so patch-wise inference holds only one patch.
 *
 * GeoTIFF files (and TIFFs only geotiff.js reads) are opened once for their size and
 * georeferencing, then each band is a window read; every other input (JPEG, PNG, WebP, plain
 * TIFF, bytes, raw pixels) is decoded whole by decodeImage() — bounded by `maxPixels` — and
 * bands are views of it. The band/value conversions are decodeImage()'s (see decode-geotiff.ts).
 *
 * A float GeoTIFF read by windows needs an explicit `valueRange`: the default 'minmax' stretch
 * would be computed per window and differ from band to band.
 */

import { LwganetError, invalidArgument } from '../errors.js';
import { decodeImage } from './decode.js';
import { needsGeotiff, openTiff } from './decode-geotiff.js';
import { geoInfoFor } from './geo-info.js';
import { SNIFF_BYTES, sniffFormat } from './sniff.js';
import type { DecodedImage, DecodeOptions, GeoInfo, ImageInput, SourceInfo } from './types.js';
import { open } from 'node:fs/promises';

/** An image that hands out 8-bit RGB rows [top, bottom) on request. */
export interface BandSource {
  readonly width: number;
  readonly height: number;
  /** Georeferencing of the whole image, or null. */
  readonly geo: GeoInfo | null;
  readonly source: SourceInfo;
  /** True when bands are window reads of a file (the scene is never decoded whole). */
  readonly windowed: boolean;
  /** Interleaved RGB bytes of rows [top, bottom), full width. */
  read(top: number, bottom: number): Promise<Uint8Array>;
  /** Interleaved RGB bytes of the window [left, right) × [top, bottom) (one detection patch). */
  readWindow(left: number, top: number, right: number, bottom: number): Promise<Uint8Array>;
}

/** Copies the window [left, right) × [top, bottom) out of a whole decoded image. */
function crop(image: DecodedImage, left: number, top: number, right: number, bottom: number): Uint8Array {
  const rowBytes = (right - left) * 3;
  const out = new Uint8Array(rowBytes * (bottom - top));
  for (let y = top; y < bottom; y++) {
    const start = (y * image.width + left) * 3;
    out.set(image.data.subarray(start, start + rowBytes), (y - top) * rowBytes);
  }
  return out;
}

function memorySource(image: DecodedImage): BandSource {
  const rowBytes = image.width * 3;
  return {
    width: image.width,
    height: image.height,
    geo: image.geo,
    source: image.source,
    windowed: false,
    read: async (top, bottom) => image.data.subarray(top * rowBytes, bottom * rowBytes),
    readWindow: async (left, top, right, bottom) => crop(image, left, top, right, bottom),
  };
}

async function isTiffFile(path: string): Promise<boolean> {
  try {
    const handle = await open(path, 'r');
    try {
      const head = new Uint8Array(SNIFF_BYTES);
      const { bytesRead } = await handle.read(head, 0, SNIFF_BYTES, 0);
      return sniffFormat(head.subarray(0, bytesRead)) === 'tiff';
    } finally {
      await handle.close();
    }
  } catch {
    return false; // decodeImage() reports unreadable files with its own, precise message
  }
}

async function windowedSource(path: string, decode: DecodeOptions): Promise<BandSource | null> {
  const what = `Image ${JSON.stringify(path)}`;
  const { tiff, image } = await openTiff(path, what);
  let width: number;
  let height: number;
  let geo: GeoInfo | null;
  let source: SourceInfo;
  try {
    if (!needsGeotiff(image)) return null;
    width = image.getWidth();
    height = image.getHeight();
    geo = geoInfoFor(image, [0, 0, width, height]);
    source = { format: geo ? 'geotiff' : 'tiff', channels: image.getSamplesPerPixel(), bitsPerSample: image.getBitsPerSample(0) };
    if (image.getSampleFormat(0) === 3 && decode.valueRange === undefined) {
      throw new LwganetError(
        'IMAGE_DECODE',
        `${what} has floating-point samples: give decode.valueRange [min, max] (CLI --value-range MIN,MAX) so every tile is scaled to 0..255 the same way`,
      );
    }
  } finally {
    await tiff.close();
  }
  const { window: _ignored, ...rest } = decode;
  return {
    width,
    height,
    geo,
    source,
    windowed: true,
    read: async (top, bottom) => (await decodeImage(path, { ...rest, window: [0, top, width, bottom] })).data,
    readWindow: async (left, top, right, bottom) => (await decodeImage(path, { ...rest, window: [left, top, right, bottom] })).data,
  };
}

/**
 * Opens an image for band-wise reading.
 * @param input a path, encoded bytes, raw pixels or a decoded image
 * @param decode decode options (maxPixels applies to whole decodes and to each window; bands,
 *   valueRange for GeoTIFFs). `window` is not supported here: tile the window's file instead.
 * @throws LwganetError IMAGE_DECODE / IMAGE_TOO_LARGE as decodeImage() does.
 */
export async function openBandSource(input: ImageInput, decode: DecodeOptions = {}): Promise<BandSource> {
  if (typeof decode !== 'object' || decode === null) throw invalidArgument('decode', 'an object', decode);
  if (decode.window !== undefined) throw invalidArgument('decode.window', 'no window (tiled inference reads the whole image)', decode.window, 'range');
  if (typeof input === 'string' && input.length > 0 && (await isTiffFile(input))) {
    const windowed = await windowedSource(input, decode);
    if (windowed) return windowed;
  }
  return memorySource(await decodeImage(input, decode));
}
