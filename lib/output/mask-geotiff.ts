/**
 * Masks as GeoTIFF carrying the input's georeferencing: the same geotransform (as tie point +
 * pixel scale, or a ModelTransformation when the grid is rotated) and the same GeoKeys (CRS),
 * so GIS tools overlay the mask on the scene. Written with geotiff.js (one uncompressed strip:
 * the mask is 1 byte per pixel). Pixel values are the class indices; there is no colour map
 * because geotiff.js cannot write the ColorMap tag (320) — use the PNG outputs to look at it.
 */

import { geotiff } from '../image/geotiff-module.js';
import { invalidArgument } from '../errors.js';
import type { GeoInfo } from '../image/types.js';
import { writeAtomically } from './atomic.js';
import { checkMask } from './mask-png.js';

/** GeoKey value meaning "user-defined". */
const USER_DEFINED = 32767;

function georeferencing(geo: GeoInfo): Record<string, unknown> {
  const gt = geo.geoTransform;
  const meta: Record<string, unknown> = {};
  if (gt[2] === 0 && gt[4] === 0) {
    meta.ModelPixelScale = [gt[1], -gt[5], 0];
    meta.ModelTiepoint = [0, 0, 0, gt[0], gt[3], 0];
  } else {
    meta.ModelTransformation = [gt[1], gt[2], 0, gt[0], gt[4], gt[5], 0, gt[3], 0, 0, 0, 0, 0, 0, 0, 1];
  }
  for (const [key, value] of Object.entries(geo.geoKeys)) {
    if (key.endsWith('GeoKey') && value !== undefined && value !== null) meta[key] = value;
  }
  // geotiff.js labels a file without either CRS key as EPSG:4326; say "user-defined" instead of lying.
  if (!('GeographicTypeGeoKey' in meta) && !('ProjectedCSTypeGeoKey' in meta)) {
    meta[meta.GTModelTypeGeoKey === 2 ? 'GeographicTypeGeoKey' : 'ProjectedCSTypeGeoKey'] = USER_DEFINED;
  }
  meta.GTRasterTypeGeoKey ??= 1;
  return meta;
}

/**
 * Writes a single-band 8-bit GeoTIFF mask atomically.
 * @param geo the input's georeferencing (SegmentationResult.geo / ChangeResult.geo); required
 * @throws TypeError/RangeError for a mask that does not match width × height or lacks geo
 */
export async function writeMaskGeotiff(file: string, mask: Uint8Array, width: number, height: number, geo: GeoInfo): Promise<void> {
  checkMask(mask, width, height, null);
  if (typeof geo !== 'object' || geo === null || !Array.isArray(geo.geoTransform)) {
    throw invalidArgument('geo', 'the georeferencing of a GeoTIFF input (write a PNG for other inputs)', geo);
  }
  const meta: Record<string, unknown> = {
    width,
    height,
    SamplesPerPixel: 1,
    BitsPerSample: [8],
    SampleFormat: [1],
    PlanarConfiguration: 1,
    PhotometricInterpretation: 1,
    ...georeferencing(geo),
  };
  const bytes = new Uint8Array(geotiff().writeArrayBuffer(mask, meta as never));
  await writeAtomically(file, async (handle) => {
    await handle.write(bytes);
  });
}
