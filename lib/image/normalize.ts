/**
 * HWC 8-bit RGB → CHW float32, applying colour order, valueScale and mean/std.
 * There are only 256 possible input values per channel, so each output value comes from a
 * 256-entry lookup table computed once in float64 as (v / valueScale − mean) / std and rounded to
 * float32 once. The pass is then one table load and store per sample (measured in
 * bench/preprocess.mjs), and bit-identical to the same formula evaluated in float64 by NumPy.
 */

import type { InputSpec } from '../model/metadata.js';

/** One lookup table per output channel. */
export function buildLookupTables(input: Pick<InputSpec, 'valueScale' | 'mean' | 'std' | 'channels'>): Float32Array[] {
  const tables: Float32Array[] = [];
  for (let c = 0; c < input.channels; c++) {
    const table = new Float32Array(256);
    for (let v = 0; v < 256; v++) table[v] = (v / input.valueScale - input.mean[c]) / input.std[c];
    tables.push(table);
  }
  return tables;
}

/**
 * Writes one image into `out` at `offset` (elements) in CHW order.
 * @param pixels interleaved RGB bytes of `pixelCount` pixels
 * @param colorOrder 'BGR' puts the blue byte in output channel 0
 */
export function normalizeInto(
  pixels: Uint8Array,
  pixelCount: number,
  tables: Float32Array[],
  colorOrder: 'RGB' | 'BGR',
  out: Float32Array,
  offset: number,
): void {
  for (let c = 0; c < 3; c++) {
    const source = colorOrder === 'BGR' ? 2 - c : c;
    const table = tables[c];
    const base = offset + c * pixelCount;
    for (let i = 0, j = source; i < pixelCount; i++, j += 3) out[base + i] = table[pixels[j]];
  }
}
