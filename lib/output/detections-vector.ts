/**
 * Detections as polygon features through OGR (vector-file.ts): one feature per box with its
 * class (`label`, `index`), `score`, `area` in m² (geo/area.ts; unset without georeferencing)
 * and the box in image pixels (cx, cy, w, h, angle in radians, le90). The corners go through
 * the input's geotransform into its CRS — detection coordinates are continuous pixel
 * coordinates (pixel i spans [i, i + 1)), as the GDAL geotransform's, so no half-pixel shift —
 * and from there to WGS 84 for RFC 7946 GeoJSON. Rings run counter-clockwise in the written
 * coordinates.
 */

import { areaModelOf, polygonArea } from '../geo/area.js';
import { spatialReferenceOf } from '../geo/crs.js';
import type { GeoInfo } from '../image/types.js';
import type { DetectionResult } from '../tasks/detection.js';
import { polygonOf, writeVectorLayer, type VectorFeature, type VectorFormat, type VectorCrs, type VectorOptions } from './vector-file.js';

type Point = [number, number];

/** Pixel → CRS through the geotransform (identity without georeferencing). */
export function pixelToCrs(geo: GeoInfo | null): (p: readonly [number, number]) => Point {
  if (!geo) return ([x, y]) => [x, y];
  const [x0, a, b, y0, d, e] = geo.geoTransform;
  return ([x, y]) => [x0 + x * a + y * b, y0 + x * d + y * e];
}

/** The points in counter-clockwise order (positive shoelace area). */
export function counterClockwise(points: Point[]): Point[] {
  let area = 0;
  for (let i = 0; i < points.length; i++) {
    const [x1, y1] = points[i];
    const [x2, y2] = points[(i + 1) % points.length];
    area += x1 * y2 - x2 * y1;
  }
  return area < 0 ? [...points].reverse() : points;
}

/** Writes the detections to a GeoJSON, GeoPackage or FlatGeobuf file (format from the extension unless given). */
export async function writeDetectionsVector(file: string, result: DetectionResult, options: VectorOptions = {}): Promise<{ format: VectorFormat; crs: VectorCrs }> {
  const srs = spatialReferenceOf(result.geo);
  const model = srs ? areaModelOf(srs) : null;
  const map = pixelToCrs(srs ? result.geo : null);
  const features: VectorFeature[] = result.detections.map((d) => {
    const ring = counterClockwise(d.polygon.map(map));
    return {
      geometry: polygonOf(ring),
      properties: {
        label: d.label, index: d.index, score: d.score, area: model ? polygonArea(model, [ring]) : null,
        cx: d.cx, cy: d.cy, w: d.w, h: d.h, angle: d.angle,
      },
    };
  });
  const fields = [
    { name: 'label', type: 'string' as const }, { name: 'index', type: 'integer' as const }, { name: 'score', type: 'real' as const },
    { name: 'area', type: 'real' as const },
    ...['cx', 'cy', 'w', 'h', 'angle'].map((name) => ({ name, type: 'real' as const })),
  ];
  return writeVectorLayer(file, { name: 'detections', fields, srs }, features, options);
}
