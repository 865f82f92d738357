/**
 * Nodata in task outputs: pixels the input has no data for (band nodata value, GDAL mask or
 * alpha band, NaN) get MASK_NODATA in class and change masks and NaN in score/probability
 * maps, and the result says so (`noData`), so writers and vectorizers can skip them.
 */

/** Mask value of nodata pixels (class masks hold at most 255 classes when the input has nodata). */
export const MASK_NODATA = 255;

/** Marks nodata pixels in `mask` (and NaN in `maps`); returns the mask's nodata value, or null when no pixel was nodata. */
export function applyNodata(nodata: Uint8Array | null, mask: Uint8Array, maps: Float32Array[] = []): number | null {
  if (nodata === null) return null;
  let any = false;
  for (let i = 0; i < nodata.length; i++) {
    if (nodata[i] === 0) continue;
    any = true;
    mask[i] = MASK_NODATA;
    for (const map of maps) map[i] = Number.NaN;
  }
  return any ? MASK_NODATA : null;
}
