/**
 * Masks as PNG: an indexed PNG whose pixel values are the class indices and whose PLTE chunk
 * holds the model's colours (viewers show colours, PIL/NumPy read the indices), or a plain
 * 8-bit grey PNG of the indices (for tools that expect single-band label images).
 */

import { invalidArgument } from '../errors.js';
import type { Palette } from '../model/metadata.js';
import { writePng } from './png-writer.js';

export interface MaskPngOptions {
  /** Colours by class index: write an indexed (palette) PNG. Omit for a grey PNG of raw indices. */
  palette?: Palette | null;
}

/** Checks a mask's length and, for a palette, that every index has a colour. */
export function checkMask(mask: unknown, width: number, height: number, palette: Palette | null): Uint8Array {
  if (!(mask instanceof Uint8Array)) throw invalidArgument('mask', 'a Uint8Array of class indices', mask);
  if (!Number.isSafeInteger(width) || !Number.isSafeInteger(height) || width < 1 || height < 1) throw invalidArgument('width/height', 'positive integers', [width, height], 'range');
  if (mask.length !== width * height) throw invalidArgument('mask', `${width * height} bytes (width × height)`, mask, 'range');
  if (palette) {
    let max = 0;
    for (let i = 0; i < mask.length; i++) if (mask[i] > max) max = mask[i];
    if (max >= palette.length) throw invalidArgument('mask', `class indices below the palette's ${palette.length} colours`, max, 'range');
  }
  return mask;
}

/**
 * Writes a mask PNG atomically (a failed write leaves no file behind).
 * @param file target path
 * @param mask class index per pixel, row-major
 */
export async function writeMaskPng(file: string, mask: Uint8Array, width: number, height: number, options: MaskPngOptions = {}): Promise<void> {
  const palette = options.palette ?? null;
  checkMask(mask, width, height, palette);
  await writePng(
    file,
    palette ? { width, height, colorType: 'palette', palette } : { width, height, colorType: 'grey' },
    (top, bottom) => mask.subarray(top * width, bottom * width),
  );
}
