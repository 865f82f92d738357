/**
 * A class mask (segmentation or change) as polygons through OGR: GDAL's polygonize traces the
 * 4-connected regions of equal class on an in-memory raster carrying the input's geotransform,
 * so every vertex is a pixel corner mapped exactly as GDAL maps it. One feature per region with
 * its class (`index`, `label`) and `area` in m² (geo/area.ts; unset without georeferencing),
 * computed before any simplification. Nodata pixels and, on request, a background class make no
 * features. Written by vector-file.ts (GeoJSON in WGS 84 by default, GeoPackage/FlatGeobuf in
 * the native CRS).
 */

import type { Geometry } from 'gdal-async';
import { areaModelOf, polygonArea } from '../geo/area.js';
import { spatialReferenceOf } from '../geo/crs.js';
import { gdal } from '../geo/gdal.js';
import { invalidArgument } from '../errors.js';
import type { GeoInfo } from '../image/types.js';
import { vectorCrsFor, vectorFormatFor, writeVectorLayer, type VectorCrs, type VectorFeature, type VectorFormat, type VectorOptions } from './vector-file.js';

export interface MaskVectorOptions extends VectorOptions {
  /** Class names by index (the `label` field); default: the index as text. */
  labels?: readonly string[];
  /** Mask value of nodata pixels (no features); default none. */
  nodata?: number | null;
  /** A class to leave out (e.g. background, or 0 "unchanged" for change masks); default none. */
  background?: number | null;
  /**
   * Douglas–Peucker tolerance in pixels (GDAL's simplifyPreserveTopology, polygon by polygon:
   * neighbours' shared borders may then no longer coincide). Default 0: pixel-exact outlines.
   */
  simplify?: number;
}

function optionalClass(name: string, value: number | null | undefined): number | null {
  if (value === undefined || value === null) return null;
  if (!Number.isInteger(value) || value < 0 || value > 255) throw invalidArgument(name, 'an integer from 0 to 255 or null', value, 'range');
  return value;
}

type Ring = Array<[number, number]>;

function ringsOf(geometry: Geometry): Ring[] {
  const o = geometry.toObject() as { type: string; coordinates: Ring[] };
  return o.coordinates;
}

/**
 * Polygonizes `mask` (width × height class indices, row-major) and writes the polygons to `file`.
 * @throws RangeError/TypeError for bad sizes or options.
 */
export async function writeMaskVector(file: string, mask: Uint8Array, width: number, height: number, geo: GeoInfo | null, options: MaskVectorOptions = {}): Promise<{ format: VectorFormat; crs: VectorCrs; features: number }> {
  if (!(mask instanceof Uint8Array)) throw invalidArgument('mask', 'a Uint8Array', mask);
  if (!Number.isSafeInteger(width) || !Number.isSafeInteger(height) || width < 1 || height < 1 || mask.length !== width * height) {
    throw invalidArgument('mask size', `width × height equal to the mask length (${mask.length})`, `${width}×${height}`, 'range');
  }
  // Option errors before any work.
  vectorCrsFor(vectorFormatFor(file, options.format), options.crs);
  const nodata = optionalClass('nodata', options.nodata);
  const background = optionalClass('background', options.background);
  const simplify = options.simplify ?? 0;
  if (typeof simplify !== 'number' || !Number.isFinite(simplify) || simplify < 0) throw invalidArgument('simplify', 'a number ≥ 0 (pixels)', simplify, 'range');
  const g = gdal();
  const srs = spatialReferenceOf(geo);
  const transform = srs && geo ? geo.geoTransform : [0, 1, 0, 0, 0, 1];
  const raster = g.drivers.get('MEM').create('', width, height, 2, g.GDT_Byte);
  raster.geoTransform = transform;
  await raster.bands.get(1).pixels.writeAsync(0, 0, width, height, mask);
  // Band 2 is polygonize's mask: 0 where no feature may be made.
  const valid = new Uint8Array(mask.length);
  for (let i = 0; i < mask.length; i++) valid[i] = mask[i] === nodata || mask[i] === background ? 0 : 1;
  await raster.bands.get(2).pixels.writeAsync(0, 0, width, height, valid);
  const memory = g.open('regions', 'w', 'Memory');
  const regions = memory.layers.create('regions', srs, g.wkbPolygon);
  regions.fields.add(new g.FieldDefn('index', g.OFTInteger));
  await g.polygonizeAsync({ src: raster.bands.get(1), mask: raster.bands.get(2), dst: regions, pixValField: 0, connectedness: 4 });
  raster.close();
  const model = srs ? areaModelOf(srs) : null;
  const tolerance = simplify * Math.sqrt(Math.abs(transform[1] * transform[5] - transform[2] * transform[4]));
  const features: VectorFeature[] = [];
  for (const region of regions.features) {
    const index = region.fields.get('index') as number;
    let geometry = region.getGeometry()!.clone();
    const area = model ? polygonArea(model, ringsOf(geometry)) : null;
    if (tolerance > 0) geometry = geometry.simplifyPreserveTopology(tolerance);
    features.push({ geometry, properties: { index, label: options.labels?.[index] ?? String(index), area } });
  }
  memory.close();
  const fields = [{ name: 'index', type: 'integer' as const }, { name: 'label', type: 'string' as const }, { name: 'area', type: 'real' as const }];
  const written = await writeVectorLayer(file, { name: 'classes', fields, srs }, features, options);
  return { ...written, features: features.length };
}
