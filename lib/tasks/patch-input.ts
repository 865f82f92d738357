/**
 * One detection patch as model input: 8-bit RGB pixels → a (1, 3, H, W) float32 tensor through
 * the model's lookup tables (normalize.ts), padded on the right/bottom only where the model's
 * size rule requires it (an image smaller than the model's minimum, or a multipleOf rule).
 *
 * Padding is 0 in normalised space, i.e. the mean colour — the same value the detector's own
 * internal padding to a multiple of 32 uses — so a padded patch gives
 * the same result whether we pad or the model does. Border patches are not padded to the full
 * patch size: the detector takes any size and pads itself.
 */

import { invalidArgument } from '../errors.js';
import type { InputSizeRule } from '../model/metadata.js';
import { Tensor } from '../tensor/tensor.js';

/** The input size for a patch of width × height pixels under the model's size rule. */
export function patchInputSize(width: number, height: number, size: InputSizeRule): { width: number; height: number } {
  if (size.rule === 'fixed') {
    if (width > size.width || height > size.height) {
      throw invalidArgument('tileSize', `at most the model's fixed input size ${size.width}×${size.height}`, Math.max(width, height), 'range');
    }
    return { width: size.width, height: size.height };
  }
  const multiple = size.multipleOf ?? 1;
  const up = (v: number, min: number) => Math.ceil(Math.max(v, min) / multiple) * multiple;
  return { width: up(width, size.minWidth), height: up(height, size.minHeight) };
}

/**
 * Normalises interleaved RGB pixels of a width × height patch into a (1, 3, inHeight, inWidth) tensor.
 * @param tables one 256-entry lookup table per output channel (buildLookupTables)
 * @param bgr put the blue byte in output channel 0
 */
export function patchTensor(pixels: Uint8Array, width: number, height: number, inWidth: number, inHeight: number, tables: Float32Array[], bgr: boolean): Tensor<'float32'> {
  const plane = inWidth * inHeight;
  // Float32Array starts as zeros: the padding is already in place.
  const out = new Float32Array(3 * plane);
  for (let c = 0; c < 3; c++) {
    const table = tables[c];
    const channel = bgr ? 2 - c : c;
    for (let y = 0; y < height; y++) {
      const row = c * plane + y * inWidth;
      let s = y * width * 3 + channel;
      for (let x = 0; x < width; x++, s += 3) out[row + x] = table[pixels[s]];
    }
  }
  return new Tensor('float32', out, [1, 3, inHeight, inWidth]);
}
