/**
 * The pixel-bomb guard. A tiny file can declare a 100 000 × 100 000 image; we compare the
 * declared size against a limit *before* decoding, so such files fail fast instead of
 * allocating tens of gigabytes.
 */

import { LwganetError, invalidArgument } from '../errors.js';

/** Default limit: 100 megapixels (≈300 MB as decoded RGB), far above any scene-classification chip. */
export const DEFAULT_MAX_PIXELS = 100_000_000;

/** Validates the `maxPixels` option and fills in the default. */
export function resolveMaxPixels(value: unknown): number {
  if (value === undefined) return DEFAULT_MAX_PIXELS;
  if (typeof value !== 'number') throw invalidArgument('maxPixels', 'a positive integer', value);
  if (!Number.isSafeInteger(value) || value < 1) throw invalidArgument('maxPixels', 'a positive integer', value, 'range');
  return value;
}

/** Throws IMAGE_TOO_LARGE when width × height exceeds the limit. */
export function checkPixelCount(width: number, height: number, maxPixels: number, what: string): void {
  if (width * height > maxPixels) {
    throw new LwganetError(
      'IMAGE_TOO_LARGE',
      `${what} is too large: ${width}×${height} = ${width * height} pixels exceeds the limit of ${maxPixels} (raise maxPixels, or read a GeoTIFF by window)`,
    );
  }
}
