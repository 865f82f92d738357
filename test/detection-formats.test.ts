// Detection output formats against hand-written expectations: the corners of three boxes
// worked out by hand (c ∓ u ∓ v with u = w/2·(cos θ, sin θ), v = h/2·(−sin θ, cos θ)), the DOTA
// lines they give (corner order starting nearest the bounding box's top-left, 2 decimals), and
// (with DOTA's integer difficulty 0 in the last column) and the GeoJSON rings through an asymmetric rotated geotransform, counter-clockwise and closed.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { corners } from '../lib/detection/rotated-box.js';
import type { GeoInfo } from '../lib/image/types.js';
import { detectionsDotaText, writeDetectionsDota } from '../lib/output/detections-dota.js';
import { detectionsGeoJson } from '../lib/output/detections-geojson.js';
import type { DetectionResult } from '../lib/tasks/detection.js';
import { tempDir } from './helpers/image-fixtures.js';

const { dir, cleanup } = tempDir('lwganet-formats-');
afterAll(() => cleanup());

const BOXES = [
  { cx: 10, cy: 20, w: 8, h: 4, angle: 0, score: 0.9, label: 'plane', index: 0 },
  { cx: 30, cy: 40, w: 10, h: 6, angle: -Math.PI / 2, score: 0.5, label: 'large vehicle', index: 9 },
  { cx: 50, cy: 50, w: 20, h: 10, angle: Math.PI / 6, score: 0.123456789, label: 'ship', index: 4 },
];

// p1..p4 by hand.
const CORNERS = [
  [[6, 18], [14, 18], [14, 22], [6, 22]],
  [[27, 45], [27, 35], [33, 35], [33, 45]],
  [[43.839746, 40.669873], [61.160254, 50.669873], [56.160254, 59.330127], [38.839746, 49.330127]],
];

function result(geo: GeoInfo | null, count = BOXES.length): DetectionResult {
  return {
    width: 100, height: 80, labels: ['plane', 'ship', 'large vehicle'], palette: [[255, 0, 0]], geo,
    detections: BOXES.slice(0, count).map((b) => ({ ...b, polygon: corners(b) })),
    tiling: { tileSize: 1024, overlap: 200, tiles: 1 }, scoreThreshold: 0.05, iouThreshold: 0.1,
  };
}

const GEO: GeoInfo = {
  geoTransform: [1000, 2, 0.5, 5000, -0.25, -2], epsg: 32631, crsWkt: null,
  window: [0, 0, 100, 80], fullWidth: 100, fullHeight: 80, noData: null,
};

describe('box corners', () => {
  it('match the hand-computed p1..p4', () => {
    BOXES.forEach((b, i) => corners(b).forEach((p, k) => {
      expect(p[0]).toBeCloseTo(CORNERS[i][k][0], 5);
      expect(p[1]).toBeCloseTo(CORNERS[i][k][1], 5);
    }));
  });
});

describe('DOTA text', () => {
  it('is exactly the expected lines', async () => {
    const expected = [
      '6.00 18.00 14.00 18.00 14.00 22.00 6.00 22.00 plane 0',
      '27.00 35.00 33.00 35.00 33.00 45.00 27.00 45.00 large_vehicle 0',
      '43.84 40.67 61.16 50.67 56.16 59.33 38.84 49.33 ship 0',
    ].join('\n') + '\n';
    expect(detectionsDotaText(result(null))).toBe(expected);
    const file = join(dir, 'boxes.txt');
    await writeDetectionsDota(file, result(null));
    expect(readFileSync(file, 'utf8')).toBe(expected);
    expect(detectionsDotaText(result(null, 0))).toBe('');
  });
});

describe('GeoJSON', () => {
  function close(actual: number[][], expected: number[][]): void {
    expect(actual).toHaveLength(expected.length);
    actual.forEach((p, k) => {
      expect(p[0], `point ${k}: ${JSON.stringify(actual)}`).toBeCloseTo(expected[k][0], 5);
      expect(p[1], `point ${k}: ${JSON.stringify(actual)}`).toBeCloseTo(expected[k][1], 5);
    });
  }

  it('in pixels: rings are the corners, closed, counter-clockwise as given (y down)', () => {
    const fc = detectionsGeoJson(result(null)) as any;
    expect(fc.crs).toBeUndefined();
    expect(fc.features).toHaveLength(3);
    close(fc.features[0].geometry.coordinates[0], [[6, 18], [14, 18], [14, 22], [6, 22], [6, 18]]);
    expect(fc.features.map((f: any) => f.id)).toEqual([0, 1, 2]);
    expect(fc.features[1].properties).toEqual({ label: 'large vehicle', index: 9, score: 0.5, cx: 30, cy: 40, w: 10, h: 6, angle: -Math.PI / 2 });
  });

  it('on a rotated grid: X = 1000 + 2x + 0.5y, Y = 5000 − 0.25x − 2y, ring reversed to stay counter-clockwise', () => {
    const fc = detectionsGeoJson(result(GEO)) as any;
    expect(fc.crs).toEqual({ type: 'name', properties: { name: 'urn:ogc:def:crs:EPSG::32631' } });
    expect(fc.properties).toMatchObject({ coordinateSpace: 'crs', epsg: 32631, geoTransform: GEO.geoTransform });
    expect(fc.features).toHaveLength(3);
    close(fc.features[0].geometry.coordinates[0], [[1023, 4954.5], [1039, 4952.5], [1037, 4960.5], [1021, 4962.5], [1023, 4954.5]]);
    // Box 2: (27,45) (27,35) (33,35) (33,45) → (1076.5, 4903.25) (1071.5, 4923.25) (1083.5, 4921.75) (1088.5, 4901.75).
    close(fc.features[1].geometry.coordinates[0], [[1088.5, 4901.75], [1083.5, 4921.75], [1071.5, 4923.25], [1076.5, 4903.25], [1088.5, 4901.75]]);
  });

  it('an empty result is a FeatureCollection with no features', () => {
    const fc = detectionsGeoJson(result(GEO, 0)) as any;
    expect(fc.type).toBe('FeatureCollection');
    expect(fc.features).toEqual([]);
  });
});
