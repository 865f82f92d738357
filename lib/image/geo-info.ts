/**
 * Georeferencing of a GeoTIFF window: the affine transform (GDAL order) shifted to the
 * window's top-left pixel, and the CRS as an EPSG code plus the raw GeoKeys.
 */

import type { GeoTIFFImage } from 'geotiff';
import type { GeoInfo, GeoTransform } from './types.js';

/** GeoKey value meaning "user-defined", i.e. no EPSG code. */
const USER_DEFINED = 32767;

/** True when the TIFF carries any georeferencing tag. */
export function hasGeoTags(image: GeoTIFFImage): boolean {
  const dir = image.getFileDirectory();
  return ['ModelPixelScale', 'ModelTiepoint', 'ModelTransformation', 'GeoKeyDirectory'].some((tag) => dir.hasTag(tag as never));
}

function fullGeoTransform(image: GeoTIFFImage): GeoTransform | null {
  const dir = image.getFileDirectory();
  const matrix = dir.hasTag('ModelTransformation') ? (dir.getValue('ModelTransformation') as number[] | undefined) : undefined;
  if (matrix && matrix.length >= 16) {
    // 4×4 row-major matrix: x = m0·col + m1·row + m3, y = m4·col + m5·row + m7.
    return [matrix[3], matrix[0], matrix[1], matrix[7], matrix[4], matrix[5]];
  }
  if (!dir.hasTag('ModelTiepoint') || !dir.hasTag('ModelPixelScale')) return null;
  // getOrigin() already accounts for a tie point that is not at pixel (0, 0).
  const [originX, originY] = image.getOrigin();
  const [resX, resY] = image.getResolution();
  return [originX, resX, 0, originY, 0, resY];
}

function epsgOf(keys: Record<string, unknown>): number | null {
  for (const name of ['ProjectedCSTypeGeoKey', 'GeographicTypeGeoKey']) {
    const code = keys[name];
    if (typeof code === 'number' && code > 0 && code !== USER_DEFINED) return code;
  }
  return null;
}

/** Geo information for `window` ([left, top, right, bottom) in full-image pixels), or null without georeferencing. */
export function geoInfoFor(image: GeoTIFFImage, window: [number, number, number, number]): GeoInfo | null {
  const gt = fullGeoTransform(image);
  if (gt === null) return null;
  const [left, top] = window;
  const shifted: GeoTransform = [gt[0] + left * gt[1] + top * gt[2], gt[1], gt[2], gt[3] + left * gt[4] + top * gt[5], gt[4], gt[5]];
  const geoKeys = { ...(image.getGeoKeys() ?? {}) } as Record<string, unknown>;
  return {
    geoTransform: shifted,
    epsg: epsgOf(geoKeys),
    geoKeys,
    window,
    fullWidth: image.getWidth(),
    fullHeight: image.getHeight(),
    noData: image.getGDALNoData(),
  };
}
