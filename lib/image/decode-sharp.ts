/**
 * JPEG, PNG, WebP and plain TIFF through sharp (libvips): decoding and colour conversion run
 * natively on libuv's thread pool.
 *
 * Conversions (all done by libvips, documented here because they change pixel values):
 * - grey → RGB by replicating the grey value into R, G and B;
 * - palette → RGB by expanding the palette;
 * - alpha is dropped, not composited (in aerial imagery alpha is usually a footprint mask, and
 *   compositing would change the colours of valid pixels);
 * - 16-bit → 8-bit keeps the high byte (v >> 8), which is what libvips' sRGB conversion does;
 * - CMYK and other colour spaces → sRGB;
 * - EXIF orientation is ignored: pixels are used as stored, like PIL without exif_transpose.
 * Truncated files fail (failOn 'truncated') instead of being silently padded with grey.
 */

import sharp from 'sharp';
import { LwganetError } from '../errors.js';
import { checkPixelCount } from './limits.js';
import type { ResizePlan } from './resize-plan.js';
import type { DecodedImage, RawPixels, SourceInfo } from './types.js';

const BITS: Record<string, number> = { uchar: 8, char: 8, ushort: 16, short: 16, uint: 32, int: 32, float: 32, double: 64 };

function decodeFailure(what: string, error: unknown): LwganetError {
  const message = error instanceof Error ? error.message.split('\n')[0] : String(error);
  if (/exceeds pixel limit/i.test(message)) {
    return new LwganetError('IMAGE_TOO_LARGE', `${what} is too large: ${message}`, { cause: error });
  }
  return new LwganetError('IMAGE_DECODE', `${what} could not be decoded: ${message}`, { cause: error });
}

/** Reads the header only and checks the pixel limit (ours, so the message can state the size). */
async function readHeader(input: string | Uint8Array, what: string, maxPixels: number): Promise<{ meta: sharp.Metadata; width: number; height: number }> {
  let meta: sharp.Metadata;
  try {
    meta = await sharp(input, { limitInputPixels: false }).metadata();
  } catch (error) {
    throw decodeFailure(what, error);
  }
  const width = meta.width ?? 0;
  const height = meta.height ?? 0;
  if (width < 1 || height < 1) throw new LwganetError('IMAGE_DECODE', `${what} could not be decoded: it declares no pixels`);
  checkPixelCount(width, height, maxPixels, what);
  return { meta, width, height };
}

/** Decodes encoded bytes or a file path (already checked to exist) into 8-bit RGB. */
export async function decodeWithSharp(input: string | Uint8Array, what: string, maxPixels: number, format: SourceInfo['format']): Promise<DecodedImage> {
  const { meta, width, height } = await readHeader(input, what, maxPixels);
  const source: SourceInfo = { format, channels: meta.channels ?? 3, bitsPerSample: BITS[meta.depth ?? 'uchar'] ?? 8 };
  try {
    const { data, info } = await sharp(input, { limitInputPixels: maxPixels, failOn: 'truncated' })
      .toColourspace('srgb')
      .removeAlpha()
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) throw new Error(`expected 3 channels after conversion, got ${info.channels}`);
    return Object.freeze({ data: new Uint8Array(data.buffer, data.byteOffset, data.length), width: info.width, height: info.height, channels: 3, source, geo: null });
  } catch (error) {
    throw decodeFailure(what, error);
  }
}

/**
 * Decodes and resizes in one libvips pipeline, so only the model-sized pixels reach
 * JavaScript (a 10k² image no longer crosses as 300 MB of RGB and back). The pixels equal those
 * of decodeWithSharp() followed by a resize of its output, because:
 * - the leading whole-image extract stops libvips from shrinking JPEG and WebP on load (DCT or
 *   subsampled decoding, which would give other pixels than a full decode);
 * - it is used only for 8-bit sources without alpha: libvips resizes 16-bit samples before the
 *   cast to 8 bits and premultiplies alpha, both of which change values. Those sources return
 *   null and the caller decodes first, then resizes.
 * @param plan the resize and crop for the decoded width × height (it may throw, e.g. INPUT_SHAPE)
 */
export async function decodeResizedWithSharp(
  input: string | Uint8Array,
  what: string,
  maxPixels: number,
  plan: (width: number, height: number) => ResizePlan,
): Promise<{ data: Uint8Array; width: number; height: number; plan: ResizePlan } | null> {
  const { meta, width, height } = await readHeader(input, what, maxPixels);
  if (meta.hasAlpha || (meta.depth !== undefined && meta.depth !== 'uchar' && meta.depth !== 'char')) return null;
  const box = plan(width, height);
  try {
    let pipeline = sharp(input, { limitInputPixels: maxPixels, failOn: 'truncated' }).toColourspace('srgb').removeAlpha();
    if (box.resizeWidth !== width || box.resizeHeight !== height) {
      pipeline = pipeline.extract({ left: 0, top: 0, width, height }).resize(box.resizeWidth, box.resizeHeight, { fit: 'fill', kernel: box.kernel });
    }
    if (box.width !== box.resizeWidth || box.height !== box.resizeHeight) pipeline = pipeline.extract({ left: box.left, top: box.top, width: box.width, height: box.height });
    const { data, info } = await pipeline.raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) throw new Error(`expected 3 channels after conversion, got ${info.channels}`);
    return { data: new Uint8Array(data.buffer, data.byteOffset, data.length), width: info.width, height: info.height, plan: box };
  } catch (error) {
    throw decodeFailure(what, error);
  }
}

/** Converts caller-supplied raw pixels (1–4 channels, 8 or 16 bit) with the same rules as files. */
export async function convertRawWithSharp(raw: RawPixels): Promise<DecodedImage> {
  const bitsPerSample = raw.data instanceof Uint16Array ? 16 : 8;
  const source: SourceInfo = { format: 'raw', channels: raw.channels, bitsPerSample };
  if (bitsPerSample === 8 && raw.channels === 3) {
    const data = raw.data instanceof Uint8Array ? raw.data : new Uint8Array(raw.data.buffer, raw.data.byteOffset, raw.data.length);
    return Object.freeze({ data, width: raw.width, height: raw.height, channels: 3, source, geo: null });
  }
  try {
    const { data } = await sharp(raw.data, { raw: { width: raw.width, height: raw.height, channels: raw.channels }, limitInputPixels: false })
      .toColourspace('srgb')
      .removeAlpha()
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
    return Object.freeze({ data: new Uint8Array(data.buffer, data.byteOffset, data.length), width: raw.width, height: raw.height, channels: 3, source, geo: null });
  } catch (error) {
    throw decodeFailure('Raw pixel input', error);
  }
}
