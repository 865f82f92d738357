/**
 * Masks as GeoTIFF carrying the input's georeferencing: the same geotransform (as tie point +
 * pixel scale, or a ModelTransformation when the grid is rotated) and the same GeoKeys (CRS),
 * so GIS tools overlay the mask on the scene. Written with geotiff.js (one uncompressed strip:
 * the mask is 1 byte per pixel). Pixel values are the class indices; there is no colour map
 * because geotiff.js cannot write the ColorMap tag (320) — use the PNG outputs to look at it.
 *
 * The GeoKey directory is built here rather than by geotiff.js: geotiff.js separates ASCII
 * GeoKeys (citations) with NUL bytes, and with two or more of them (as every GDAL-written
 * projected GeoTIFF has) GDAL finds the second outside the params and drops the whole CRS.
 * The GeoTIFF spec separates them with '|', which is what is written here. geotiff.js also
 * dropped the projection parameters of a user-defined projection (it has no type for them).
 */

import { geotiff } from '../image/geotiff-module.js';
import { invalidArgument } from '../errors.js';
import type { GeoInfo } from '../image/types.js';
import { writeAtomically } from './atomic.js';
import { checkMask } from './mask-png.js';

/** GeoKey value meaning "user-defined". */
const USER_DEFINED = 32767;

/**
 * GeoKeys stored as doubles by the GeoTIFF spec (GeoTIFF 1.1 §7.1): the unit sizes, the
 * ellipsoid/prime-meridian values and every projection parameter. geotiff.js's type table
 * lacks the projection parameters (3078-3095), which a user-defined projection carries.
 */
function isDoubleGeoKey(code: number): boolean {
  return code === 2053 || code === 2055 || (code >= 2057 && code <= 2061) || (code >= 3077 && code <= 3095);
}

/**
 * GeoKeyDirectory (34735), GeoAsciiParams (34737, '|'-terminated entries) and GeoDoubleParams
 * (34736) for the GeoKeys in `keys`, sorted by key id as the spec requires.
 */
export function geoKeyTags(keys: Record<string, unknown>): Record<string, unknown> {
  const { geoKeyNames, fieldTagTypes } = geotiff().globals as unknown as { geoKeyNames: Record<number, string>; fieldTagTypes: Record<number, string> };
  const codes = new Map(Object.entries(geoKeyNames).map(([code, name]) => [name, Number(code)]));
  const entries = Object.entries(keys)
    .filter(([name, value]) => codes.has(name) && value !== undefined && value !== null)
    .map(([name, value]) => [codes.get(name)!, value] as const)
    .sort((a, b) => a[0] - b[0]);
  const directory = [1, 1, 0, 0];
  let ascii = '';
  const doubles: number[] = [];
  for (const [code, value] of entries) {
    const type = typeof value === 'string' ? 'ASCII' : (fieldTagTypes[code] ?? (isDoubleGeoKey(code) ? 'DOUBLE' : 'SHORT'));
    if (type === 'ASCII') {
      const text = `${String(value)}|`; // verbatim: GDAL itself writes "|" inside citations; the count delimits
      directory.push(code, 34737, text.length, ascii.length);
      ascii += text;
    } else if (type === 'DOUBLE') {
      const values = (Array.isArray(value) ? value : [value]).map(Number);
      directory.push(code, 34736, values.length, doubles.length);
      doubles.push(...values);
    } else {
      directory.push(code, 0, 1, Number(value));
    }
  }
  directory[3] = (directory.length - 4) / 4;
  const tags: Record<string, unknown> = { GeoKeyDirectory: directory };
  if (ascii) tags.GeoAsciiParams = ascii;
  if (doubles.length > 0) tags.GeoDoubleParams = doubles;
  return tags;
}

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
  // The GeoKeys stay in `meta` too: geotiff.js tests them to decide whether to add its
  // EPSG:4326 default, and drops them once it sees the directory is given.
  return { ...meta, ...geoKeyTags(meta) };
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
