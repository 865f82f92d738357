/**
 * A picture for people: the input image with each pixel tinted by its class colour
 * (out = (1 − alpha)·pixel + alpha·colour), written as an RGB PNG. The image is read band by
 * band (window reads for GeoTIFFs) and the PNG is streamed, so a scene never sits in memory whole.
 */

import { LwganetError, invalidArgument } from '../errors.js';
import { openBandSource } from '../image/band-source.js';
import type { DecodeOptions, ImageInput } from '../image/types.js';
import type { Palette } from '../model/metadata.js';
import { checkMask } from './mask-png.js';
import { writePng } from './png-writer.js';

export interface OverlayOptions {
  /** Weight of the class colour, 0 (image only) … 1 (colours only). Default 0.5. */
  alpha?: number;
  /** Decode options for the image (the same as used for inference). */
  decode?: DecodeOptions;
}

/**
 * Writes the overlay PNG atomically.
 * @param image the image the mask was computed from (same width × height)
 * @param mask class index per pixel; `palette` must have a colour for each index
 * @throws INPUT_SHAPE when the image and mask sizes differ; decode errors as decodeImage()
 */
export async function writeOverlayPng(file: string, image: ImageInput, mask: Uint8Array, width: number, height: number, palette: Palette, options: OverlayOptions = {}): Promise<void> {
  checkMask(mask, width, height, palette);
  const alpha = options.alpha ?? 0.5;
  if (typeof alpha !== 'number' || !(alpha >= 0 && alpha <= 1)) throw invalidArgument('alpha', 'a number from 0 to 1', alpha, typeof alpha === 'number' ? 'range' : 'type');
  const source = await openBandSource(image, options.decode ?? {});
  if (source.width !== width || source.height !== height) {
    throw new LwganetError('INPUT_SHAPE', `The overlay image is ${source.width}×${source.height} but the mask is ${width}×${height}`);
  }
  // Per class and channel, alpha·colour is constant: precompute it once.
  const tint = palette.map((colour) => colour.map((v) => alpha * v));
  await writePng(file, { width, height, colorType: 'rgb' }, async (top, bottom) => {
    const pixels = await source.read(top, bottom);
    const out = new Uint8Array(pixels.length);
    const offset = top * width;
    for (let p = 0; p < (bottom - top) * width; p++) {
      const t = tint[mask[offset + p]];
      for (let c = 0; c < 3; c++) out[p * 3 + c] = Math.round((1 - alpha) * pixels[p * 3 + c] + t[c]);
    }
    return out;
  });
}
