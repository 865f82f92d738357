// segment(): tiled results equal the direct per-pixel computation and the untiled run, for
// sizes that are not multiples of the tile, with and without overlap; inputs of every kind;
// every bad-input path; and the CLI end to end.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { gdal } from '../lib/geo/gdal.js';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromFile } from 'geotiff';
import { decodeImage } from '../lib/image/decode.js';
import { LwganetError } from '../lib/errors.js';
import { loadModel, type Model } from '../lib/model/model.js';
import { segment, type SegmentationResult } from '../lib/tasks/segmentation.js';
import { softmax } from '../lib/tasks/top-k.js';
import { hasStack, runCli } from './helpers/cli-run.js';
import { expectedSegLogits, exportDenseFixtures, SEG_LABELS, SEG_PALETTE } from './helpers/dense-models.js';
import { encode, geotiff, pattern, tempDir, writeFixture } from './helpers/image-fixtures.js';

let dir: string;
let cleanup: () => void;
let fixtures: ReturnType<typeof exportDenseFixtures>;
let model: Model;

beforeAll(async () => {
  ({ dir, cleanup } = tempDir('lwganet-seg-'));
  fixtures = exportDenseFixtures(dir);
  model = await loadModel(fixtures.seg, { threads: 2 });
});

afterAll(() => {
  model?.dispose();
  cleanup?.();
});

function raw(width: number, height: number, seed = 3) {
  return { data: pattern(width, height, 3, seed), width, height, channels: 3 as const };
}

/** Max |score − softmax(expected logits)| and the number of mask pixels that differ where the top-2 margin is clear. */
function compareWithDirect(result: SegmentationResult, rgb: Uint8Array): { scoreDiff: number; maskErrors: number } {
  const n = result.width * result.height;
  const logits = expectedSegLogits(rgb, n);
  const k = SEG_LABELS.length;
  let scoreDiff = 0;
  let maskErrors = 0;
  for (let p = 0; p < n; p++) {
    const row = Array.from({ length: k }, (_, c) => logits[c * n + p]);
    const probs = softmax(row);
    probs.forEach((q, c) => (scoreDiff = Math.max(scoreDiff, Math.abs(q - result.scores![c][p]))));
    const sorted = [...row].sort((a, b) => b - a);
    const best = row.indexOf(sorted[0]);
    if (sorted[0] - sorted[1] > 1e-4 && result.mask[p] !== best) maskErrors++;
  }
  return { scoreDiff, maskErrors };
}

describe('results users can log', () => {
  it('JSON.stringify writes the mask and scores as summaries, everything else as is', async () => {
    const result = await segment(raw(300, 200, 4), { model, tileSize: 64, scores: true });
    const json = JSON.stringify(result);
    // Pixel by pixel this would be megabytes ({"0":3,"1":3,…} for the mask alone).
    expect(json.length).toBeLessThan(4000);
    const parsed = JSON.parse(json);
    expect(parsed.mask).toEqual({ type: 'Uint8Array', length: 300 * 200, preview: Array.from(result.mask.subarray(0, 6)) });
    expect(parsed.scores).toHaveLength(result.scores!.length);
    expect(parsed.scores[0]).toMatchObject({ type: 'Float32Array', length: 300 * 200 });
    expect(parsed).toMatchObject({ width: 300, height: 200, labels: result.labels, palette: result.palette, geo: null, tiling: result.tiling });
    // toJSON stays out of the result's own keys: spreading and comparing see the plain result.
    expect(Object.keys(result)).not.toContain('toJSON');
    expect(Object.keys({ ...result })).toEqual(Object.keys(result));
  });
});

describe('tiling geometry is exact', () => {
  const cases: Array<[number, number, number]> = [
    [150, 97, 0],
    [150, 97, 16],
    [201, 130, 32],
    [64, 64, 16],
    [65, 200, 8],
  ];
  it.each(cases)('%i×%i, overlap %i: equals the per-pixel function and the untiled run', async (width, height, overlap) => {
    const image = raw(width, height, width + height);
    const tiled = await segment(image, { model, tileSize: 64, overlap, scores: true, batchSize: 3 });
    const untiledSize = Math.ceil(Math.max(width, height) / 32) * 32;
    const untiled = await segment(image, { model, tileSize: untiledSize, overlap: 0, scores: true });
    expect(untiled.tiling.tiles).toBe(1);
    if (width > 64 || height > 64) expect(tiled.tiling.tiles).toBeGreaterThan(1);
    expect([tiled.width, tiled.height, tiled.mask.length]).toEqual([width, height, width * height]);
    const direct = compareWithDirect(tiled, image.data);
    expect(direct.scoreDiff).toBeLessThan(1e-5);
    expect(direct.maskErrors).toBe(0);
    let diff = 0;
    for (let c = 0; c < SEG_LABELS.length; c++) for (let p = 0; p < width * height; p++) diff = Math.max(diff, Math.abs(tiled.scores![c][p] - untiled.scores![c][p]));
    expect(diff).toBeLessThan(1e-5);
  });

  it('pads an image smaller than one tile and crops the padding away', async () => {
    const image = raw(40, 23);
    const result = await segment(image, { model, scores: true });
    expect(result.tiling).toEqual({ tileSize: 64, overlap: 16, tiles: 1 });
    expect(compareWithDirect(result, image.data)).toEqual({ scoreDiff: expect.any(Number), maskErrors: 0 });
    expect(compareWithDirect(result, image.data).scoreDiff).toBeLessThan(1e-5);
  });

  it('gives the same mask whatever the batch size, and reports progress up to the tile count', async () => {
    const image = raw(170, 90);
    const seen: Array<[number, number]> = [];
    const a = await segment(image, { model, batchSize: 1, onProgress: (d, t) => seen.push([d, t]) });
    const b = await segment(image, { model, batchSize: 4 });
    expect(Buffer.from(a.mask).equals(Buffer.from(b.mask))).toBe(true);
    expect(seen.length).toBe(a.tiling.tiles);
    expect(seen[seen.length - 1]).toEqual([a.tiling.tiles, a.tiling.tiles]);
    expect(a.labels).toEqual(SEG_LABELS);
    expect(a.palette).toEqual(SEG_PALETTE);
    expect(a.scores).toBeUndefined();
  });
});

describe('inputs', () => {
  it('reads PNG buffers and paths like raw pixels', async () => {
    const image = raw(100, 70, 9);
    const png = await encode(image.data, 100, 70, 3, 'png');
    const path = writeFixture(dir, 'in.png', png);
    const [fromRaw, fromBuffer, fromPath] = await Promise.all([image, png, path].map((input) => segment(input, { model })));
    expect(Buffer.from(fromBuffer.mask).equals(Buffer.from(fromRaw.mask))).toBe(true);
    expect(Buffer.from(fromPath.mask).equals(Buffer.from(fromRaw.mask))).toBe(true);
    expect(fromPath.geo).toBeNull();
  });

  it.each([
    ['RGB 8-bit', 3, Uint8Array],
    ['1-band', 1, Uint8Array],
    ['4-band', 4, Uint8Array],
    ['16-bit', 3, Uint16Array],
  ] as const)('reads a %s GeoTIFF by windows with the same conversion as decodeImage, keeping its georeferencing', async (name, count, Ctor) => {
    const [width, height] = [150, 140];
    const bands = Array.from({ length: count }, (_, b) => {
      const values = pattern(width, height, 1, 20 + b);
      return Ctor === Uint16Array ? Uint16Array.from(values, (v) => v * 200) : values;
    });
    const path = writeFixture(dir, `geo-${name.replace(/\W/g, '')}.tif`, geotiff({ width, height, bands, epsg: 32633, origin: [500000, 4600000, 0.5, 0.5] }));
    const result = await segment(path, { model, tileSize: 64, overlap: 16, scores: true });
    const whole = await decodeImage(path);
    expect(compareWithDirect(result, whole.data).maskErrors).toBe(0);
    expect(compareWithDirect(result, whole.data).scoreDiff).toBeLessThan(1e-5);
    expect(result.geo?.epsg).toBe(32633);
    expect(result.geo?.geoTransform).toEqual([500000, 0.5, 0, 4600000, 0, -0.5]);
  });
});

describe('bad input', () => {
  it('rejects models of other tasks and broken dense models', async () => {
    const classifier = await loadModel(fixtures.classify);
    const half = await loadModel(fixtures.half);
    const change = await loadModel(fixtures.change);
    try {
      await expect(segment(raw(70, 70), { model: classifier })).rejects.toMatchObject({ code: 'TASK_MISMATCH' });
      await expect(segment(raw(70, 70), { model: change })).rejects.toMatchObject({ code: 'TASK_MISMATCH' });
      await expect(segment(raw(70, 70), { model: half, batchSize: 1 })).rejects.toThrow(/Expected the model to return \[1, C, 64, 64\].*\[1, 5, 32, 32\]/);
    } finally {
      classifier.dispose();
      half.dispose();
      change.dispose();
    }
  });

  it('rejects tile sizes the model cannot take and bad options', async () => {
    const image = raw(70, 70);
    await expect(segment(image, { model, tileSize: 48 })).rejects.toThrow(RangeError);
    await expect(segment(image, { model, tileSize: 80 })).rejects.toThrow(/multiple of 32 of at least 64/);
    await expect(segment(image, { model, tileSize: 64, overlap: 33 })).rejects.toThrow(RangeError);
    await expect(segment(image, { model, batchSize: 0 })).rejects.toThrow(RangeError);
    await expect(segment(image, { model, tilesize: 64 } as never)).rejects.toThrow(/^Unknown option "tilesize" in options; did you mean "tileSize"\?/);
    await expect(segment(image, { model, tilesize: 64 } as never)).rejects.toThrow(RangeError);
    await expect(segment(image, null as never)).rejects.toThrow(TypeError);
    await expect(segment(image, { model, scores: 'yes' } as never)).rejects.toThrow(TypeError);
  });

  it('reports unreadable and corrupt inputs clearly; float GeoTIFFs are stretched alike in every tile', async () => {
    await expect(segment(join(dir, 'missing.png'), { model })).rejects.toMatchObject({ code: 'IMAGE_DECODE', message: expect.stringMatching(/no such file/) });
    const junk = writeFixture(dir, 'junk.tif', Uint8Array.from([0x49, 0x49, 42, 0, 1, 2, 3]));
    await expect(segment(junk, { model })).rejects.toMatchObject({ code: 'IMAGE_DECODE' });
    const ramp = new Float32Array(150 * 97).map((_, i) => 0.001 * (i % 150) + 0.002 * Math.floor(i / 150));
    const float = writeFixture(dir, 'float.tif', geotiff({ width: 150, height: 97, bands: [ramp], epsg: 4326, geographic: true, origin: [10, 50, 0.001, 0.001] }));
    // Windowed reads (tile rows) and one whole decode share the raster-wide percentile stretch.
    const tiled = await segment(float, { model, tileSize: 64, overlap: 0 });
    const whole = await segment(await decodeImage(float), { model, tileSize: 64, overlap: 0 });
    expect(new Set(tiled.mask).size).toBeGreaterThan(1);
    expect(Array.from(tiled.mask)).toEqual(Array.from(whole.mask));
    const ok = await segment(float, { model, decode: { valueRange: [0, 1] } });
    expect(ok.width).toBe(150);
  });

  it('stops between batches when aborted', async () => {
    const controller = new AbortController();
    const run = segment(raw(300, 300), { model, batchSize: 1, signal: controller.signal, onProgress: (done) => done === 2 && controller.abort() });
    await expect(run).rejects.toSatisfy((e: unknown) => e instanceof LwganetError && e.code === 'ABORTED');
  });
});

describe('lwganet segment (CLI)', () => {
  it('writes a palette PNG mask, an overlay and a JSON summary for a multi-tile GeoTIFF', async () => {
    const [width, height] = [190, 130];
    const bands = [0, 1, 2].map((b) => pattern(width, height, 1, 40 + b));
    const input = writeFixture(dir, 'scene.tif', geotiff({ width, height, bands, epsg: 32632, origin: [300000, 5000000, 2, 2] }));
    const out = join(dir, 'scene-mask.png');
    const overlay = join(dir, 'scene-overlay.png');
    const vector = join(dir, 'scene-classes.geojson');
    const run = await runCli(['segment', input, '--model', fixtures.seg, '--out', out, '--tile', '64', '--overlap', '16', '--color', '--overlay', overlay, '--vector', vector, '--background', '0', '--json']);
    expect(run.stderr).not.toMatch(/internal error/);
    expect(run.code).toBe(0);
    const summary = JSON.parse(run.stdout);
    expect(summary.tiling).toEqual({ tileSize: 64, overlap: 16, tiles: 12 });
    expect(summary.crs.epsg).toBe(32632);
    expect(summary.pixelArea).toBe(4);
    expect(summary.classes.map((c: { label: string }) => c.label)).toEqual(SEG_LABELS);
    expect(summary.classes.reduce((s: number, c: { pixels: number }) => s + c.pixels, 0)).toBe(width * height);
    expect(summary.classes[0].area).toBe(summary.classes[0].pixels * 4);
    // --vector with --background 0: WGS 84 GeoJSON polygons of the other classes, areas adding up per class.
    const layer = gdal().open(vector).layers.get(0);
    const features = [...layer.features];
    expect(summary.vectorFeatures).toBe(features.length);
    expect(features.some((f) => f.fields.get('index') === 0)).toBe(false);
    for (const c of summary.classes.slice(1)) {
      const sum = features.filter((f) => f.fields.get('index') === c.index).reduce((s: number, f) => s + (f.fields.get('area') as number), 0);
      expect(sum).toBeCloseTo(c.area, 4);
    }
    expect(layer.srs?.isGeographic()).toBe(true);
    const library = await segment(input, { model, tileSize: 64, overlap: 16 });
    const { data, info } = await sharp(out).raw().toBuffer({ resolveWithObject: true });
    expect([info.width, info.height, info.channels]).toEqual([width, height, 3]);
    for (let p = 0; p < width * height; p += 97) expect([...data.subarray(p * 3, p * 3 + 3)]).toEqual(SEG_PALETTE[library.mask[p]]);
    expect((await sharp(overlay).metadata()).width).toBe(width);
  });

  it('writes a GeoTIFF mask that keeps the georeferencing', async () => {
    const input = writeFixture(dir, 'scene2.tif', geotiff({ width: 100, height: 80, bands: [0, 1, 2].map((b) => pattern(100, 80, 1, b)), epsg: 3857, origin: [1000, 2000, 10, 10] }));
    const out = join(dir, 'scene2-mask.tif');
    const run = await runCli(['segment', input, '-m', fixtures.seg, '-o', out]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/building/);
    const image = await (await fromFile(out)).getImage();
    expect(image.getOrigin()).toEqual([1000, 2000, 0]);
    expect(image.getResolution()).toEqual([10, -10, 0]);
    expect(image.getGeoKeys()?.ProjectedCSTypeGeoKey).toBe(3857);
  });

  it('fails clearly, without a stack or a partial file, on bad input', async () => {
    const out = join(dir, 'bad-mask.png');
    const cases: Array<[string[], number, RegExp]> = [
      [['segment', join(dir, 'nope.png'), '-m', fixtures.seg, '-o', out], 1, /IMAGE_DECODE/],
      [['segment', writeFixture(dir, 'empty.png', new Uint8Array(0)), '-m', fixtures.seg, '-o', out], 1, /empty/],
      [['segment', join(dir, 'in.png'), '-m', fixtures.classify, '-o', out], 1, /TASK_MISMATCH/],
      [['segment', join(dir, 'in.png'), '-m', fixtures.seg, '-o', join(dir, 'mask.jpg')], 2, /must end in .png/],
      [['segment', join(dir, 'in.png'), '-m', fixtures.seg, '-o', join(dir, 'no-such-dir', 'm.png')], 1, /does not exist/],
      [['segment', join(dir, 'in.png'), '-m', fixtures.seg, '-o', out, '--tile', '50'], 2, /multiple of 32 of at least 64/],
    ];
    for (const [args, code, message] of cases) {
      const run = await runCli(args);
      expect(run.code, args.join(' ')).toBe(code);
      expect(run.stderr).toMatch(message);
      expect(hasStack(run.stderr)).toBe(false);
    }
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });
});
