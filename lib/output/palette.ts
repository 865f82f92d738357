/**
 * Colours for masks: the model's palette when its metadata has one, else the PASCAL VOC colour
 * map (bit-interleaved, deterministic, distinct for the first 256 classes), which segmentation
 * users already recognise. Change masks use black (unchanged) and white (changed).
 */

import type { Palette } from '../model/metadata.js';

/** Black = unchanged, white = changed. */
export const CHANGE_PALETTE: Palette = [[0, 0, 0], [255, 255, 255]];

/** The PASCAL VOC colour map for `count` classes (at most 256). */
export function defaultPalette(count: number): Palette {
  const palette: Palette = [];
  for (let i = 0; i < count; i++) {
    let r = 0;
    let g = 0;
    let b = 0;
    let c = i;
    for (let j = 0; j < 8; j++) {
      r |= ((c >> 0) & 1) << (7 - j);
      g |= ((c >> 1) & 1) << (7 - j);
      b |= ((c >> 2) & 1) << (7 - j);
      c >>= 3;
    }
    palette.push([r, g, b]);
  }
  return palette;
}
