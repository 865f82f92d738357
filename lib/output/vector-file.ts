/**
 * Vector files through OGR (gdal-async): GeoJSON, GeoPackage, FlatGeobuf.
 *
 * CRS: GeoJSON follows RFC 7946 by default — WGS 84 longitude/latitude (reprojected from the
 * input's CRS, see geo/crs.ts for the axis order), counter-clockwise outer rings, 7 decimals
 * (about 1 cm) — and `crs: 'native'` keeps the input's CRS instead and names it in a `crs`
 * member that OGR reads back: OGR writes an EPSG URN itself; for a CRS without an EPSG code the
 * member carries the CRS's WKT (OGR's GeoJSON reader accepts any CRS definition there).
 * GeoPackage and FlatGeobuf store the native CRS by default (they carry any CRS); `crs: 'wgs84'`
 * reprojects them too. Without georeferencing the coordinates are image pixels (x right, y
 * down) and the file names an engineering CRS "image pixels" (a GeoJSON file without any `crs`
 * would be read as WGS 84 degrees).
 * Files appear whole or not at all: written under a temporary name, then renamed.
 */

import { readFile, writeFile } from 'node:fs/promises';
import { extname } from 'node:path';
import type { Geometry, SpatialReference } from 'gdal-async';
import { invalidArgument } from '../errors.js';
import { toLonLat, lonLatReference } from '../geo/crs.js';
import { gdal } from '../geo/gdal.js';
import { writeAtomicallyAt } from './atomic.js';

export type VectorFormat = 'geojson' | 'gpkg' | 'fgb';
/** 'wgs84': longitude/latitude on WGS 84; 'native': the input's own CRS. */
export type VectorCrs = 'wgs84' | 'native';

export interface VectorOptions {
  /** Default: from the file extension (.geojson/.json, .gpkg, .fgb). */
  format?: VectorFormat;
  /** Default 'wgs84' for GeoJSON (RFC 7946), 'native' for GeoPackage and FlatGeobuf. */
  crs?: VectorCrs;
}

const DRIVERS: Record<VectorFormat, string> = { geojson: 'GeoJSON', gpkg: 'GPKG', fgb: 'FlatGeobuf' };
const EXTENSIONS: Record<string, VectorFormat> = { '.geojson': 'geojson', '.json': 'geojson', '.gpkg': 'gpkg', '.fgb': 'fgb' };

/** The vector format of a file name, or a RangeError naming the supported extensions. */
export function vectorFormatFor(file: string, format?: VectorFormat): VectorFormat {
  if (format !== undefined) {
    if (!Object.hasOwn(DRIVERS, format)) throw invalidArgument('vector format', '"geojson", "gpkg" or "fgb"', format, 'range');
    return format;
  }
  const found = EXTENSIONS[extname(file).toLowerCase()];
  if (!found) throw invalidArgument('vector file', 'a name ending in .geojson, .json, .gpkg or .fgb', file, 'range');
  return found;
}

/** Checks `crs` and gives the default for the format. */
export function vectorCrsFor(format: VectorFormat, crs?: VectorCrs): VectorCrs {
  if (crs === undefined) return format === 'geojson' ? 'wgs84' : 'native';
  if (crs !== 'wgs84' && crs !== 'native') throw invalidArgument('crs', '"wgs84" or "native"', crs, 'range');
  return crs;
}

export interface VectorField {
  name: string;
  type: 'integer' | 'real' | 'string';
}

export interface VectorFeature {
  /** In the native CRS (geotransform axis order), or pixels without a CRS. */
  geometry: Geometry;
  properties: Record<string, number | string | null>;
}

export interface VectorLayerSpec {
  name: string;
  fields: VectorField[];
  /** The native CRS, or null for pixel coordinates (written with pixelReference()). */
  srs: SpatialReference | null;
}

/** The engineering CRS of image pixel coordinates: x right, y down, unit pixel. */
export function pixelReference(): SpatialReference {
  return gdal().SpatialReference.fromWKT('LOCAL_CS["image pixels (x right, y down)",LOCAL_DATUM["image",0],UNIT["pixel",1],AXIS["x",EAST],AXIS["y",SOUTH]]');
}

/** Adds a `crs` member with the WKT when OGR wrote none (a CRS without an EPSG code). */
async function nameCrsInGeoJson(file: string, srs: SpatialReference): Promise<void> {
  const doc = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
  if (doc.crs !== undefined) return;
  const { type, ...rest } = doc;
  await writeFile(file, `${JSON.stringify({ type, crs: { type: 'name', properties: { name: srs.toWKT() } }, ...rest })}\n`);
}

/**
 * Writes one layer of features to `file`.
 * @returns the format and CRS written ('native' when there was no CRS to reproject from).
 */
export async function writeVectorLayer(file: string, layer: VectorLayerSpec, features: Iterable<VectorFeature>, options: VectorOptions = {}): Promise<{ format: VectorFormat; crs: VectorCrs }> {
  const format = vectorFormatFor(file, options.format);
  const crs = layer.srs ? vectorCrsFor(format, options.crs) : 'native';
  const g = gdal();
  const reproject = crs === 'wgs84' && layer.srs ? toLonLat(layer.srs) : null;
  const nativeSrs = layer.srs ?? pixelReference();
  const outSrs = reproject ? (format === 'geojson' ? lonLatReference() : g.SpatialReference.fromEPSG(4326)) : nativeSrs;
  const layerOptions = format === 'geojson' && reproject ? ['RFC7946=YES'] : [];
  // The extension stays last: GPKG insists on it.
  await writeAtomicallyAt(file, async (temp) => {
    const ds = await g.drivers.get(DRIVERS[format]).createAsync(temp, 0, 0, 0, g.GDT_Byte);
    try {
      const out = ds.layers.create(layer.name, outSrs, g.wkbPolygon, layerOptions);
      for (const field of layer.fields) {
        out.fields.add(new g.FieldDefn(field.name, field.type === 'integer' ? g.OFTInteger : field.type === 'real' ? g.OFTReal : g.OFTString));
      }
      for (const feature of features) {
        const f = new g.Feature(out);
        if (reproject) reproject(feature.geometry);
        f.setGeometry(feature.geometry);
        for (const [name, value] of Object.entries(feature.properties)) f.fields.set(name, value);
        out.features.add(f);
      }
    } finally {
      ds.close();
    }
    if (format === 'geojson' && !reproject) await nameCrsInGeoJson(temp, nativeSrs);
  }, extname(file));
  return { format, crs };
}

/** A polygon geometry from one ring of points (closed here). */
export function polygonOf(points: ReadonlyArray<readonly [number, number]>): Geometry {
  const g = gdal();
  const ring = new g.LinearRing();
  for (const [x, y] of points) ring.points.add(x, y);
  ring.closeRings();
  const polygon = new g.Polygon();
  polygon.rings.add(ring);
  return polygon;
}
