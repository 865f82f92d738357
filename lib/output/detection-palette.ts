/**
 * Box colours for detection pictures when the model has no palette: saturated, mid-lightness
 * hues stepped by the golden angle (≈137.5°), so neighbouring class indices get clearly
 * different colours whatever the class count, and the list is deterministic. (The PASCAL VOC
 * map used for masks starts with black, which is invisible as an outline on dark imagery.)
 */

import type { Palette } from '../model/metadata.js';

const GOLDEN_ANGLE = 137.50776405003785;

function hslToRgb(hue: number, saturation: number, lightness: number): [number, number, number] {
  const chroma = (1 - Math.abs(2 * lightness - 1)) * saturation;
  const channel = (n: number) => {
    const k = (n + hue / 30) % 12;
    return Math.round(255 * (lightness - chroma / 2 * Math.max(-1, Math.min(k - 3, 9 - k, 1))));
  };
  return [channel(0), channel(8), channel(4)];
}

/** `count` distinct RGB colours. */
export function detectionPalette(count: number): Palette {
  return Array.from({ length: count }, (_, i) => hslToRgb((i * GOLDEN_ANGLE) % 360, 0.9, 0.55));
}
