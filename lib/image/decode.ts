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
import { decodeGeotiff, needsGeotiff, openTiff } from './decode-geotiff.js';
import { checkPixelCount, resolveMaxPixels } from './limits.js';
import { SNIFF_BYTES, sniffFormat } from './sniff.js';
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

async function decodeEncoded(input: string | Uint8Array, options: DecodeOptions, maxPixels: number): Promise<DecodedImage> {
  const what = typeof input === 'string' ? `Image ${JSON.stringify(input)}` : 'Image buffer';
  if (typeof input !== 'string' && input.length === 0) throw new LwganetError('IMAGE_DECODE', `${what} could not be decoded: the buffer is empty`);
  const head = typeof input === 'string' ? await readHead(input) : input.subarray(0, SNIFF_BYTES);
  const format = sniffFormat(head);
  if (format === 'tiff') {
    const opened = await openTiff(input, what);
    if (needsGeotiff(opened.image)) return decodeGeotiff(opened, what, maxPixels, options);
    await opened.tiff.close();
  }
  if (options.window !== undefined || options.bands !== undefined || options.valueRange !== undefined) {
    throw invalidArgument('options', 'window/bands/valueRange only for GeoTIFF inputs', options, 'range');
  }
  return decodeWithSharp(input, what, maxPixels, format);
}

/**
 * For classify(): decodes and resizes a plain (not georeferenced) encoded image in one libvips
 * pipeline (decodeResizedWithSharp). Returns null when the input is not a path or bytes, is a
 * GeoTIFF, or is a source that pipeline does not reproduce exactly (16-bit, alpha): the caller
 * then decodes with decodeImage() and resizes the result.
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
  if (format === 'tiff') return null; // GeoTIFF or not, TIFFs keep decodeImage()'s path
  const what = typeof input === 'string' ? `Image ${JSON.stringify(input)}` : 'Image buffer';
  return decodeResizedWithSharp(input, what, resolveMaxPixels(options.maxPixels), plan);
}

/**
 * Decodes an image into 8-bit RGB (see decode-sharp.ts and decode-geotiff.ts for how grey,
 * alpha, palette, 16-bit and multi-band inputs are converted).
 * @param input a file path, encoded bytes (JPEG, PNG, WebP, TIFF, GeoTIFF, or anything libvips
 *   reads), raw pixels `{ data, width, height, channels }`, or a DecodedImage (returned as is)
 * @param options pixel limit; window, bands and value range for GeoTIFFs
 * @throws LwganetError IMAGE_DECODE (missing, empty, corrupt, truncated, unsupported) or
 *   IMAGE_TOO_LARGE (more than `maxPixels` pixels); TypeError/RangeError for bad arguments.
 */
export async function decodeImage(input: ImageInput, options: DecodeOptions = {}): Promise<DecodedImage> {
  if (typeof options !== 'object' || options === null) throw invalidArgument('options', 'an object', options);
  const maxPixels = resolveMaxPixels(options.maxPixels);
  if (typeof input === 'string') {
    if (input.length === 0) throw invalidArgument('image', 'a non-empty path', input, 'range');
    return decodeEncoded(input, options, maxPixels);
  }
  if (input instanceof Uint8Array) return decodeEncoded(input, options, maxPixels);
  if (typeof input === 'object' && input !== null) {
    if (isDecoded(input)) return input;
    if (isRawPixels(input)) {
      checkRaw(input, maxPixels);
      return convertRawWithSharp(input);
    }
  }
  throw invalidArgument('image', 'a path, a Buffer/Uint8Array, raw pixels { data, width, height, channels } or a decoded image', input);
}
