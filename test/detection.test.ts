// detect(): DOTA-style patches merged by rotated NMS, checked against the blob detector's answer
// computed directly from the pixels (test/helpers/blob-images.ts): image coordinates across
// several patches, objects on patch seams reported once, thresholds, progress, inputs of every
// kind, the JSON / GeoJSON / DOTA / PNG outputs read back, every bad-input path, and the CLI.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DOTA_V1_0, DOTA_V1_5 } from '../lib/detection/dota-classes.js';
import { corners, dotaOrder, toLe90, wrapLe90, type Quad } from '../lib/detection/rotated-box.js';
import { LwganetError } from '../lib/errors.js';
import { parseMetadata } from '../lib/model/metadata.js';
import { loadModel, type Model } from '../lib/model/model.js';
import { detectionPalette } from '../lib/output/detection-palette.js';
import { writeDetectionsPng } from '../lib/output/detections-draw.js';
import { detectionFormatFor, writeDetectionsFile } from '../lib/output/detections-file.js';
import { detectionsDocument } from '../lib/output/detections-json.js';
import { detect, type DetectionResult } from '../lib/tasks/detection.js';
import { readDetectorOutput } from '../lib/tasks/detector-output.js';
import { Tensor } from '../lib/tensor/tensor.js';
import { blobImage, expectedBoxes, type Blob, type ExpectedBox } from './helpers/blob-images.js';
import { hasStack, runCli } from './helpers/cli-run.js';
import { fixture } from './helpers/fixtures.js';
import { encode, geotiff, pattern, tempDir, writeFixture } from './helpers/image-fixtures.js';

let dir: string;
let cleanup: () => void;
let model: Model;

beforeAll(async () => {
  ({ dir, cleanup } = tempDir('lwganet-det-'));
  model = await loadModel(fixture('detector.pt'), { threads: 2 });
});

afterAll(() => {
  model?.dispose();
  cleanup?.();
});

// 300 × 230 with the fixture's 128 px patches and 32 px overlap: columns start at 0, 96, 172
// (the last shifted to end at 300) and rows at 0, 96, 102 — 9 patches, neither side a multiple
// of the 96 px step.
const WIDTH = 300;
const HEIGHT = 230;
const BLOBS: Blob[] = [
  { id: 1, label: 0, rect: [10, 10, 40, 30] }, // only in column 0 / row 0
  { id: 2, label: 4, rect: [140, 20, 165, 60] }, // only in column 1
  { id: 3, label: 6, rotated: { cx: 260, cy: 50, w: 40, h: 14, angle: 0.5 } }, // only in column 2
  { id: 4, label: 9, rect: [20, 150, 50, 200] }, // whole in rows 1 and 2: two identical views
  { id: 5, label: 11, rect: [110, 150, 140, 170] }, // across column 0's right edge (x = 128), whole in column 1
  { id: 6, label: 2, rotated: { cx: 250, cy: 180, w: 30, h: 24, angle: -1.0 } },
  { id: 7, label: 13, rect: [150, 180, 154, 184] }, // 16 px: score 0.14
  { id: 8, label: 1, rect: [60, 85, 80, 110] }, // across row 1's and row 2's top edges, whole in row 0
];
const SEAM_IDS = [5, 8];

function scene(blobs: readonly Blob[] = BLOBS, width = WIDTH, height = HEIGHT) {
  return { data: blobImage(width, height, blobs), width, height, channels: 3 as const };
}

/** Difference of two le90 angles as lines (θ and θ ± π are the same rectangle). */
function angleDiff(a: number, b: number): number {
  const d = Math.abs(a - b) % Math.PI;
  return Math.min(d, Math.PI - d);
}

function expectBox(actual: DetectionResult['detections'][number], expected: ExpectedBox): void {
  expect(actual.cx).toBeCloseTo(expected.cx, 3);
  expect(actual.cy).toBeCloseTo(expected.cy, 3);
  expect(actual.w).toBeCloseTo(expected.w, 3);
  expect(actual.h).toBeCloseTo(expected.h, 3);
  expect(angleDiff(actual.angle, expected.angle)).toBeLessThan(1e-4);
  expect(actual.score).toBeCloseTo(expected.score, 5);
  expect(actual.index).toBe(expected.index);
  expect(actual.label).toBe(DOTA_V1_0[expected.index]);
}

/** Detections matched to expected boxes by nearest centre (one each). */
function matchAll(result: DetectionResult, expected: ExpectedBox[]): void {
  expect(result.detections).toHaveLength(expected.length);
  for (const e of expected) {
    const d = result.detections.find((x) => Math.hypot(x.cx - e.cx, x.cy - e.cy) < 0.01);
    expect(d, `blob ${e.id} at (${e.cx}, ${e.cy})`).toBeDefined();
    expectBox(d!, e);
  }
}

function checkLe90(result: DetectionResult): void {
  for (const d of result.detections) {
    expect(d.angle).toBeGreaterThanOrEqual(-Math.PI / 2);
    expect(d.angle).toBeLessThan(Math.PI / 2);
    expect(d.w).toBeGreaterThanOrEqual(d.h);
    expect(d.polygon).toEqual(corners(d));
  }
  for (let i = 1; i < result.detections.length; i++) expect(result.detections[i - 1].score).toBeGreaterThanOrEqual(result.detections[i].score);
}

describe('rotated box geometry (le90)', () => {
  it('wraps angles into [−π/2, π/2) with a floored modulo and swaps sides so w ≥ h', () => {
    expect(wrapLe90(0)).toBe(0);
    expect(wrapLe90(Math.PI / 2)).toBeCloseTo(-Math.PI / 2, 12);
    expect(wrapLe90(-Math.PI / 2)).toBeCloseTo(-Math.PI / 2, 12);
    expect(wrapLe90(3 * Math.PI / 4)).toBeCloseTo(-Math.PI / 4, 12);
    expect(wrapLe90(-3 * Math.PI / 4)).toBeCloseTo(Math.PI / 4, 12);
    // A detector's float32 −π/2 is just below −π/2: it stays −π/2 instead of becoming +π/2.
    expect(wrapLe90(Math.fround(-Math.PI / 2))).toBe(-Math.PI / 2);
    expect(wrapLe90(-Math.PI / 2 - 0.01)).toBeCloseTo(Math.PI / 2 - 0.01, 12);
    for (let a = -10; a < 10; a += 0.37) {
      const w = wrapLe90(a);
      expect(w >= -Math.PI / 2 && w < Math.PI / 2).toBe(true);
      expect(angleDiff(w, a)).toBeLessThan(1e-9);
    }
    const tall = toLe90({ cx: 5, cy: 6, w: 10, h: 30, angle: 0.2 });
    expect(tall).toEqual({ cx: 5, cy: 6, w: 30, h: 10, angle: expect.any(Number) });
    expect(tall.angle).toBeCloseTo(0.2 + Math.PI / 2 - Math.PI, 12);
    // Both forms describe the same corner set.
    const key = (q: Quad) => q.map((p) => p.map((v) => v.toFixed(6)).join(',')).sort();
    expect(key(corners(tall))).toEqual(key(corners({ cx: 5, cy: 6, w: 10, h: 30, angle: 0.2 })));
  });

  it('puts p1..p4 at top-left, top-right, bottom-right, bottom-left for θ = 0 and turns them clockwise on screen', () => {
    expect(corners({ cx: 10, cy: 20, w: 8, h: 4, angle: 0 })).toEqual([[6, 18], [14, 18], [14, 22], [6, 22]]);
    const turned = corners({ cx: 0, cy: 0, w: 2, h: 0, angle: Math.PI / 2 - 1e-12 });
    // The w side from p1 to p2 points down the screen (+y) at θ = +π/2.
    expect(turned[1][1] - turned[0][1]).toBeCloseTo(2, 9);
  });

  it('orders DOTA corners from the one nearest the bounding box top-left', () => {
    const quad: Quad = [[14, 22], [6, 22], [6, 18], [14, 18]];
    expect(dotaOrder(quad)).toEqual([[6, 18], [14, 18], [14, 22], [6, 22]]);
    const q = corners({ cx: 50, cy: 50, w: 40, h: 10, angle: -1.2 });
    const ordered = dotaOrder(q);
    expect(ordered.map(String).sort()).toEqual(q.map(String).sort());
    // Cyclic order is kept (a rotation, never a reflection).
    const start = q.findIndex((p) => p === ordered[0]);
    expect(ordered).toEqual([0, 1, 2, 3].map((i) => q[(start + i) % 4]));
  });
});

describe('metadata of rotated-detection models', () => {
  const base = () => JSON.parse(JSON.stringify((model.metadata as unknown as Record<string, unknown>))) as Record<string, any>;

  it('reads the fixture metadata per the contract', () => {
    const m = model.metadata!;
    expect(m.task).toBe('rotated-detection');
    expect(m.labelSet).toBe('dota-v1.0');
    expect(m.labels).toEqual([...DOTA_V1_0]);
    expect(m.detection).toEqual({ angleConvention: 'le90', boxFormat: 'cx,cy,w,h,angle', scoreThreshold: 0.05, nmsIouThreshold: 0.1, maxPerImage: 2000, rpn: { preNmsTopK: 2000, nmsIouThreshold: 0.8, maxProposals: 2000 } });
    expect(DOTA_V1_5).toEqual([...DOTA_V1_0, 'container-crane']);
    expect(parseMetadata(JSON.stringify(base())).detection).toEqual(m.detection);
  });

  it.each([
    ['detection not an object', (m: any) => (m.detection = 'le90'), /detection must be an object/],
    ['another angle convention', (m: any) => (m.detection.angleConvention = 'oc'), /angleConvention must be "le90"/],
    ['another box format', (m: any) => (m.detection.boxFormat = 'x1,y1,x2,y2'), /boxFormat/],
    ['a score threshold above 1', (m: any) => (m.detection.scoreThreshold = 1.5), /scoreThreshold must be a number from 0 to 1/],
    ['a string IoU threshold', (m: any) => (m.detection.nmsIouThreshold = '0.1'), /nmsIouThreshold/],
    ['a fractional maxPerImage', (m: any) => (m.detection.maxPerImage = 2.5), /maxPerImage must be a positive integer/],
    ['no rpn block', (m: any) => delete m.detection.rpn, /detection\.rpn must be an object/],
    ['a bad rpn.preNmsTopK', (m: any) => (m.detection.rpn.preNmsTopK = 0), /rpn\.preNmsTopK/],
    ['DOTA labels out of order', (m: any) => ([m.labels[0], m.labels[1]] = [m.labels[1], m.labels[0]]), /labels must be the 15 dota-v1\.0 classes in order/],
    ['15 labels declared as dota-v1.5', (m: any) => (m.labelSet = 'dota-v1.5'), /16 dota-v1\.5 classes/],
    ['no scores output', (m: any) => (m.outputs = m.outputs.filter((o: any) => o.kind !== 'scores')), /exactly one output of kind "scores"/],
    ['two boxes outputs', (m: any) => m.outputs.push({ name: 'b2', kind: 'rotated-boxes', shape: ['D', 5] }), /exactly one output of kind "rotated-boxes"/],
  ])('rejects %s with METADATA_INVALID (EXPECTED FAILURE)', (_name, edit, message) => {
    const m = base();
    edit(m);
    let error: unknown;
    try {
      parseMetadata(JSON.stringify(m));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(LwganetError);
    expect((error as LwganetError).code).toBe('METADATA_INVALID');
    expect((error as Error).message).toMatch(message);
  });

  it('requires the detection block for rotated detection and only there (EXPECTED FAILURE)', () => {
    const without = base();
    delete without.detection;
    expect(() => parseMetadata(JSON.stringify(without))).toThrow(/detection must be given for task rotated-detection and only there/);
    const classifier = base();
    classifier.task = 'classification';
    expect(() => parseMetadata(JSON.stringify(classifier))).toThrow(/detection must be given for task rotated-detection and only there/);
  });

  it('accepts a custom label set', () => {
    const m = base();
    m.labelSet = 'custom';
    m.labels = ['car', 'boat'];
    m.numClasses = 2;
    expect(parseMetadata(JSON.stringify(m)).labels).toEqual(['car', 'boat']);
  });
});

describe('patches and merge', () => {
  it('returns boxes in image coordinates for an image that needs several patches', async () => {
    const image = scene();
    const result = await detect(image, { model });
    expect(result.tiling).toEqual({ tileSize: 128, overlap: 32, tiles: 9 });
    expect([result.width, result.height, result.geo]).toEqual([WIDTH, HEIGHT, null]);
    expect(result.labels).toEqual([...DOTA_V1_0]);
    expect(result.palette).toEqual(detectionPalette(15));
    expect([result.scoreThreshold, result.iouThreshold]).toEqual([0.05, 0.1]);
    matchAll(result, expectedBoxes(image.data, WIDTH));
    checkLe90(result);
    // The rotated blob's box follows its pixels: long side ≈ 40 at ≈ 0.5 rad.
    // An upright blob (taller than wide) is at −π/2, not +π/2.
    expect(result.detections.find((d) => d.index === 4)!.angle).toBe(-Math.PI / 2);
    const rotated = result.detections.find((d) => d.index === 6)!;
    expect(rotated.w).toBeCloseTo(40, 0);
    expect(rotated.angle).toBeCloseTo(0.5, 1);
  });

  it('reports an object on a patch seam once, with the box of the patch that sees it whole', async () => {
    const image = scene();
    const result = await detect(image, { model });
    const whole = expectedBoxes(image.data, WIDTH);
    for (const id of SEAM_IDS) {
      const e = whole.find((b) => b.id === id)!;
      const found = result.detections.filter((d) => d.index === e.index);
      expect(found).toHaveLength(1);
      expectBox(found[0], e);
    }
    // Without the merge the seam objects would be seen more than once: blob 5 by columns 0
    // and 1 (partly, then whole), blob 8 by rows 0, 1 and 2.
    const partial5 = expectedBoxes(image.data, WIDTH, [0, 96, 128, 224]).find((b) => b.id === 5)!;
    expect(partial5.pixels).toBeLessThan(whole.find((b) => b.id === 5)!.pixels);
    const unmerged = await detect(image, { model, iouThreshold: 1 });
    expect(unmerged.detections.filter((d) => d.index === 11).length).toBeGreaterThan(1);
    expect(unmerged.detections.filter((d) => d.index === 1).length).toBe(3);
  });

  it('reports an object wider than the overlap once (as its largest view)', async () => {
    const blob: Blob = { id: 9, label: 3, rect: [90, 40, 135, 60] };
    const image = scene([blob], 224, 100);
    const result = await detect(image, { model });
    expect(result.tiling.tiles).toBe(2);
    expect(result.detections).toHaveLength(1);
    // Column 0 sees x 90..128 (38 px), column 1 x 96..135 (39 px): the larger view wins.
    expectBox(result.detections[0], expectedBoxes(image.data, 224, [96, 0, 224, 100])[0]);
  });

  it('gives the same detections as one patch covering the whole image', async () => {
    const image = scene();
    const tiled = await detect(image, { model });
    const whole = await detect(image, { model, tileSize: 320 });
    expect(whole.tiling.tiles).toBe(1);
    const key = (r: DetectionResult) => r.detections.map((d) => [d.index, d.cx.toFixed(3), d.cy.toFixed(3), d.w.toFixed(3), d.score.toFixed(5)].join(' ')).sort();
    expect(key(tiled)).toEqual(key(whole));
  });

  it('filters by scoreThreshold (scores above it are kept)', async () => {
    const image = scene();
    const all = await detect(image, { model, scoreThreshold: 0 });
    const small = all.detections.find((d) => d.index === 13)!;
    expect(small.score).toBeCloseTo(16 / 116, 5);
    const filtered = await detect(image, { model, scoreThreshold: 0.2 });
    expect(filtered.scoreThreshold).toBe(0.2);
    expect(filtered.detections.map((d) => d.index).sort()).toEqual(all.detections.filter((d) => d.score > 0.2).map((d) => d.index).sort());
    expect(filtered.detections.some((d) => d.index === 13)).toBe(false);
    expect(filtered.detections).toHaveLength(all.detections.length - 1);
    expect((await detect(image, { model, scoreThreshold: 0.99 })).detections).toEqual([]);
  });

  it('reports progress once per patch up to the total', async () => {
    const seen: Array<[number, number]> = [];
    await detect(scene(), { model, onProgress: (done, total) => seen.push([done, total]) });
    expect(seen).toEqual(Array.from({ length: 9 }, (_, i) => [i + 1, 9]));
  });

  it('runs an image smaller than a patch as one patch, padding it only up to the model minimum', async () => {
    const small = scene([{ id: 3, label: 5, rect: [20, 10, 70, 30] }], 100, 80);
    const result = await detect(small, { model });
    expect(result.tiling.tiles).toBe(1);
    matchAll(result, expectedBoxes(small.data, 100));
    // 24 × 20 is below the fixture's 32 px minimum (it raises for such inputs): padded with the mean colour.
    const tiny = scene([{ id: 4, label: 7, rect: [2, 3, 20, 12] }], 24, 20);
    matchAll(await detect(tiny, { model }), expectedBoxes(tiny.data, 24));
  });

  it('returns no detections for an image without objects', async () => {
    const empty = { data: pattern(150, 140, 3, 2).map((v, i) => (i % 3 === 0 ? v % 100 : v)), width: 150, height: 140, channels: 3 as const };
    const result = await detect(empty, { model });
    expect(result.detections).toEqual([]);
    expect(result.tiling.tiles).toBe(4);
  });
});

describe('inputs', () => {
  it('reads PNG buffers and paths like raw pixels', async () => {
    const image = scene();
    const png = await encode(image.data, WIDTH, HEIGHT, 3, 'png');
    const path = writeFixture(dir, 'scene.png', png);
    const [fromRaw, fromBuffer, fromPath] = await Promise.all([image, png, path].map((input) => detect(input, { model })));
    expect(fromBuffer.detections).toEqual(fromRaw.detections);
    expect(fromPath.detections).toEqual(fromRaw.detections);
  });

  it('reads a GeoTIFF by patch windows, keeping its georeferencing', async () => {
    const image = scene();
    const bands = [0, 1, 2].map((c) => Uint8Array.from({ length: WIDTH * HEIGHT }, (_, p) => image.data[p * 3 + c]));
    const path = writeFixture(dir, 'scene.tif', geotiff({ width: WIDTH, height: HEIGHT, bands, epsg: 32633, origin: [500000, 4100000, 0.5, 0.5] }));
    const result = await detect(path, { model });
    expect(result.geo).toMatchObject({ epsg: 32633, geoTransform: [500000, 0.5, 0, 4100000, 0, -0.5] });
    expect(result.detections).toEqual((await detect(image, { model })).detections);
  });
});

describe('outputs', () => {
  let result: DetectionResult;
  let geoResult: DetectionResult;
  let geoPath: string;

  // Computed by the first test that needs them rather than in beforeAll: mutation testing
  // (npm run test:mutation) counts code run in hooks as covered by no test and reruns every
  // test for each such mutant.
  let ready: Promise<void> | null = null;
  beforeEach(async () => {
    ready ??= (async () => {
      const image = scene();
      result = await detect(image, { model });
      const bands = [0, 1, 2].map((c) => Uint8Array.from({ length: WIDTH * HEIGHT }, (_, p) => image.data[p * 3 + c]));
      geoPath = writeFixture(dir, 'out-scene.tif', geotiff({ width: WIDTH, height: HEIGHT, bands, epsg: 32633, origin: [500000, 4100000, 0.5, 0.5] }));
      geoResult = await detect(geoPath, { model });
    })();
    await ready;
  });

  it('picks the format from the extension', () => {
    expect(['a.json', 'b.GeoJSON', 'c.txt', 'd.gpkg', 'e.FGB'].map(detectionFormatFor)).toEqual(['json', 'geojson', 'dota', 'gpkg', 'fgb']);
    expect(() => detectionFormatFor('boxes.csv')).toThrow(RangeError);
  });

  it('writes JSON with every detection in pixels', async () => {
    const file = join(dir, 'boxes.json');
    expect(await writeDetectionsFile(file, result)).toBe('json');
    const doc = JSON.parse(readFileSync(file, 'utf8'));
    expect(doc).toEqual(JSON.parse(JSON.stringify(detectionsDocument(result))));
    expect(doc).toMatchObject({ width: WIDTH, height: HEIGHT, coordinates: 'pixel', angleConvention: 'le90', crs: null, labels: [...DOTA_V1_0] });
    expect(doc.detections).toHaveLength(result.detections.length);
    expect(Object.keys(doc.detections[0]).sort()).toEqual(['angle', 'cx', 'cy', 'h', 'index', 'label', 'polygon', 'score', 'w']);
  });

  /** Shoelace area relative to the first point (map coordinates are large: no cancellation). */
  function ringArea(ring: number[][]): number {
    const [x0, y0] = ring[0];
    let a = 0;
    for (let i = 0; i + 1 < ring.length; i++) a += (ring[i][0] - x0) * (ring[i + 1][1] - y0) - (ring[i + 1][0] - x0) * (ring[i][1] - y0);
    return a / 2;
  }

  it('writes GeoJSON polygons in pixel coordinates for a plain image, saying so in its CRS', async () => {
    const file = join(dir, 'boxes.geojson');
    expect(await writeDetectionsFile(file, result)).toBe('geojson');
    const fc = JSON.parse(readFileSync(file, 'utf8'));
    expect(fc.type).toBe('FeatureCollection');
    expect(fc.crs.properties.name).toMatch(/^LOCAL_CS\["image pixels \(x right, y down\)"/);
    expect(fc.features).toHaveLength(result.detections.length);
    fc.features.forEach((f: any, i: number) => {
      const d = result.detections[i];
      expect(f.geometry.type).toBe('Polygon');
      const ring = f.geometry.coordinates[0] as number[][];
      expect(ring).toHaveLength(5);
      expect(ring[4]).toEqual(ring[0]);
      expect(ringArea(ring)).toBeGreaterThan(0);
      expect(ringArea(ring)).toBeCloseTo(d.w * d.h, 6);
      expect(ring.slice(0, 4).map(String).sort()).toEqual(d.polygon.map(String).sort());
      expect(f.properties).toEqual({ label: d.label, index: d.index, score: d.score, cx: d.cx, cy: d.cy, w: d.w, h: d.h, angle: d.angle });
    });
  });

  it('writes GeoJSON in the GeoTIFF\'s CRS through its geotransform on request (crs: native)', async () => {
    const file = join(dir, 'geo.geojson');
    await writeDetectionsFile(file, geoResult, { crs: 'native' });
    const fc = JSON.parse(readFileSync(file, 'utf8'));
    expect(fc.crs).toEqual({ type: 'name', properties: { name: 'urn:ogc:def:crs:EPSG::32633' } });
    expect(geoResult.detections.length).toBeGreaterThan(0);
    expect(fc.features).toHaveLength(geoResult.detections.length);
    fc.features.forEach((f: any, i: number) => {
      const d = geoResult.detections[i];
      const ring = f.geometry.coordinates[0] as number[][];
      const expected = d.polygon.map(([x, y]) => [500000 + 0.5 * x, 4100000 - 0.5 * y]);
      for (const p of ring.slice(0, 4)) expect(expected.some((q) => Math.abs(q[0] - p[0]) < 1e-6 && Math.abs(q[1] - p[1]) < 1e-6)).toBe(true);
      expect(ringArea(ring)).toBeCloseTo(d.w * d.h * 0.25, 6);
      // Properties stay in pixels; the area is in m².
      expect(f.properties.cx).toBe(d.cx);
      expect(f.properties.area).toBeCloseTo(d.w * d.h * 0.25, 6);
    });
  });

  it('writes one DOTA label file: x1 y1 … x4 y4 class difficulty (0) per line, DOTA corner order', async () => {
    const file = join(dir, 'boxes.txt');
    expect(await writeDetectionsFile(file, result)).toBe('dota');
    const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
    expect(lines).toHaveLength(result.detections.length);
    lines.forEach((line, i) => {
      const d = result.detections[i];
      const fields = line.split(' ');
      expect(fields).toHaveLength(10);
      expect(fields[8]).toBe(d.label);
      expect(fields[9]).toBe('0');
      const quad = dotaOrder(d.polygon);
      fields.slice(0, 8).map(Number).forEach((v, k) => expect(v).toBeCloseTo(quad[k >> 1][k & 1], 2));
    });
  });

  it('draws the boxes in class colours on the image', async () => {
    const image = scene();
    const file = join(dir, 'drawn.png');
    await writeDetectionsPng(file, image, result, { labels: false });
    const { data, info } = await sharp(file).raw().toBuffer({ resolveWithObject: true });
    expect([info.width, info.height, info.channels]).toEqual([WIDTH, HEIGHT, 3]);
    const at = (x: number, y: number) => [...data.subarray((y * WIDTH + x) * 3, (y * WIDTH + x) * 3 + 3)];
    // Blob 1 spans x 10..40, y 10..30: its box's bottom edge (y = 30) is stroked 2 px wide.
    expect(at(25, 29)).toEqual(result.palette[0]);
    expect(at(25, 30)).toEqual(result.palette[0]);
    // Far from every box the picture is the image.
    expect(at(100, 5)).toEqual([...image.data.subarray((5 * WIDTH + 100) * 3, (5 * WIDTH + 100) * 3 + 3)]);
    // With labels, text is drawn too (more pixels differ from the image).
    const labelled = join(dir, 'labelled.png');
    await writeDetectionsPng(labelled, image, result);
    const withText = (await sharp(labelled).raw().toBuffer());
    let diffPlain = 0;
    let diffText = 0;
    for (let i = 0; i < image.data.length; i++) {
      if (data[i] !== image.data[i]) diffPlain++;
      if (withText[i] !== image.data[i]) diffText++;
    }
    expect(diffText).toBeGreaterThan(diffPlain);
  });

  it('leaves no file behind when an output cannot be written (EXPECTED FAILURE)', async () => {
    const out = join(dir, 'failures');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(out);
    await expect(writeDetectionsFile(join(out, 'boxes.csv'), result)).rejects.toThrow(RangeError);
    await expect(writeDetectionsFile(join(out, 'missing', 'boxes.json'), result)).rejects.toThrow(/ENOENT/);
    const wrongSize = { data: pattern(50, 40, 3), width: 50, height: 40, channels: 3 as const };
    await expect(writeDetectionsPng(join(out, 'drawn.png'), wrongSize, result)).rejects.toMatchObject({ code: 'INPUT_SHAPE' });
    await expect(writeDetectionsPng(join(out, 'drawn.png'), join(dir, 'no-such.png'), result)).rejects.toMatchObject({ code: 'IMAGE_DECODE' });
    expect(readdirSync(out)).toEqual([]);
  });
});

describe('bad inputs (EXPECTED FAILURE)', () => {
  it('rejects a model of another task and a model without metadata', async () => {
    const classifier = await loadModel(fixture('with_metadata.pt'));
    const bare = await loadModel(fixture('identity.pt'));
    try {
      await expect(detect(scene(), { model: classifier })).rejects.toMatchObject({ code: 'TASK_MISMATCH', message: expect.stringMatching(/classification model.*rotated-detection model is needed/) });
      await expect(detect(scene(), { model: bare })).rejects.toMatchObject({ code: 'METADATA_INVALID' });
    } finally {
      classifier.dispose();
      bare.dispose();
    }
  });

  it('rejects a detector whose output breaks the contract', async () => {
    const broken = await loadModel(fixture('detector_broken.pt'));
    try {
      await expect(detect(scene(), { model: broken })).rejects.toMatchObject({ code: 'OUTPUT_UNSUPPORTED', message: expect.stringMatching(/"boxes" of shape \[D, 5\].*returned \[\d+, 4\]/) });
    } finally {
      broken.dispose();
    }
  });

  it('rejects detector outputs with negative sides or class indices beyond 32 bits', () => {
    const names = { boxes: 'boxes', scores: 'scores', labels: 'labels' };
    const output = (box: number[], label: bigint) => ({
      boxes: new Tensor('float32', Float32Array.from(box), [1, 5]),
      scores: new Tensor('float32', Float32Array.from([0.9]), [1]),
      labels: new Tensor('int64', BigInt64Array.from([label]), [1]),
    });
    expect(readDetectorOutput(output([5, 5, 4, 2, 0], 1n), names, 15).labels[0]).toBe(1);
    expect(() => readDetectorOutput(output([5, 5, -4, 2, 0], 1n), names, 15)).toThrow(/negative side/);
    expect(() => readDetectorOutput(output([5, 5, 4, -2, 0], 1n), names, 15)).toThrow(/negative side/);
    // 2³² would read as class 0 if narrowed before the check.
    expect(() => readDetectorOutput(output([5, 5, 4, 2, 0], 2n ** 32n), names, 15)).toThrow(expect.objectContaining({ code: 'OUTPUT_UNSUPPORTED' }));
  });

  it('rejects unreadable images', async () => {
    await expect(detect(join(dir, 'missing.png'), { model })).rejects.toMatchObject({ code: 'IMAGE_DECODE', message: expect.stringMatching(/no such file/) });
    const garbage = writeFixture(dir, 'garbage.png', Buffer.from('not an image at all'));
    await expect(detect(garbage, { model })).rejects.toMatchObject({ code: 'IMAGE_DECODE' });
    await expect(detect(scene(), { model, decode: { maxPixels: 1000 } })).rejects.toMatchObject({ code: 'IMAGE_TOO_LARGE' });
  });

  it.each([
    ['no options', undefined, TypeError, /options/],
    ['a model that is not a Model', { model: {} }, TypeError, /a Model from loadModel/],
    ['scoreThreshold 2', { scoreThreshold: 2 }, RangeError, /scoreThreshold/],
    ['scoreThreshold "high"', { scoreThreshold: 'high' }, TypeError, /scoreThreshold/],
    ['iouThreshold −0.1', { iouThreshold: -0.1 }, RangeError, /iouThreshold/],
    ['tileSize 100 (not a multiple of 32)', { tileSize: 100 }, RangeError, /tileSize/],
    ['tileSize 32 (below the minimum)', { tileSize: 32 }, RangeError, /tileSize/],
    ['overlap above half the tile', { overlap: 65 }, RangeError, /overlap/],
    ['an unknown option', { batchSize: 4 }, RangeError, /^Unknown option "batchSize" in options \(known: model, decode, onProgress, signal, scoreThreshold, tileSize, overlap, iouThreshold\)$/],
    ['a misspelt option, naming the right one', { iouthreshold: 0.2 }, RangeError, /^Unknown option "iouthreshold" in options; did you mean "iouThreshold"\?/],
    ['a signal that is not an AbortSignal', { signal: {} }, TypeError, /an AbortSignal for signal/],
    ['onProgress that is not a function', { onProgress: 1 }, TypeError, /onProgress/],
  ])('rejects %s', async (_name, extra, Kind, message) => {
    const options = extra === undefined ? undefined : { model, ...extra };
    await expect(detect(scene(), options as never)).rejects.toThrow(Kind);
    await expect(detect(scene(), options as never)).rejects.toThrow(message);
  });

  it('aborts between patches', async () => {
    const controller = new AbortController();
    let patches = 0;
    const run = detect(scene(), { model, signal: controller.signal, onProgress: () => (++patches === 2 ? controller.abort() : undefined) });
    await expect(run).rejects.toMatchObject({ code: 'ABORTED' });
    expect(patches).toBe(2);
  });
});

describe('lwganet detect', () => {
  let png: string;
  let tif: string;
  let garbage: string;

  beforeAll(async () => {
    const image = scene();
    png = writeFixture(dir, 'cli.png', await encode(image.data, WIDTH, HEIGHT, 3, 'png'));
    garbage = writeFixture(dir, 'cli-garbage.png', Buffer.from('not an image at all'));
    const bands = [0, 1, 2].map((c) => Uint8Array.from({ length: WIDTH * HEIGHT }, (_, p) => image.data[p * 3 + c]));
    tif = writeFixture(dir, 'cli.tif', geotiff({ width: WIDTH, height: HEIGHT, bands, epsg: 32633, origin: [500000, 4100000, 0.5, 0.5] }));
  });

  it('prints the detections as JSON and notes seeded weights', async () => {
    const result = await runCli(['detect', png, '--model', fixture('detector.pt'), '--json']);
    expect(result.code, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout);
    const expected = expectedBoxes(scene().data, WIDTH);
    expect(report).toMatchObject({ image: png, width: WIDTH, height: HEIGHT, out: null, draw: null, tiling: { tileSize: 128, overlap: 32, tiles: 9 }, scoreThreshold: 0.05, model: { name: 'fixture_blob_detector' } });
    expect(report.detections).toHaveLength(expected.length);
    expect(report.classes.find((c: { label: string }) => c.label === 'roundabout').count).toBe(1);
    expect(result.stderr).toMatch(/note: fixture_blob_detector has seeded random weights \(seed 0\).*detections are meaningless/);
    expect(hasStack(result.stderr)).toBe(false);
  });

  it('writes GeoJSON in the CRS (--crs native) and a picture for a GeoTIFF, with --score, --tile and --overlap', async () => {
    const out = join(dir, 'cli.geojson');
    const draw = join(dir, 'cli-drawn.png');
    const result = await runCli(['detect', tif, '--model', fixture('detector.pt'), '--out', out, '--crs', 'native', '--draw', draw, '--score', '0.2', '--tile', '192', '--overlap', '40']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(new RegExp(`^.*cli\\.tif: 300×230, 7 detections \\(4 patches of 192, score > 0\\.2\\) → .*cli\\.geojson, .*cli-drawn\\.png\\n`));
    expect(result.stdout).toMatch(/\n {2}roundabout +1\n/);
    const fc = JSON.parse(readFileSync(out, 'utf8'));
    expect(fc.crs.properties.name).toBe('urn:ogc:def:crs:EPSG::32633');
    expect(fc.features).toHaveLength(7);
    expect(fc.features.every((f: any) => f.properties.score > 0.2 && f.properties.area > 0)).toBe(true);
    const meta = await sharp(draw).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(['png', WIDTH, HEIGHT]);
  });

  it('writes DOTA text and Task1 files (--clip keeps corners in the image), and lists the boxes on stdout when there is no --out', async () => {
    const out = join(dir, 'cli.txt');
    const task1 = join(dir, 'cli-task1');
    const written = await runCli(['detect', png, '-m', fixture('detector.pt'), '-o', out, '--task1', task1, '--clip', '--iou', '0.25']);
    expect(written.code, written.stderr).toBe(0);
    const lines = readFileSync(out, 'utf8').trimEnd().split('\n');
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.length).toBeLessThanOrEqual(8);
    for (const line of lines) {
      const fields = line.split(' ');
      expect(fields[9]).toBe('0');
      fields.slice(0, 8).map(Number).forEach((v, k) => expect(v >= 0 && v <= (k % 2 === 0 ? WIDTH : HEIGHT), line).toBe(true));
    }
    const id = basename(png, extname(png));
    const task1Lines = readdirSync(task1).flatMap((name) => readFileSync(join(task1, name), 'utf8').split('\n').filter(Boolean));
    expect(readdirSync(task1)).toHaveLength(DOTA_V1_0.length);
    expect(task1Lines).toHaveLength(lines.length);
    expect(task1Lines.every((line) => line.startsWith(`${id} `))).toBe(true);
    const listed = await runCli(['detect', png, '-m', fixture('detector.pt')]);
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout.match(/^ {2}\S+ 0\.\d{4} {2}cx [\d.]+ cy [\d.]+ w [\d.]+ h [\d.]+ angle -?[\d.]+°$/gm)).toHaveLength(8);
  });

  it('draws a progress bar on a TTY from two patches up (in-process)', async () => {
    const { PassThrough } = await import('node:stream');
    const { main } = await import('../lib/cli/main.js');
    const run = async (tile: string) => {
      const stream = Object.assign(new PassThrough(), { isTTY: true, columns: 80 });
      let drawn = '';
      stream.on('data', (c: Buffer) => (drawn += c.toString()));
      let stdout = '';
      const io = { out: (t: string) => void (stdout += t), err: () => undefined, progressStream: stream, env: {} };
      await main(['node', 'lwganet', 'detect', png, '--model', fixture('detector.pt'), '--tile', tile, '--overlap', '32'], io as never);
      return { drawn, stdout };
    };
    // 300 × 230 with 256 px patches: columns at 0 and 44, one row (230 < 256).
    const two = await run('256');
    expect(two.stdout).toMatch(/2 patches of 256/);
    expect(two.drawn).toMatch(/2\/2 patches/);
    const one = await run('320');
    expect(one.stdout).toMatch(/1 patch of 320/);
    expect(one.drawn).toBe('');
  });

  it.each([
    ['an output of unknown type', ['--out', 'boxes.csv'], /must end in \.json, \.geojson, \.gpkg, \.fgb or \.txt/],
    ['--crs utm', ['--crs', 'utm'], /must be wgs84 or native/],
    ['a picture that is not PNG', ['--draw', 'boxes.jpg'], /must end in \.png/],
    ['--score 2', ['--score', '2'], /must be a number from 0 to 1/],
    ['--iou abc', ['--iou', 'abc'], /must be a number from 0 to 1/],
    ['--tile 100, naming the flag (not the API option)', ['--tile', '100'], /^lwganet: Expected a multiple of 32 of at least 64 \(this model's tile rule\) for --tile-size but received 100\n/],
    ['-t 500 (the short flag)', ['-t', '500'], /for --tile-size but received 500/],
    ['--score-threshold 2', ['--score-threshold', '2'], /'-s, --score-threshold <t>' argument '2' is invalid\. must be a number from 0 to 1/],
    ['--iou-threshold -1', ['--iou-threshold', '-1'], /must be a number from 0 to 1/],
    ['--threads 2000 (loadModel\'s range, in flag words)', ['--threads', '2000'], /Expected an integer from 1 to 1024 for --threads but received 2000/],
  ])('exits 2 on %s (EXPECTED FAILURE)', async (_name, args, message) => {
    const result = await runCli(['detect', png, '--model', fixture('detector.pt'), ...args]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(hasStack(result.stderr)).toBe(false);
  });

  it('exits 1 for a model of another task or an unreadable image and writes nothing (EXPECTED FAILURE)', async () => {
    const out = join(dir, 'never.geojson');
    const draw = join(dir, 'never.png');
    const mismatch = await runCli(['detect', png, '--model', fixture('with_metadata.pt'), '--out', out, '--draw', draw]);
    expect(mismatch.code).toBe(1);
    expect(mismatch.stderr).toMatch(/^lwganet: This is a classification model \(fixture_identity\); a rotated-detection model is needed \[TASK_MISMATCH\]\n$/);
    const bad = await runCli(['detect', garbage, '--model', fixture('detector.pt'), '--out', out, '--draw', draw]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/\[IMAGE_DECODE\]/);
    expect(hasStack(bad.stderr)).toBe(false);
    expect([existsSync(out), existsSync(draw)]).toEqual([false, false]);
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });
});
