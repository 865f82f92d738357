/**
 * decodeImage(): one entry point from "whatever the caller has" (path, bytes, raw pixels, or an
 * already decoded image) to 8-bit RGB pixels, with geo information for GeoTIFFs.
 * Format is chosen by magic bytes, never by file extension. Every failure is an LwganetError
 * (IMAGE_DECODE or IMAGE_TOO_LARGE) naming the input.
 */

import { open, stat } from 'node:fs/promises';
import { LwganetError, invalidArgument } from '../errors.js';
import { convertRawWithSharp, decodeResizedWithSharp, decodeWithSharp } from './decode-sharp.js';
import type { ResizePlan } from './resize-plan.js';
import { decodeGdal, needsGdal, type ReduceFor } from './decode-gdal.js';
import { openGdalRaster } from './gdal-raster.js';
import { checkPixelCount, resolveMaxPixels } from './limits.js';
import { SNIFF_BYTES, sniffFormat, type SniffedFormat } from './sniff.js';
import type { DecodedImage, DecodeOptions, ImageInput, RawPixels } from './types.js';

function isDecoded(value: object): value is DecodedImage {
  const v = value as Partial<DecodedImage>;
  return v.data instanceof Uint8Array && v.channels === 3 && typeof v.source === 'object' && v.geo !== undefined;
}

function isRawPixels(value: object): value is RawPixels {
  return 'data' in value && 'width' in value && 'height' in value && 'channels' in value;
}

function checkRaw(raw: RawPixels, maxPixels: number): void {
  const { data, width, height, channels } = raw;
  if (!(data instanceof Uint8Array || data instanceof Uint8ClampedArray || data instanceof Uint16Array)) {
    throw invalidArgument('image.data', 'a Uint8Array, Uint8ClampedArray or Uint16Array', data);
  }
  for (const [name, v] of [['image.width', width], ['image.height', height]] as const) {
    if (typeof v !== 'number') throw invalidArgument(name, 'a positive integer', v);
    if (!Number.isSafeInteger(v) || v < 1) throw invalidArgument(name, 'a positive integer', v, 'range');
  }
  if (![1, 2, 3, 4].includes(channels)) throw invalidArgument('image.channels', '1, 2, 3 or 4', channels, typeof channels === 'number' ? 'range' : 'type');
  checkPixelCount(width, height, maxPixels, 'Raw pixel input');
  if (data.length !== width * height * channels) {
    throw invalidArgument('image.data', `${width * height * channels} samples (width × height × channels)`, data, 'range');
  }
}

async function readHead(path: string): Promise<Uint8Array> {
  let size: number;
  try {
    const info = await stat(path);
    if (!info.isFile()) throw new LwganetError('IMAGE_DECODE', `Image ${JSON.stringify(path)} is not a file`);
    size = info.size;
  } catch (error) {
    if (error instanceof LwganetError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : (error as Error).message;
    throw new LwganetError('IMAGE_DECODE', `Image ${JSON.stringify(path)} could not be read: ${why}`, { cause: error });
  }
  if (size === 0) throw new LwganetError('IMAGE_DECODE', `Image ${JSON.stringify(path)} could not be decoded: the file is empty`);
  try {
    const handle = await open(path, 'r');
    try {
      const head = new Uint8Array(SNIFF_BYTES);
      const { bytesRead } = await handle.read(head, 0, SNIFF_BYTES, 0);
      return head.subarray(0, bytesRead);
    } finally {
      await handle.close();
    }
  } catch (error) {
    throw new LwganetError('IMAGE_DECODE', `Image ${JSON.stringify(path)} could not be read: ${(error as Error).message}`, { cause: error });
  }
}

/** World-file suffixes GDAL looks for next to a JPEG/PNG/WebP (image.jgw, image.jpgw, image.wld ...). */
function worldFiles(path: string): string[] {
  const base = path.replace(/\.[^./\\]*$/, '');
  const ext = path.slice(base.length + 1);
  const short = ext.length >= 2 ? `${ext[0]}${ext[ext.length - 1]}w` : '';
  return [`${base}.${short}`, `${base}.${ext}w`, `${base}.wld`, `${path}.aux.xml`];
}

/**
 * Whether GDAL should open this input: TIFFs (GeoTIFF or not — needsGdal() then decides),
 * JPEG/PNG/WebP files with a world file or .aux.xml next to them, and files sharp does not
 * recognise (JPEG2000, VRT, ...). Plain JPEG/PNG/WebP stay with sharp.
 */
async function gdalDecodes(input: string | Uint8Array, format: SniffedFormat): Promise<boolean> {
  if (format === 'tiff') return true;
  if (typeof input !== 'string') return false;
  if (format === 'other') return gdalRecognises(input);
  for (const file of worldFiles(input)) {
    try {
      if ((await stat(file)).isFile()) return true;
    } catch {
      // no such sidecar
    }
  }
  return false;
}

/** True when GDAL identifies a driver for the file (without decoding it). */
async function gdalRecognises(path: string): Promise<boolean> {
  try {
    const raster = await openGdalRaster(path, path);
    raster.close();
    return true;
  } catch {
    return false;
  }
}

async function decodeEncoded(input: string | Uint8Array, options: DecodeOptions, maxPixels: number, reduce?: ReduceFor): Promise<DecodedImage> {
  const what = typeof input === 'string' ? `Image ${JSON.stringify(input)}` : 'Image buffer';
  if (typeof input !== 'string' && input.length === 0) throw new LwganetError('IMAGE_DECODE', `${what} could not be decoded: the buffer is empty`);
  const head = typeof input === 'string' ? await readHead(input) : input.subarray(0, SNIFF_BYTES);
  const format = sniffFormat(head);
  if (await gdalDecodes(input, format)) {
    const raster = await openGdalRaster(input, what);
    if (needsGdal(raster)) return decodeGdal(raster, what, maxPixels, options, reduce);
    raster.close();
  }
  if (options.window !== undefined || options.bands !== undefined || options.valueRange !== undefined) {
    throw invalidArgument('options', 'window/bands/valueRange only for GeoTIFF and other georeferenced inputs', options, 'range');
  }
  return decodeWithSharp(input, what, maxPixels, format);
}

/**
 * For classify(): decodes and resizes a plain (not georeferenced) JPEG/PNG/WebP in one libvips
 * pipeline (decodeResizedWithSharp). Returns null when the input is not a path or bytes, is read
 * by GDAL (TIFF, a world file beside it, formats sharp does not know), or is a source that
 * pipeline does not reproduce exactly (16-bit, alpha): the caller then decodes with decodeImage()
 * and resizes the result.
 */
export async function decodeResized(
  input: ImageInput,
  options: DecodeOptions,
  plan: (width: number, height: number) => ResizePlan,
): Promise<{ data: Uint8Array; width: number; height: number; plan: ResizePlan } | null> {
  if (typeof options !== 'object' || options === null) throw invalidArgument('options', 'an object', options);
  if (!(typeof input === 'string' && input.length > 0) && !(input instanceof Uint8Array && input.length > 0)) return null;
  if (options.window !== undefined || options.bands !== undefined || options.valueRange !== undefined) return null;
  const head = typeof input === 'string' ? await readHead(input) : input.subarray(0, SNIFF_BYTES);
  const format = sniffFormat(head);
  if (format === 'tiff' || format === 'other' || (await gdalDecodes(input, format))) return null;
  const what = typeof input === 'string' ? `Image ${JSON.stringify(input)}` : 'Image buffer';
  return decodeResizedWithSharp(input, what, resolveMaxPixels(options.maxPixels), plan);
}

/**
 * Decodes an image into 8-bit RGB (see decode-sharp.ts and gdal-raster.ts for how grey,
 * alpha, palette, 16-bit and multi-band inputs are converted).
 * @param input a file path, encoded bytes (JPEG, PNG, WebP, TIFF, GeoTIFF, or anything libvips
 *   reads), raw pixels `{ data, width, height, channels }`, or a DecodedImage (returned as is)
 * @param options pixel limit; window, bands and value range for GeoTIFFs
 * @param reduce internal: for a whole GDAL-read raster, the smaller size to read it at (GDAL uses
 *   overviews); the pixel limit still applies to the full size
 * @throws LwganetError IMAGE_DECODE (missing, empty, corrupt, truncated, unsupported) or
 *   IMAGE_TOO_LARGE (more than `maxPixels` pixels); TypeError/RangeError for bad arguments.
 */
export async function decodeImage(input: ImageInput, options: DecodeOptions = {}, reduce?: ReduceFor): Promise<DecodedImage> {
  if (typeof options !== 'object' || options === null) throw invalidArgument('options', 'an object', options);
  const maxPixels = resolveMaxPixels(options.maxPixels);
  if (typeof input === 'string') {
    if (input.length === 0) throw invalidArgument('image', 'a non-empty path', input, 'range');
    return decodeEncoded(input, options, maxPixels, reduce);
  }
  if (input instanceof Uint8Array) return decodeEncoded(input, options, maxPixels, reduce);
  if (typeof input === 'object' && input !== null) {
    if (isDecoded(input)) return input;
    if (isRawPixels(input)) {
      checkRaw(input, maxPixels);
      return convertRawWithSharp(input);
    }
  }
  throw invalidArgument('image', 'a path, a Buffer/Uint8Array, raw pixels { data, width, height, channels } or a decoded image', input);
}
