// Georeferencing checked by an independent implementation: GDAL (rasterio) writes the input
// GeoTIFFs and reads the masks the package writes, and maps pixel coordinates for the
// GeoJSON check. The grids are rotated with b ≠ d (an asymmetric matrix), so swapping the two
// rotation terms anywhere (reader, window shift, mask writer, GeoJSON) changes the numbers.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeImage } from '../lib/image/decode.js';
import type { GeoInfo } from '../lib/image/types.js';
import { detectionsGeoJson, writeDetectionsGeoJson } from '../lib/output/detections-geojson.js';
import { writeMaskGeotiff } from '../lib/output/mask-geotiff.js';
import type { DetectionResult } from '../lib/tasks/detection.js';
import { tempDir } from './helpers/image-fixtures.js';
import { runPython } from './helpers/image-python.js';

type Window = [number, number, number, number];
type GT = [number, number, number, number, number, number];

const { dir, cleanup } = tempDir('lwganet-georef-');
afterAll(() => cleanup());

const W = 40;
const H = 30;
const EPSG = 32633;
// x = x0 + a·col + b·row, y = y0 + d·col + e·row: b = 3 and d = −2 differ (rotated + sheared).
const ROTATED: GT = [500000, 10, 3, 4000000, -2, -10];
const NORTH_UP: GT = [600000, 5, 0, 5000000, 0, -5];
const WINDOW: Window = [5, 7, 25, 22];

interface Reference {
  written: Array<{ path: string; windowTransforms: GT[] }>;
  read: Array<{
    path: string; transform: GT; epsg: number | null; width: number; height: number; count: number; dtype: string; values: number[];
    crsWkt: string | null; geoKeyTags: Record<string, unknown>;
  }>;
  map: Array<Array<[number, number]>>;
}

function gdal(job: Record<string, unknown>): Reference {
  const file = join(dir, `job-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(file, JSON.stringify(job));
  return JSON.parse(runPython([join(__dirname, 'helpers', 'geo_reference.py'), file])) as Reference;
}

function expectTransform(actual: readonly number[] | undefined, expected: readonly number[]): void {
  expect(actual).toHaveLength(6);
  actual!.forEach((v, i) => expect(v, `geotransform[${i}]: ${actual!.join(', ')} vs ${expected.join(', ')}`).toBeCloseTo(expected[i], 6));
}

const value = (x: number, y: number, band: number) => (7 * x + 13 * y + 50 * band) % 256;

let inputs: Reference['written'];
const rotatedPath = join(dir, 'rotated.tif');
const northPath = join(dir, 'north.tif');

beforeAll(() => {
  inputs = gdal({
    write: [
      { path: rotatedPath, width: W, height: H, transform: ROTATED, epsg: EPSG, windows: [WINDOW] },
      { path: northPath, width: W, height: H, transform: NORTH_UP, epsg: EPSG, windows: [WINDOW] },
    ],
  }).written;
});

describe('GeoTIFF inputs written by GDAL are read with their georeferencing', () => {
  it.each([['rotated', 0, ROTATED], ['north-up', 1, NORTH_UP]] as const)('%s grid: full image', async (_name, index, transform) => {
    const img = await decodeImage(index === 0 ? rotatedPath : northPath);
    expect([img.width, img.height]).toEqual([W, H]);
    expect(img.geo?.epsg).toBe(EPSG);
    expectTransform(img.geo?.geoTransform, transform);
    expect(img.data[(3 * W + 4) * 3 + 1]).toBe(value(4, 3, 1));
  });

  it.each([['rotated', 0], ['north-up', 1]] as const)('%s grid: a window is shifted as GDAL shifts it', async (_name, index) => {
    const img = await decodeImage(index === 0 ? rotatedPath : northPath, { window: WINDOW });
    expect([img.width, img.height]).toEqual([WINDOW[2] - WINDOW[0], WINDOW[3] - WINDOW[1]]);
    expectTransform(img.geo?.geoTransform, inputs[index].windowTransforms[0]);
    expect(img.data[0]).toBe(value(WINDOW[0], WINDOW[1], 0));
  });
});

describe('mask GeoTIFFs are read back by GDAL on the input grid', () => {
  it('full and windowed masks on rotated and north-up grids', async () => {
    const cases: Array<{ path: string; source: string; window?: Window; expected: GT }> = [
      { path: join(dir, 'mask-rotated.tif'), source: rotatedPath, expected: ROTATED },
      { path: join(dir, 'mask-rotated-window.tif'), source: rotatedPath, window: WINDOW, expected: inputs[0].windowTransforms[0] },
      { path: join(dir, 'mask-north.tif'), source: northPath, expected: NORTH_UP },
      { path: join(dir, 'mask-north-window.tif'), source: northPath, window: WINDOW, expected: inputs[1].windowTransforms[0] },
    ];
    const masks: Uint8Array[] = [];
    for (const c of cases) {
      const img = await decodeImage(c.source, c.window ? { window: c.window } : {});
      const mask = new Uint8Array(img.width * img.height);
      for (let p = 0; p < mask.length; p++) mask[p] = (p * 7 + (p % img.width)) % 5;
      masks.push(mask);
      await writeMaskGeotiff(c.path, mask, img.width, img.height, img.geo!);
    }
    const read = gdal({ read: cases.map((c) => c.path) }).read;
    read.forEach((r, i) => {
      expect(r.epsg).toBe(EPSG);
      expect([r.count, r.dtype]).toEqual([1, 'uint8']);
      expectTransform(r.transform, cases[i].expected);
      expect(r.values).toEqual(Array.from(masks[i]));
    });
  });
});

describe('mask GeoTIFFs keep the CRS exactly as GDAL wrote it', () => {
  // The GeoKeys of the input go to the mask unchanged: same key directory (sorted, same types),
  // same '|'-terminated citations, same double parameters, so GDAL reads the same CRS.
  it.each([
    ['projected, EPSG code', { epsg: 32633 }],
    ['geographic, EPSG code', { epsg: 4326 }],
    ['user-defined transverse Mercator (double-valued keys, no EPSG code)', { crs: '+proj=tmerc +lat_0=0 +lon_0=15.5 +k=0.9996 +x_0=500000 +y_0=0 +ellps=GRS80 +units=m +no_defs' }],
  ])('%s', async (name, crs) => {
    const input = join(dir, `crs-${name.split(' ')[0]}.tif`);
    const mask = join(dir, `crs-${name.split(' ')[0]}-mask.tif`);
    const transform = 'epsg' in crs && crs.epsg === 4326 ? [15, 0.001, 0.0002, 45, -0.0003, -0.001] : ROTATED;
    gdal({ write: [{ path: input, width: 20, height: 10, transform, ...crs }] });
    const img = await decodeImage(input);
    await writeMaskGeotiff(mask, new Uint8Array(200).fill(1), 20, 10, img.geo!);
    const [src, out] = gdal({ read: [input, mask] }).read;
    expect(out.crsWkt).not.toBeNull();
    expect(out.crsWkt).toBe(src.crsWkt);
    expect(out.epsg).toBe(src.epsg);
    expectTransform(out.transform, transform);
  });
});

describe('detections GeoJSON on a rotated grid matches GDAL\'s mapping of the pixel corners', () => {
  it('every corner of every box, windowed and full', async () => {
    const quads: Array<[[number, number], [number, number], [number, number], [number, number]]> = [
      [[2, 3], [8, 3], [8, 6], [2, 6]],
      [[10.5, 1.25], [14, 4.5], [11.75, 7], [8.25, 3.75]],
    ];
    const detections = quads.map((polygon, i) => ({ cx: 0, cy: 0, w: 1, h: 1, angle: 0, score: 0.9 - i / 10, label: `c${i}`, index: i, polygon }));
    for (const window of [null, WINDOW] as const) {
      const img = await decodeImage(rotatedPath, window ? { window } : {});
      const result: DetectionResult = {
        width: img.width, height: img.height, detections, labels: ['c0', 'c1'], palette: [[255, 0, 0], [0, 255, 0]],
        geo: img.geo as GeoInfo, tiling: { tileSize: 64, overlap: 0, tiles: 1 }, scoreThreshold: 0.1, iouThreshold: 0.1,
      };
      const file = join(dir, `boxes-${window ? 'window' : 'full'}.geojson`);
      // The native CRS (the default file is RFC 7946 WGS 84; test/vector-output.test.ts checks that).
      await writeDetectionsGeoJson(file, result, { crs: 'native' });
      const json = JSON.parse(readFileSync(file, 'utf8'));
      expect(json.features.map((f: { properties: unknown }) => f.properties)).toEqual((detectionsGeoJson(result) as any).features.map((f: any) => ({ ...f.properties, area: expect.any(Number) })));
      expect(json.crs.properties.name).toBe(`urn:ogc:def:crs:EPSG::${EPSG}`);
      expect(json.features).toHaveLength(quads.length);
      const expected = gdal({ map: quads.map((points) => ({ path: rotatedPath, window, points })) }).map;
      json.features.forEach((feature: { geometry: { coordinates: number[][][] } }, i: number) => {
        const ring = feature.geometry.coordinates[0];
        expect(ring).toHaveLength(5);
        expect(ring[4]).toEqual(ring[0]);
        // The ring may be reversed to run counter-clockwise; as a set it must be GDAL's corners.
        for (const corner of expected[i]) {
          const hit = ring.slice(0, 4).some(([x, y]) => Math.abs(x - corner[0]) < 1e-6 && Math.abs(y - corner[1]) < 1e-6);
          expect(hit, `corner ${corner} of box ${i} (${window ? 'window' : 'full'}) in ${JSON.stringify(ring)}`).toBe(true);
        }
      });
    }
  });
});
