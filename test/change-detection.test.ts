// detectChanges(): BGR preprocessing, tuple and 2-channel-logit outputs, tiled == direct
// computation, co-registration checks, and the CLI end to end.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { gdal } from '../lib/geo/gdal.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromFile } from 'geotiff';
import { loadModel, type Model } from '../lib/model/model.js';
import { detectChanges, probabilityFunction } from '../lib/tasks/change-detection.js';
import { hasStack, runCli } from './helpers/cli-run.js';
import { CHANGE2_U, CHANGE_C, CHANGE_V, expectedChangeProbability, exportDenseFixtures, normalised } from './helpers/dense-models.js';
import { geotiff, pattern, tempDir, writeFixture } from './helpers/image-fixtures.js';

let dir: string;
let cleanup: () => void;
let fixtures: ReturnType<typeof exportDenseFixtures>;
let model: Model;

beforeAll(async () => {
  ({ dir, cleanup } = tempDir('lwganet-cd-'));
  fixtures = exportDenseFixtures(dir);
  model = await loadModel(fixtures.change, { threads: 2 });
});

afterAll(() => {
  model?.dispose();
  cleanup?.();
});

const raw = (width: number, height: number, seed: number) => ({ data: pattern(width, height, 3, seed), width, height, channels: 3 as const });

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
  return d;
}

describe('detectChanges', () => {
  // Tiles: columns start at 0, stride, … with the last moved back to the edge (150 wide, tile 64,
  // overlap 16: 0, 48, 86), one tile for an image smaller than a tile.
  it.each([[150, 97, 0, 6], [150, 97, 16, 6], [40, 30, 16, 1], [200, 65, 32, 12]])('%i×%i, overlap %i: BGR probability equals the direct computation (%i tiles)', async (width, height, overlap, tiles) => {
    const a = raw(width, height, 1);
    const b = raw(width, height, 2);
    const result = await detectChanges(a, b, { model, tileSize: 64, overlap, batchSize: 3 });
    const expected = expectedChangeProbability(a.data, b.data, width * height);
    expect(maxDiff(result.probability, expected)).toBeLessThan(1e-5);
    let changed = 0;
    for (let p = 0; p < width * height; p++) {
      if (Math.abs(expected[p] - 0.5) > 1e-4) expect(result.mask[p]).toBe(expected[p] > 0.5 ? 1 : 0);
      changed += result.mask[p];
    }
    expect(result.changedPixels).toBe(changed);
    expect(changed).toBeGreaterThan(0);
    expect(changed).toBeLessThan(width * height);
    expect(result.tiling).toEqual({ tileSize: 64, overlap, tiles });
  });

  it('serialises to a summary: mask and probability as { type, length, preview }', async () => {
    const result = await detectChanges(raw(150, 97, 1), raw(150, 97, 2), { model, tileSize: 64 });
    const parsed = JSON.parse(JSON.stringify(result));
    expect(parsed.mask).toEqual({ type: 'Uint8Array', length: 150 * 97, preview: Array.from(result.mask.subarray(0, 6)) });
    expect(parsed.probability).toMatchObject({ type: 'Float32Array', length: 150 * 97 });
    expect(parsed).toMatchObject({ width: 150, height: 97, changedPixels: result.changedPixels, tiling: result.tiling });
    expect(JSON.stringify(result).length).toBeLessThan(1000);
  });

  it('feeds BGR: the probability follows the BGR formula, not the RGB one', async () => {
    const a = raw(64, 64, 5);
    const b = raw(64, 64, 6);
    const n = 64 * 64;
    const result = await detectChanges(a, b, { model });
    // change.pt declares colorOrder BGR with BGR statistics: its channel c is image channel 2 − c.
    const bgr = expectedChangeProbability(a.data, b.data, n);
    const rgb = new Float64Array(n);
    for (let p = 0; p < n; p++) {
      let s = CHANGE_C;
      for (let c = 0; c < 3; c++) s += CHANGE_V[c] * (normalised(a.data, p, c) - normalised(b.data, p, c));
      rgb[p] = 1 / (1 + Math.exp(-s));
    }
    expect(maxDiff(result.probability, bgr)).toBeLessThan(1e-5);
    // The fixture must tell the two apart, or the check above proves nothing.
    expect(maxDiff(rgb, bgr)).toBeGreaterThan(0.1);
  });

  it('1-channel logits: probability = sigmoid(logit), so a positive logit is "changed"', async () => {
    const logit1 = await loadModel(fixtures.changeLogit1);
    try {
      const a = raw(90, 70, 9);
      const b = raw(90, 70, 10);
      const n = 90 * 70;
      const result = await detectChanges(a, b, { model: logit1, tileSize: 64, overlap: 16 });
      let positives = 0;
      let negatives = 0;
      for (let p = 0; p < n; p++) {
        let logit = CHANGE_C;
        for (let c = 0; c < 3; c++) logit += CHANGE_V[c] * (normalised(a.data, p, c) - normalised(b.data, p, c));
        expect(Math.abs(result.probability[p] - 1 / (1 + Math.exp(-logit)))).toBeLessThan(1e-5);
        if (logit > 1e-3) {
          positives++;
          expect(result.mask[p]).toBe(1);
        } else if (logit < -1e-3) {
          negatives++;
          expect(result.mask[p]).toBe(0);
        }
      }
      expect(positives).toBeGreaterThan(n / 10);
      expect(negatives).toBeGreaterThan(n / 10);
      expect(result.changedPixels).toBe(result.mask.reduce((s, v) => s + v, 0));
    } finally {
      logit1.dispose();
    }
  });

  it('2-channel probabilities: channel 1 is "changed" (channel 0 is its complement)', async () => {
    const prob2 = await loadModel(fixtures.changeProb2);
    try {
      const a = raw(70, 66, 11);
      const b = raw(70, 66, 12);
      const n = 70 * 66;
      const result = await detectChanges(a, b, { model: prob2, tileSize: 64, overlap: 16, threshold: 0.6 });
      let changed = 0;
      for (let p = 0; p < n; p++) {
        let s = 0;
        for (let c = 0; c < 3; c++) s += CHANGE2_U[c] * (normalised(a.data, p, c) - normalised(b.data, p, c));
        const q = 1 / (1 + Math.exp(-s));
        expect(Math.abs(result.probability[p] - q)).toBeLessThan(1e-5);
        if (Math.abs(q - 0.6) > 1e-4) expect(result.mask[p]).toBe(q > 0.6 ? 1 : 0);
        changed += q > 0.6 ? 1 : 0;
      }
      expect(changed).toBeGreaterThan(n / 10);
      expect(changed).toBeLessThan(n * 0.9);
      // Changed means above the threshold: a pixel whose probability (the model's float32 output,
      // kept exactly) equals the threshold is not changed.
      const p0 = result.probability.findIndex((q) => q > 0.2 && q < 0.8);
      const t = result.probability[p0];
      const at = await detectChanges(a, b, { model: prob2, tileSize: 64, overlap: 16, threshold: t });
      expect(at.mask[p0]).toBe(0);
      expect(at.changedPixels).toBe(result.probability.filter((q) => q > t).length);
    } finally {
      prob2.dispose();
    }
  });

  it('turns 2-channel logits into softmax probabilities of "changed"', async () => {
    const logits = await loadModel(fixtures.change2);
    try {
      const a = raw(100, 70, 7);
      const b = raw(100, 70, 8);
      const result = await detectChanges(a, b, { model: logits, tileSize: 64, overlap: 16 });
      const n = 100 * 70;
      const expected = new Float64Array(n);
      for (let p = 0; p < n; p++) {
        let la = 0;
        let lb = 0;
        for (let c = 0; c < 3; c++) {
          la += CHANGE2_U[c] * normalised(a.data, p, c);
          lb += CHANGE2_U[c] * normalised(b.data, p, c);
        }
        expected[p] = 1 / (1 + Math.exp(la - lb));
      }
      expect(maxDiff(result.probability, expected)).toBeLessThan(1e-5);
    } finally {
      logits.dispose();
    }
  });
});

describe('bad input', () => {
  const geo = (name: string, epsg: number, origin: [number, number, number, number], width = 80, height = 70) =>
    writeFixture(dir, name, geotiff({ width, height, bands: [0, 1, 2].map((b) => pattern(width, height, 1, b)), epsg, origin }));

  it('rejects images of different sizes, CRSs or grids', async () => {
    await expect(detectChanges(raw(80, 70, 1), raw(80, 71, 2), { model })).rejects.toMatchObject({ code: 'INPUT_SHAPE', message: expect.stringMatching(/80×70.*80×71/) });
    const a = geo('a.tif', 32633, [500000, 4600000, 1, 1]);
    const otherCrs = geo('b.tif', 32634, [500000, 4600000, 1, 1]);
    const shifted = geo('c.tif', 32633, [500010, 4600000, 1, 1]);
    const same = geo('d.tif', 32633, [500000, 4600000, 1, 1]);
    await expect(detectChanges(a, otherCrs, { model })).rejects.toThrow(/EPSG:32633.*EPSG:32634/);
    await expect(detectChanges(a, shifted, { model })).rejects.toMatchObject({ code: 'INPUT_SHAPE' });
    const ok = await detectChanges(a, same, { model });
    expect(ok.geo?.epsg).toBe(32633);
  });

  it('rejects images of different widths, naming both sizes', async () => {
    await expect(detectChanges(raw(80, 70, 1), raw(81, 70, 2), { model })).rejects.toMatchObject({ code: 'INPUT_SHAPE', message: expect.stringMatching(/80×70.*81×70/) });
  });

  it('accepts grids equal to a thousandth of a pixel and rejects a hundredth, naming both grids', async () => {
    const at = (name: string, x: number, epsg?: number) => writeFixture(dir, name, geotiff({ width: 70, height: 66, bands: [0, 1, 2].map((b) => pattern(70, 66, 1, b)), epsg, origin: [x, 4600000, 10, 10] }));
    const a = at('t0.tif', 500000, 32633);
    const ok = await detectChanges(a, at('t1.tif', 500000.005, 32633), { model }); // 0.0005 pixel of 10 m
    expect(ok.geo?.geoTransform).toEqual([500000, 10, 0, 4600000, 0, -10]);
    const off = at('t2.tif', 500000.1, 32633); // 0.01 pixel
    await expect(detectChanges(a, off, { model })).rejects.toThrow('with geotransform [500000, 10, 0, 4600000, 0, -10] and "after" is in EPSG:32633 with [500000.1, 10, 0, 4600000, 0, -10]');
    // Exactly a thousandth of a pixel apart still counts as the same grid.
    await expect(detectChanges(at('e0.tif', 0, 32633), at('e1.tif', 1e-3 * 10, 32633), { model })).resolves.toMatchObject({ width: 70, height: 66 });
    // A user-defined CRS (GeoKey value 32767, no EPSG code) is named as such, not "EPSG:null".
    await expect(detectChanges(at('u0.tif', 500000, 32767), at('u1.tif', 500100, 32767), { model })).rejects.toThrow(/"before" is in a user-defined CRS .* "after" is in a user-defined CRS/);
  });

  it('takes the georeferencing of whichever input has it', async () => {
    const tif = writeFixture(dir, 'one-geo.tif', geotiff({ width: 70, height: 66, bands: [0, 1, 2].map((b) => pattern(70, 66, 1, b)), epsg: 32633, origin: [1000, 2000, 1, 1] }));
    const first = await detectChanges(tif, raw(70, 66, 2), { model });
    const second = await detectChanges(raw(70, 66, 2), tif, { model });
    expect(first.geo?.epsg).toBe(32633);
    expect(second.geo?.geoTransform).toEqual([1000, 1, 0, 2000, 0, -1]);
  });

  it('accepts thresholds 0 and 1 and says which option is wrong otherwise', async () => {
    const a = raw(64, 64, 1);
    const b = raw(64, 64, 2);
    expect((await detectChanges(a, b, { model, threshold: 0 })).changedPixels).toBe(64 * 64);
    expect((await detectChanges(a, b, { model, threshold: 1 })).changedPixels).toBe(0);
    await expect(detectChanges(a, b, { model, threshold: -0.01 })).rejects.toThrow(RangeError);
    await expect(detectChanges(a, b, { model, threshold: 1.01 })).rejects.toThrow(/a number from 0 to 1 for threshold/);
    await expect(detectChanges(a, b, { model, threshold: '0.5' as never })).rejects.toThrow(TypeError);
  });

  it('marks the nodata of either input (255, probability NaN) and leaves it out of changedPixels', async () => {
    const W = 40;
    const H = 30;
    // Two overlapping holes: A (before, band 0) and B (after, band 1); nodata value 0, no other zeros.
    const inA = (p: number) => p % W < 10 && Math.floor(p / W) < 10;
    const inB = (p: number) => p % W >= 5 && p % W < 15 && Math.floor(p / W) >= 5 && Math.floor(p / W) < 20;
    const tif = (name: string, seed: number, hole: (p: number) => boolean, band: number) => {
      const bands = [0, 1, 2].map((c) => pattern(W, H, 1, seed + c).map((v, p) => (c === band && hole(p) ? 0 : Math.max(1, v))));
      return writeFixture(dir, name, geotiff({ width: W, height: H, bands, epsg: 32633, origin: [0, 300, 1, 1], noData: 0 }));
    };
    const before = tif('nodata-before.tif', 1, inA, 0);
    const after = tif('nodata-after.tif', 4, inB, 1);
    const plain = raw(W, H, 9);
    const cases: Array<[string, string | ReturnType<typeof raw>, string | ReturnType<typeof raw>, (p: number) => boolean]> = [
      ['both', before, after, (p) => inA(p) || inB(p)],
      ['before only', before, plain, inA],
      ['after only', plain, after, inB],
    ];
    for (const [what, a, b, hole] of cases) {
      // Threshold 0: every pixel with data is changed, so a nodata pixel counted as changed shows.
      const result = await detectChanges(a, b, { model, threshold: 0 });
      let holes = 0;
      for (let p = 0; p < W * H; p++) {
        const nodata = hole(p);
        holes += nodata ? 1 : 0;
        expect([result.mask[p], Number.isNaN(result.probability[p])], `${what}: pixel ${p}`).toEqual(nodata ? [255, true] : [1, false]);
      }
      expect(result.noData, what).toBe(255);
      expect(result.changedPixels, what).toBe(W * H - holes);
      // Threshold 1: nothing is changed, so nothing may be taken off for the nodata pixels either.
      expect((await detectChanges(a, b, { model, threshold: 1 })).changedPixels, what).toBe(0);
    }
  });

  it('maps each output convention to a probability and rejects 3 channels', () => {
    const v = Float32Array.from([2, -1, 0.25, 0.75]); // two pixels, plane stride 2
    expect(probabilityFunction(1, 'logits')(v, 2, 0)).toBeCloseTo(1 / (1 + Math.exp(-2)), 6);
    expect(probabilityFunction(1, 'probability')(v, 2, 1)).toBe(-1);
    expect(probabilityFunction(2, 'logits')(v, 2, 0)).toBeCloseTo(1 / (1 + Math.exp(2 - 0.25)), 6);
    expect(probabilityFunction(2, undefined)(v, 2, 1)).toBe(0.75);
    expect(() => probabilityFunction(3, 'logits')).toThrow(expect.objectContaining({ code: 'OUTPUT_UNSUPPORTED', message: expect.stringMatching(/1 or 2 channels.*returned 3/) }));
  });

  it('rejects a segmentation model, bad thresholds and unreadable files', async () => {
    const seg = await loadModel(fixtures.seg);
    try {
      await expect(detectChanges(raw(70, 70, 1), raw(70, 70, 2), { model: seg })).rejects.toMatchObject({ code: 'TASK_MISMATCH' });
    } finally {
      seg.dispose();
    }
    await expect(detectChanges(raw(70, 70, 1), raw(70, 70, 2), { model, threshold: 2 })).rejects.toThrow(RangeError);
    await expect(detectChanges(join(dir, 'missing.tif'), raw(70, 70, 2), { model })).rejects.toMatchObject({ code: 'IMAGE_DECODE' });
  });
});

describe('lwganet change (CLI)', () => {
  it('writes a GeoTIFF change mask and a JSON summary with the changed area', async () => {
    const before = writeFixture(dir, 'before.tif', geotiff({ width: 150, height: 100, bands: [0, 1, 2].map((b) => pattern(150, 100, 1, b)), epsg: 32633, origin: [0, 1000, 0.5, 0.5] }));
    const after = writeFixture(dir, 'after.tif', geotiff({ width: 150, height: 100, bands: [0, 1, 2].map((b) => pattern(150, 100, 1, b + 10)), epsg: 32633, origin: [0, 1000, 0.5, 0.5] }));
    const out = join(dir, 'change.tif');
    const vector = join(dir, 'change.gpkg');
    const run = await runCli(['change', before, after, '--model', fixtures.change, '--out', out, '--tile', '64', '--vector', vector, '--json']);
    expect(run.stderr).not.toMatch(/internal error/);
    expect(run.code).toBe(0);
    const summary = JSON.parse(run.stdout);
    const library = await detectChanges(before, after, { model, tileSize: 64 });
    expect(summary.changedPixels).toBe(library.changedPixels);
    expect(summary.totalPixels).toBe(15000);
    expect(summary.changedArea).toBeCloseTo(library.changedPixels * 0.25, 9);
    // --vector: the changed regions only (class 1), their areas adding up to the changed area.
    const layer = gdal().open(vector).layers.get(0);
    const features = [...layer.features];
    expect(summary.vectorFeatures).toBe(features.length);
    expect(features.every((f) => f.fields.get('index') === 1)).toBe(library.changedPixels > 0);
    expect(features.reduce((sum, f) => sum + (f.fields.get('area') as number), 0)).toBeCloseTo(summary.changedArea, 6);
    expect(layer.srs?.getAuthorityCode(null)).toBe('32633');
    const image = await (await fromFile(out)).getImage();
    expect(image.getOrigin()).toEqual([0, 1000, 0]);
    const [band] = (await image.readRasters()) as unknown as Uint8Array[];
    expect(Buffer.from(band).equals(Buffer.from(library.mask))).toBe(true);
  });

  it('fails clearly on images of different sizes, leaving no output', async () => {
    const a = writeFixture(dir, 'small.tif', geotiff({ width: 80, height: 70, bands: [pattern(80, 70, 1, 1)], epsg: 32633, origin: [0, 0, 1, 1] }));
    const b = writeFixture(dir, 'big.tif', geotiff({ width: 81, height: 70, bands: [pattern(81, 70, 1, 1)], epsg: 32633, origin: [0, 0, 1, 1] }));
    const out = join(dir, 'never.png');
    const run = await runCli(['change', a, b, '-m', fixtures.change, '-o', out]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/same size.*INPUT_SHAPE/);
    expect(hasStack(run.stderr)).toBe(false);
    expect(existsSync(out)).toBe(false);
  });
});
