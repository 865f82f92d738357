/**
 * Row bands of an image, read on demand, so tiled inference never holds a whole scene; and
 * single windows (detection patches), so patch-wise inference holds only one patch.
 *
 * Rasters that need GDAL to be read faithfully (georeferenced ones, and files with more than 4
 * bands or samples other than Byte/UInt16: GeoTIFF, JPEG2000, VRT ...) are opened once for their
 * size, georeferencing and per-band value ranges (computed once on the whole raster, so every
 * window is scaled alike), then each band is a window read. Every other input (JPEG, PNG, WebP —
 * with a world file or not —, plain TIFFs sharp reads as they are, bytes, raw pixels) is decoded
 * whole by decodeImage(), bounded by `maxPixels`, and bands are views of it. Conversions are
 * gdal-raster.ts's and decode-sharp.ts's.
 *
 * Nodata: every read records which of its pixels are nodata into a whole-image flag array
 * (1 byte per pixel), so once all tiles or patches are read, nodataMask() covers the image.
 */

import { invalidArgument } from '../errors.js';
import { decodeImage } from './decode.js';
import { checkWindow, needsGdal } from './decode-gdal.js';
import { bandRanges, openGdalRaster, pickBands, readRgb } from './gdal-raster.js';
import { checkPixelCount, resolveMaxPixels } from './limits.js';
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
  /** width × height flags, 1 = nodata, for every pixel read so far; null when none was nodata. */
  nodataMask(): Uint8Array | null;
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
    nodataMask: () => image.nodata ?? null,
  };
}

async function gdalOpens(path: string): Promise<boolean> {
  try {
    (await openGdalRaster(path, path)).close();
    return true;
  } catch {
    return false; // decodeImage() reports what is wrong with it
  }
}

async function sniffFile(path: string): Promise<string> {
  try {
    const handle = await open(path, 'r');
    try {
      const head = new Uint8Array(SNIFF_BYTES);
      const { bytesRead } = await handle.read(head, 0, SNIFF_BYTES, 0);
      return sniffFormat(head.subarray(0, bytesRead));
    } finally {
      await handle.close();
    }
  } catch {
    return 'unreadable'; // decodeImage() reports unreadable files with its own, precise message
  }
}

/** A window-reading source for a raster GDAL reads and sharp should not, else null. */
async function windowedSource(path: string, decode: DecodeOptions): Promise<BandSource | null> {
  const what = `Image ${JSON.stringify(path)}`;
  const raster = await openGdalRaster(path, what);
  let ranges: [number, number][];
  let bands: [number, number, number];
  try {
    if (!needsGdal(raster)) return null;
    bands = pickBands(decode.bands, raster.bandCount);
    ranges = await bandRanges(raster, bands, decode.valueRange, what);
  } finally {
    raster.close();
  }
  const { width, height, geo, source } = raster;
  const maxPixels = resolveMaxPixels(decode.maxPixels);
  let nodata: Uint8Array | null = null;
  const readWindow = async (left: number, top: number, right: number, bottom: number): Promise<Uint8Array> => {
    const window = checkWindow([left, top, right, bottom], width, height);
    checkPixelCount(right - left, bottom - top, maxPixels, `The window of ${what}`);
    const opened = await openGdalRaster(path, what);
    try {
      const rgb = await readRgb(opened, window, bands, ranges, what);
      if (rgb.nodata) {
        nodata ??= new Uint8Array(width * height);
        const w = right - left;
        for (let y = top; y < bottom; y++) nodata.set(rgb.nodata.subarray((y - top) * w, (y - top + 1) * w), y * width + left);
      }
      return rgb.data;
    } finally {
      opened.close();
    }
  };
  return {
    width,
    height,
    geo,
    source,
    windowed: true,
    read: (top, bottom) => readWindow(0, top, width, bottom),
    readWindow,
    nodataMask: () => nodata,
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
  // An empty path sniffs as 'unreadable' (decodeImage() then reports it).
  if (typeof input === 'string' && ['tiff', 'other'].includes(await sniffFile(input)) && (await gdalOpens(input))) {
    const windowed = await windowedSource(input, decode);
    if (windowed) return windowed;
  }
  return memorySource(await decodeImage(input, decode));
}
