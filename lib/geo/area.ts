/**
 * Areas in square metres.
 *
 * - Projected CRSs: planar area in the CRS's plane, scaled by its linear unit (metre, US foot …)
 *   squared — the map area, which includes the projection's own scale distortion.
 * - Geographic CRSs: area on the CRS's ellipsoid. Points go to Lambert's cylindrical equal-area
 *   coordinates (λ, q(φ)) of that ellipsoid, where the surface element is dA = a²/2 · dλ dq, so a
 *   polygon's area is a²/2 times its shoelace area in (λ, q), with
 *     q(φ) = (1 − e²) · [sin φ / (1 − e² sin² φ) − 1/(2e) · ln((1 − e sin φ) / (1 + e sin φ))].
 *   This is exact for regions bounded by meridians and parallels (the pixels of a north-up grid
 *   and polygons made of them); for other edges it takes them as straight in (λ, q), which for
 *   pixel-sized edges agrees with geodesic edges to far below a pixel's area (the tests compare
 *   with pyproj.Geod). GDAL 3.6 has no geodesic area (OGR_G_GeodesicArea came with 3.9).
 */

import type { SpatialReference } from 'gdal-async';
import type { GeoInfo } from '../image/types.js';
import { spatialReferenceOf } from './crs.js';

export type AreaModel =
  | { kind: 'planar'; metresPerUnit: number }
  | { kind: 'ellipsoidal'; semiMajor: number; e2: number; radiansPerUnit: number };

type Point = readonly [number, number] | readonly number[];

/** How areas are measured in `srs`, or null when its units are unknown (neither projected nor geographic). */
export function areaModelOf(srs: SpatialReference): AreaModel | null {
  if (srs.isGeographic()) {
    const semiMajor = Number(srs.getAttrValue('SPHEROID', 1));
    const inverseFlattening = Number(srs.getAttrValue('SPHEROID', 2));
    if (!(semiMajor > 0)) return null;
    const f = inverseFlattening > 0 ? 1 / inverseFlattening : 0;
    return { kind: 'ellipsoidal', semiMajor, e2: f * (2 - f), radiansPerUnit: srs.getAngularUnits().value };
  }
  if (srs.isProjected() || srs.isLocal()) {
    const metresPerUnit = srs.getLinearUnits().value;
    return metresPerUnit > 0 ? { kind: 'planar', metresPerUnit } : null;
  }
  return null;
}

/** The area model of a result's georeferencing, or null (no georeferencing, or a CRS of unknown units). */
export function areaModelOfGeo(geo: GeoInfo | null): AreaModel | null {
  const srs = spatialReferenceOf(geo);
  return srs ? areaModelOf(srs) : null;
}

/** q(φ) of the authalic (equal-area) latitude mapping; 2 sin φ on a sphere. */
export function authalicQ(phi: number, e2: number): number {
  const s = Math.sin(phi);
  if (e2 === 0) return 2 * s;
  const e = Math.sqrt(e2);
  return (1 - e2) * (s / (1 - e2 * s * s) - Math.log((1 - e * s) / (1 + e * s)) / (2 * e));
}

/** Absolute shoelace area of a ring (closed or not), taken relative to its first point to keep precision. */
function shoelace(xs: ArrayLike<number>, ys: ArrayLike<number>): number {
  const n = xs.length;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const j = (i + 1) % n;
    sum += (xs[i] - xs[0]) * (ys[j] - ys[0]) - (xs[j] - xs[0]) * (ys[i] - ys[0]);
  }
  return Math.abs(sum) / 2;
}

/** Area in m² of one ring given in the CRS's own units (x = easting/longitude). */
export function ringArea(model: AreaModel, ring: readonly Point[]): number {
  const xs = new Float64Array(ring.length);
  const ys = new Float64Array(ring.length);
  if (model.kind === 'planar') {
    ring.forEach((p, i) => ((xs[i] = p[0]), (ys[i] = p[1])));
    return shoelace(xs, ys) * model.metresPerUnit ** 2;
  }
  const k = model.radiansPerUnit;
  ring.forEach((p, i) => ((xs[i] = p[0] * k), (ys[i] = authalicQ(p[1] * k, model.e2))));
  return (shoelace(xs, ys) * model.semiMajor ** 2) / 2;
}

/** Area in m² of a polygon (outer ring minus holes). */
export function polygonArea(model: AreaModel, rings: readonly (readonly Point[])[]): number {
  return rings.reduce((sum, ring, i) => sum + (i === 0 ? 1 : -1) * ringArea(model, ring), 0);
}

/**
 * Area in m² covered by each class of a mask on the result's grid (pixel (c, r) spans the
 * geotransform's image of [c, c+1] × [r, r+1]), or null without georeferencing or CRS units.
 * `skip` (nodata) is counted nowhere.
 */
export function classAreas(mask: Uint8Array, width: number, height: number, classes: number, geo: GeoInfo | null, skip: number | null = null): number[] | null {
  const model = areaModelOfGeo(geo);
  if (!geo || !model) return null;
  const areas = new Array<number>(classes).fill(0);
  const [x0, a, b, y0, d, e] = geo.geoTransform;
  if (model.kind === 'planar') {
    const pixel = Math.abs(a * e - b * d) * model.metresPerUnit ** 2;
    for (let i = 0; i < mask.length; i++) if (mask[i] !== skip && mask[i] < classes) areas[mask[i]] += pixel;
    return areas;
  }
  // Corner rows r and r + 1 in (λ, q); each pixel's quad area is half the cross product of its diagonals.
  const k = model.radiansPerUnit;
  const lambda = (c: number, r: number) => (x0 + c * a + r * b) * k;
  const q = (c: number, r: number) => authalicQ((y0 + c * d + r * e) * k, model.e2);
  let topL = Float64Array.from({ length: width + 1 }, (_, c) => lambda(c, 0));
  let topQ = Float64Array.from({ length: width + 1 }, (_, c) => q(c, 0));
  const scale = model.semiMajor ** 2 / 2;
  for (let r = 0; r < height; r++) {
    const botL = Float64Array.from({ length: width + 1 }, (_, c) => lambda(c, r + 1));
    const botQ = Float64Array.from({ length: width + 1 }, (_, c) => q(c, r + 1));
    for (let c = 0; c < width; c++) {
      const v = mask[r * width + c];
      if (v === skip || v >= classes) continue;
      const d1l = botL[c + 1] - topL[c];
      const d1q = botQ[c + 1] - topQ[c];
      const d2l = botL[c] - topL[c + 1];
      const d2q = botQ[c] - topQ[c + 1];
      areas[v] += (Math.abs(d1l * d2q - d1q * d2l) / 2) * scale;
    }
    topL = botL;
    topQ = botQ;
  }
  return areas;
}

/** Area in m² of one pixel: exact for projected CRSs, the mean over the image for geographic ones (pixels shrink towards the poles); null without georeferencing. */
export function pixelAreaM2(geo: GeoInfo | null, width: number, height: number): number | null {
  if (!geo || width <= 0 || height <= 0) return null;
  const model = areaModelOfGeo(geo);
  if (!model) return null;
  const [x0, a, b, y0, d, e] = geo.geoTransform;
  if (model.kind === 'planar') return Math.abs(a * e - b * d) * model.metresPerUnit ** 2;
  const corner = (c: number, r: number): [number, number] => [x0 + c * a + r * b, y0 + c * d + r * e];
  return ringArea(model, [corner(0, 0), corner(width, 0), corner(width, height), corner(0, height)]) / (width * height);
}
