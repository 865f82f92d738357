// Vector outputs (detections and polygonized masks through OGR) and areas, checked by
// independent readers: fiona (its own GDAL/OGR) reads every file back, pyproj gives the WGS 84
// coordinates and geodesic areas, shapely validity and ring orientation
// (test/helpers/vector_reference.py). Grids: a rotated, asymmetric UTM grid, a rotated
// south-up EPSG:4326 grid and a custom transverse Mercator without an EPSG code.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { corners } from '../lib/detection/rotated-box.js';
import { DOTA_V1_0 } from '../lib/detection/dota-classes.js';
import { classAreas, pixelAreaM2 } from '../lib/geo/area.js';
import { gdal } from '../lib/geo/gdal.js';
import type { GeoInfo, GeoTransform } from '../lib/image/types.js';
import { writeDetectionsFile } from '../lib/output/detections-file.js';
import { writeMaskVector } from '../lib/output/mask-vector.js';
import type { DetectionResult } from '../lib/tasks/detection.js';
import { tempDir } from './helpers/image-fixtures.js';
import { helperScript, runPython } from './helpers/image-python.js';

const { dir, cleanup } = tempDir('lwganet-vector-');
afterAll(() => cleanup());

function geoInfo(geoTransform: GeoTransform, epsg: number | null, crsWkt: string | null = null): GeoInfo {
  return { geoTransform, epsg, crsWkt, window: [0, 0, 100, 80], fullWidth: 100, fullHeight: 80, noData: null };
}

const CUSTOM_PROJ = '+proj=tmerc +lat_0=10 +lon_0=7.3 +k=0.9996 +x_0=500000 +y_0=0 +ellps=GRS80 +units=m +no_defs';
const UTM = geoInfo([500000, 2, 0.5, 5540000, -0.25, -2], 32631);
// South-up (positive row step in latitude) and rotated.
const LONLAT = geoInfo([10, 0.001, 0.0002, 40, -0.0001, 0.0015], 4326);
const CUSTOM = geoInfo([1000, 3, 0.4, 2000, 0.2, -3], null, gdal().SpatialReference.fromProj4(CUSTOM_PROJ).toWKT());

const BOXES = [
  { cx: 10, cy: 20, w: 8, h: 4, angle: 0, score: 0.9, label: 'plane', index: 0 },
  { cx: 30, cy: 40, w: 10, h: 6, angle: -Math.PI / 2, score: 0.5, label: 'large-vehicle', index: 5 },
  { cx: 50, cy: 50, w: 20, h: 10, angle: Math.PI / 6, score: 0.125, label: 'ship', index: 6 },
];

function detections(geo: GeoInfo | null): DetectionResult {
  return {
    width: 100, height: 80, labels: [...DOTA_V1_0], palette: [[255, 0, 0]], geo,
    detections: BOXES.map((b) => ({ ...b, polygon: corners(b) })),
    tiling: { tileSize: 1024, overlap: 200, tiles: 1 }, scoreThreshold: 0.05, iouThreshold: 0.1,
  };
}

function mapped(geo: GeoInfo, [x, y]: readonly number[]): [number, number] {
  const [x0, a, b, y0, d, e] = geo.geoTransform;
  return [x0 + x * a + y * b, y0 + x * d + y * e];
}

function det(geo: GeoInfo): number {
  const [, a, b, , d, e] = geo.geoTransform;
  return Math.abs(a * e - b * d);
}

// Class mask on a 6 × 5 grid; 9 is nodata, 0 the background. 4-connected regions: class 1 two,
// class 2 two, class 3 one (class 0 three, left out).
const W = 6;
const H = 5;
const MASK = Uint8Array.from([
  0, 0, 1, 1, 2, 2,
  0, 3, 1, 1, 2, 2,
  0, 3, 3, 1, 9, 9,
  1, 1, 0, 0, 2, 0,
  1, 1, 0, 0, 2, 2,
]);
const LABELS = Array.from({ length: 10 }, (_, i) => `class ${i}`);

interface ReadFeature { properties: Record<string, any>; rings: number[][][]; holes: number; valid: boolean; ccw: boolean; area: number }
interface ReadFile { path: string; crs_wkt: string | null; epsg: number | null; features: ReadFeature[] }

const FILES = {
  utmGpkg: 'utm-native.gpkg', utmGeojson: 'utm-wgs84.geojson', lonlatGeojson: 'lonlat-wgs84.geojson', lonlatNative: 'lonlat-native.geojson',
  customFgb: 'custom.fgb', customGeojson: 'custom-native.geojson', pixelGeojson: 'pixel.geojson',
  maskUtm: 'mask-utm.gpkg', maskLonlat: 'mask-lonlat.geojson', maskCustom: 'mask-custom.geojson',
};
type FileKey = keyof typeof FILES;
const path = (name: string) => join(dir, name);
const MASK_OPTIONS = { labels: LABELS, nodata: 9, background: 0 };
const WRITE: Record<FileKey, () => Promise<unknown>> = {
  utmGpkg: () => writeDetectionsFile(path(FILES.utmGpkg), detections(UTM)),
  utmGeojson: () => writeDetectionsFile(path(FILES.utmGeojson), detections(UTM)),
  lonlatGeojson: () => writeDetectionsFile(path(FILES.lonlatGeojson), detections(LONLAT)),
  lonlatNative: () => writeDetectionsFile(path(FILES.lonlatNative), detections(LONLAT), { crs: 'native' }),
  customFgb: () => writeDetectionsFile(path(FILES.customFgb), detections(CUSTOM)),
  customGeojson: () => writeDetectionsFile(path(FILES.customGeojson), detections(CUSTOM), { crs: 'native' }),
  pixelGeojson: () => writeDetectionsFile(path(FILES.pixelGeojson), detections(null)),
  maskUtm: () => writeMaskVector(path(FILES.maskUtm), MASK, W, H, UTM, MASK_OPTIONS),
  maskLonlat: () => writeMaskVector(path(FILES.maskLonlat), MASK, W, H, LONLAT, MASK_OPTIONS),
  maskCustom: () => writeMaskVector(path(FILES.maskCustom), MASK, W, H, CUSTOM, { ...MASK_OPTIONS, crs: 'native' }),
};
// pyproj's transform of the UTM box corners and geodesic areas: no package code involved.
let reference: { transform: number[][][]; geod: number[][] };

function pixelRing(geo: GeoInfo, c: number, r: number): number[][] {
  return [[c, r], [c + 1, r], [c + 1, r + 1], [c, r + 1], [c, r]].map((p) => mapped(geo, p));
}

beforeAll(() => {
  const lonlatBoxes = BOXES.map((b) => corners(b).map((p) => mapped(LONLAT, p)));
  const lonlatPixels: number[][][] = [];
  for (let r = 0; r < H; r++) for (let c = 0; c < W; c++) lonlatPixels.push(pixelRing(LONLAT, c, r));
  reference = vectorReference('reference.json', {
    transform: [{ crs: 'EPSG:32631', points: BOXES.flatMap((b) => corners(b).map((p) => mapped(UTM, p))) }],
    geod: [
      { ellps: 'WGS84', rings: lonlatBoxes },
      { ellps: 'WGS84', rings: lonlatPixels },
      { ellps: 'WGS84', rings: [[[0, 0], [100, 0], [100, 80], [0, 80]].map((p) => mapped(LONLAT, p))] },
    ],
  });
}, 60_000);

function vectorReference(name: string, job: unknown): any {
  writeFileSync(path(name), JSON.stringify(job));
  return JSON.parse(runPython([helperScript('vector_reference.py'), path(name)]));
}

/**
 * Writes the files with the package and reads them back with fiona. Called by the test that
 * checks them (not in a hook), so mutation testing credits each written file to its test.
 */
async function written<K extends FileKey>(...keys: K[]): Promise<Record<K, ReadFile>> {
  for (const key of keys) await WRITE[key]();
  const out = vectorReference(`read-${keys.join('-')}.json`, { read: keys.map((key) => path(FILES[key])) });
  return Object.fromEntries(keys.map((key) => [key, out.read.find((r: ReadFile) => r.path === path(FILES[key]))])) as Record<K, ReadFile>;
}

/** pyproj's verdict on whether each file's CRS is the custom CRS. */
function sameAsCustom(files: ReadFile[]): boolean[] {
  return vectorReference('same.json', { same_crs: files.map((r) => [r.crs_wkt ?? 'EPSG:4326', CUSTOM.crsWkt]) }).same_crs;
}

/** Every expected corner is one of the ring's first four points. */
function expectCorners(ring: number[][], expected: number[][], tolerance: number, what: string): void {
  expect(ring, what).toHaveLength(5);
  for (const corner of expected) {
    const hit = ring.slice(0, 4).some(([x, y]) => Math.abs(x - corner[0]) <= tolerance && Math.abs(y - corner[1]) <= tolerance);
    expect(hit, `${what}: corner ${corner} in ${JSON.stringify(ring)}`).toBe(true);
  }
}

describe('detections through OGR, read back by fiona', () => {
  it('GeoPackage in the native UTM CRS: EPSG:32631, the geotransform applied to the pixel corners, class, score, area in m²', async () => {
    const { utmGpkg: f } = await written('utmGpkg');
    expect(f.epsg).toBe(32631);
    expect(f.features).toHaveLength(3);
    f.features.forEach((feature, i) => {
      const b = BOXES[i];
      expectCorners(feature.rings[0], corners(b).map((p) => mapped(UTM, p)), 1e-6, `box ${i}`);
      expect(feature.properties).toMatchObject({ label: b.label, index: b.index, score: b.score, cx: b.cx, w: b.w, angle: b.angle });
      expect(feature.properties.area).toBeCloseTo(b.w * b.h * det(UTM), 6);
      expect(feature.area).toBeCloseTo(feature.properties.area, 6);
      expect(feature.valid).toBe(true);
    });
  });

  it('GeoJSON by default: RFC 7946 WGS 84 lon/lat equal to pyproj\'s transform of the UTM corners, valid, counter-clockwise', async () => {
    const { utmGeojson: f } = await written('utmGeojson');
    expect(f.epsg).toBe(4326);
    const lonlat = reference.transform[0];
    f.features.forEach((feature, i) => {
      expectCorners(feature.rings[0], lonlat.slice(4 * i, 4 * i + 4), 2e-7, `box ${i}`);
      expect(feature.valid && feature.ccw, `box ${i}`).toBe(true);
      expect(feature.properties.area).toBeCloseTo(BOXES[i].w * BOXES[i].h * det(UTM), 6);
    });
  });

  it('EPSG:4326 south-up rotated grid: longitude first in WGS 84 GeoJSON and in native GeoJSON, areas equal pyproj.Geod\'s geodesic areas', async () => {
    const read = await written('lonlatGeojson', 'lonlatNative');
    for (const f of [read.lonlatGeojson, read.lonlatNative]) {
      expect(f.epsg, f.path).toBe(4326);
      f.features.forEach((feature, i) => {
        expectCorners(feature.rings[0], corners(BOXES[i]).map((p) => mapped(LONLAT, p)), 2e-7, `${f.path} box ${i}`);
        expect(feature.valid, `${f.path} box ${i}`).toBe(true);
        const geodesic = reference.geod[0][i];
        expect(Math.abs(feature.properties.area / geodesic - 1), `area ${feature.properties.area} vs ${geodesic}`).toBeLessThan(1e-6);
      });
    }
    expect(read.lonlatGeojson.features.every((f) => f.ccw)).toBe(true);
  });

  it('a custom CRS without an EPSG code: FlatGeobuf and native GeoJSON carry it so that OGR reads it back', async () => {
    const read = await written('customFgb', 'customGeojson');
    expect(sameAsCustom([read.customFgb, read.customGeojson])).toEqual([true, true]);
    for (const f of [read.customFgb, read.customGeojson]) {
      expect(f.features).toHaveLength(3);
      // FlatGeobuf's spatial index reorders features: matched by class index.
      f.features.forEach((feature) => {
        const i = BOXES.findIndex((b) => b.index === feature.properties.index);
        expectCorners(feature.rings[0], corners(BOXES[i]).map((p) => mapped(CUSTOM, p)), 1e-6, `${f.path} box ${i}`);
        expect(feature.properties.area).toBeCloseTo(BOXES[i].w * BOXES[i].h * det(CUSTOM), 6);
      });
    }
  });

  it('without georeferencing: pixel coordinates in an "image pixels" engineering CRS (not WGS 84), no area', async () => {
    const { pixelGeojson: f } = await written('pixelGeojson');
    expect(f.epsg).toBeNull();
    expect(f.crs_wkt).toMatch(/image pixels/);
    f.features.forEach((feature, i) => {
      expectCorners(feature.rings[0], corners(BOXES[i]), 1e-9, `box ${i}`);
      expect(feature.properties.area ?? null).toBeNull();
    });
  });
});

/** Every vertex maps back (inverse geotransform) to an integer pixel corner inside the grid. */
function expectOnPixelCorners(ring: number[][], geo: GeoInfo, tolerance: number): void {
  const [x0, a, b, y0, d, e] = geo.geoTransform;
  const inv = 1 / (a * e - b * d);
  for (const [X, Y] of ring) {
    const col = (e * (X - x0) - b * (Y - y0)) * inv;
    const row = (a * (Y - y0) - d * (X - x0)) * inv;
    expect(Math.abs(col - Math.round(col)) + Math.abs(row - Math.round(row)), `vertex ${X},${Y} → ${col},${row}`).toBeLessThan(tolerance);
    expect(col >= -tolerance && col <= W + tolerance && row >= -tolerance && row <= H + tolerance, `vertex ${X},${Y} → ${col},${row}`).toBe(true);
  }
}

describe('polygonized masks, read back by fiona', () => {
  const REGIONS: Record<number, number> = { 1: 2, 2: 2, 3: 1 };
  const pixels = (k: number) => MASK.filter((v) => v === k).length;

  it('rotated UTM grid: regions per class, nodata and background left out, vertices on the pixel corners, areas = pixels × pixel area', async () => {
    const { maskUtm: f } = await written('maskUtm');
    expect(f.epsg).toBe(32631);
    const byClass: Record<number, ReadFeature[]> = {};
    for (const feature of f.features) (byClass[feature.properties.index] ??= []).push(feature);
    expect(Object.fromEntries(Object.entries(byClass).map(([k, v]) => [k, v.length]))).toEqual(REGIONS);
    for (const [k, features] of Object.entries(byClass)) {
      const total = features.reduce((s, feature) => s + feature.properties.area, 0);
      expect(total).toBeCloseTo(pixels(Number(k)) * det(UTM), 6);
      expect(features.reduce((s, feature) => s + feature.area, 0)).toBeCloseTo(total, 6);
      for (const feature of features) {
        expect(feature.valid).toBe(true);
        expect(feature.properties.label).toBe(`class ${k}`);
        expectOnPixelCorners(feature.rings[0], UTM, 1e-6);
      }
    }
    expect(classAreas(MASK, W, H, 10, UTM, 9)).toEqual(Array.from({ length: 10 }, (_, k) => (k === 9 ? 0 : pixels(k) * det(UTM))));
  });

  it('EPSG:4326 grid as RFC 7946 GeoJSON: valid counter-clockwise polygons whose areas equal the sum of pyproj.Geod pixel areas', async () => {
    const { maskLonlat: f } = await written('maskLonlat');
    expect(f.epsg).toBe(4326);
    const geodPixels = reference.geod[1];
    const areas = classAreas(MASK, W, H, 10, LONLAT, 9)!;
    for (const k of [1, 2, 3]) {
      const expected = geodPixels.reduce((s, area, p) => s + (MASK[p] === k ? area : 0), 0);
      const written = f.features.filter((feature) => feature.properties.index === k).reduce((s, feature) => s + feature.properties.area, 0);
      expect(Math.abs(written / expected - 1), `class ${k}`).toBeLessThan(1e-6);
      expect(Math.abs(areas[k] / expected - 1), `classAreas ${k}`).toBeLessThan(1e-6);
    }
    expect(f.features.every((feature) => feature.valid && feature.ccw)).toBe(true);
    // Written with 7 decimals (1e-7°): a thousandth of a pixel of 0.001°.
    for (const feature of f.features) expectOnPixelCorners(feature.rings[0], LONLAT, 1e-3);
    expect(f.features.some((feature) => [0, 9].includes(feature.properties.index))).toBe(false);
  });

  it('custom CRS, native GeoJSON: the CRS is read back and areas are planar', async () => {
    const { maskCustom: f } = await written('maskCustom');
    expect(sameAsCustom([f])).toEqual([true]);
    expect(f.features).toHaveLength(5);
    for (const feature of f.features) expectOnPixelCorners(feature.rings[0], CUSTOM, 1e-6);
    const total = f.features.reduce((s, feature) => s + feature.area, 0);
    expect(total).toBeCloseTo((pixels(1) + pixels(2) + pixels(3)) * det(CUSTOM), 6);
  });
});

describe('mask vector options', () => {
  it('simplify fewer vertices, same areas (computed before simplifying); bad options are RangeError/TypeError', async () => {
    // A staircase: many vertices that a tolerance of 1.5 pixels removes.
    const w = 20;
    const stairs = Uint8Array.from({ length: w * w }, (_, p) => (p % w <= Math.floor(p / w) ? 1 : 0));
    const exact = await writeMaskVector(path('stairs.gpkg'), stairs, w, w, UTM, { background: 0 });
    const simple = await writeMaskVector(path('stairs-simple.gpkg'), stairs, w, w, UTM, { background: 0, simplify: 1.5 });
    expect([exact.features, simple.features]).toEqual([1, 1]);
    const vertices = (file: string) => {
      const feature = gdal().open(file).layers.get(0).features.first();
      return { n: (feature.getGeometry()!.toObject() as any).coordinates[0].length, area: feature.fields.get('area') as number };
    };
    const [a, b] = [vertices(path('stairs.gpkg')), vertices(path('stairs-simple.gpkg'))];
    expect(b.n).toBeLessThan(a.n / 4);
    expect(b.area).toBe(a.area);
    expect(a.area).toBeCloseTo((w * (w + 1)) / 2 * det(UTM), 6);
    await expect(writeMaskVector(path('x.gpkg'), stairs, w, w + 1, UTM)).rejects.toThrow(RangeError);
    await expect(writeMaskVector(path('x.gpkg'), stairs, w, w, UTM, { simplify: -1 })).rejects.toThrow(RangeError);
    await expect(writeMaskVector(path('x.gpkg'), stairs, w, w, UTM, { nodata: 256 })).rejects.toThrow(RangeError);
    await expect(writeMaskVector(path('x.shp'), stairs, w, w, UTM)).rejects.toThrow(/\.geojson, \.json, \.gpkg or \.fgb/);
    await expect(writeMaskVector(path('x.gpkg'), [1, 2] as never, 2, 1, UTM)).rejects.toThrow(TypeError);
  });
});

describe('pixel areas in m²', () => {
  it('EPSG:4326: the mean geodesic pixel area, not degrees²', () => {
    expect(Math.abs(pixelAreaM2(LONLAT, 100, 80)! / (reference.geod[2][0] / 8000) - 1)).toBeLessThan(1e-6);
  });

  it('projected CRSs scale by their linear unit (EPSG:2263 is in US survey feet)', () => {
    expect(pixelAreaM2(UTM, 10, 10)).toBeCloseTo(det(UTM), 12);
    const feet = geoInfo([1e6, 2, 0, 2e5, 0, -2], 2263);
    expect(pixelAreaM2(feet, 10, 10)).toBeCloseTo(4 * (1200 / 3937) ** 2, 12);
    expect(pixelAreaM2(null, 10, 10)).toBeNull();
  });
});
