/**
 * Detections as a GeoJSON FeatureCollection of polygons, one Feature per box.
 *
 * Coordinates: for a georeferenced input (GeoTIFF) the corners go through the image's
 * geotransform into its CRS — detection coordinates are continuous pixel coordinates (pixel i
 * spans [i, i + 1)), the same convention as the GDAL geotransform, so no half-pixel shift is
 * applied — and the collection names the CRS in a `crs` member (urn:ogc:def:crs:EPSG::<code>,
 * which GDAL/QGIS read; RFC 7946 itself only knows WGS 84). Otherwise the coordinates are image
 * pixels (x right, y down) and there is no `crs`. Either way the collection's `properties`
 * say which (`coordinateSpace: "crs" | "pixel"`) and each Feature's properties keep the box in
 * pixels (cx, cy, w, h, angle) with its score, label and class index.
 * Rings are closed and counter-clockwise in the output coordinates (RFC 7946 right-hand rule).
 * A CRS without an EPSG code is named by its WKT (`geo.crsWkt`), which OGR reads back.
 *
 * This is the in-memory document in the input's CRS. Files go through OGR
 * (writeDetectionsGeoJson, detections-vector.ts): RFC 7946 WGS 84 lon/lat by default.
 */

import type { GeoInfo } from '../image/types.js';
import type { DetectionResult } from '../tasks/detection.js';
import { writeDetectionsVector } from './detections-vector.js';
import type { VectorCrs } from './vector-file.js';

type Point = [number, number];

function toCrs(geo: GeoInfo | null): (p: readonly [number, number]) => Point {
  if (!geo) return ([x, y]) => [x, y];
  const [x0, a, b, y0, d, e] = geo.geoTransform;
  return ([x, y]) => [x0 + x * a + y * b, y0 + x * d + y * e];
}

/** Closed ring, counter-clockwise (positive shoelace area). */
function ring(points: Point[]): Point[] {
  let area = 0;
  for (let i = 0; i < points.length; i++) {
    const [x1, y1] = points[i];
    const [x2, y2] = points[(i + 1) % points.length];
    area += x1 * y2 - x2 * y1;
  }
  const ordered = area < 0 ? [...points].reverse() : points;
  return [...ordered, ordered[0]];
}

/** The GeoJSON value written to a .geojson file. */
export function detectionsGeoJson(result: DetectionResult): Record<string, unknown> {
  const geo = result.geo;
  const map = toCrs(geo);
  const collection: Record<string, unknown> = { type: 'FeatureCollection' };
  if (geo && geo.epsg !== null) collection.crs = { type: 'name', properties: { name: `urn:ogc:def:crs:EPSG::${geo.epsg}` } };
  else if (geo && typeof geo.crsWkt === 'string' && geo.crsWkt !== '') collection.crs = { type: 'name', properties: { name: geo.crsWkt } };
  collection.properties = {
    coordinateSpace: geo ? 'crs' : 'pixel',
    epsg: geo?.epsg ?? null,
    geoTransform: geo?.geoTransform ?? null,
    width: result.width,
    height: result.height,
    labels: result.labels,
    angleConvention: 'le90',
    scoreThreshold: result.scoreThreshold,
    iouThreshold: result.iouThreshold,
  };
  collection.features = result.detections.map((d, id) => ({
    type: 'Feature',
    id,
    geometry: { type: 'Polygon', coordinates: [ring(d.polygon.map(map))] },
    properties: { label: d.label, index: d.index, score: d.score, cx: d.cx, cy: d.cy, w: d.w, h: d.h, angle: d.angle },
  }));
  return collection;
}

/**
 * Writes the detections as a GeoJSON file through OGR: RFC 7946 (WGS 84 lon/lat) by default,
 * `crs: 'native'` for the input's CRS (named in the file so OGR reads it back).
 */
export async function writeDetectionsGeoJson(file: string, result: DetectionResult, options: { crs?: VectorCrs } = {}): Promise<void> {
  await writeDetectionsVector(file, result, { format: 'geojson', crs: options.crs });
}
