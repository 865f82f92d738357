// Issue 15's table as a test, with GDAL (rasterio, its own GDAL build) as the oracle: every
// layout is written by rasterio; decodeImage() must return the pixels, transform, CRS and
// nodata GDAL reads; segment() and detectChanges() outputs written as GeoTIFF must read back in
// rasterio with the input's CRS, transform, size and nodata, and with the mask in the right place
// (equal to segmenting the pixels rasterio read, handed over as raw pixels).
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModel, type Model } from '../lib/index.js';
import { decodeImage } from '../lib/image/decode.js';
import { writeMaskFile } from '../lib/output/mask-file.js';
import { writeProbabilityGeotiff } from '../lib/output/mask-geotiff.js';
import { detectChanges } from '../lib/tasks/change-detection.js';
import { segment } from '../lib/tasks/segmentation.js';
import { runCli } from './helpers/cli-run.js';
import { exportDenseFixtures } from './helpers/dense-models.js';
import { tempDir } from './helpers/image-fixtures.js';
import { VENV_PYTHON, runPython } from './helpers/image-python.js';

interface Described {
  path: string; transform: number[]; crsWkt: string | null; epsg: number | null; width: number; height: number; count: number;
  dtype: string; nodata: number | null; nodataIsNan: boolean; values: (number | null)[]; valid: number[]; colors: number; driver: string;
  tiled: boolean; compress: string | null;
}

const { dir, cleanup } = tempDir('lwganet-layouts-');
const script = join(__dirname, 'helpers', 'gdal_layouts.py');
let layouts: Record<string, Described>;
let seg: Model;
let segFile: string;
let change: Model;

/**
 * The layouts rasterio writes, cached in the OS temp directory under a hash of the script and
 * the Python that runs it: importing rasterio and writing 16 rasters costs seconds, and mutation
 * testing reruns this file once per mutant. The tests only read these files.
 */
function writtenLayouts(): Record<string, Described> {
  const key = createHash('sha256').update(readFileSync(script)).update(VENV_PYTHON).digest('hex').slice(0, 16);
  const cache = join(tmpdir(), `lwganet-gdal-layouts-${key}`);
  const described = join(cache, 'layouts.json');
  if (!existsSync(described)) {
    const work = mkdtempSync(`${cache}.tmp-`);
    try {
      // Described from the final directory's paths: written there by rename below.
      const json = runPython([script, 'write', work]).split(work).join(cache);
      writeFileSync(join(work, 'layouts.json'), json);
      renameSync(work, cache);
    } catch (error) {
      rmSync(work, { recursive: true, force: true });
      if (!existsSync(described)) throw error; // else another process wrote the same files first
    }
  }
  return JSON.parse(readFileSync(described, 'utf8'));
}

beforeAll(async () => {
  layouts = writtenLayouts();
  const fixtures = exportDenseFixtures(dir);
  segFile = fixtures.seg;
  [seg, change] = await Promise.all([loadModel(fixtures.seg, { threads: 1 }), loadModel(fixtures.change, { threads: 1 })]);
}, 120_000);

afterAll(() => {
  seg?.dispose();
  change?.dispose();
  cleanup();
});

const read = (...paths: string[]): Described[] => JSON.parse(runPython([script, 'read', ...paths]));
/** Lossy codecs: rasterio's GDAL and the system GDAL may link different codec versions. */
const LOSSY = new Set(['ycbcr', 'webp']);
const EIGHT_BIT_RGB = ['utm', 'ycbcr', 'webp', 'point', 'southup', 'rotated', 'custom', 'wgs84', 'nodata', 'bigtiff', 'cog', 'jp2', 'vrt', 'png-worldfile'];
const ALL = [...EIGHT_BIT_RGB, 'float-nan', 'uint16x4'];

function expectTransform(actual: readonly number[] | undefined, expected: readonly number[], what: string): void {
  expect(actual, what).toHaveLength(6);
  actual!.forEach((v, i) => expect(v, `${what} geotransform[${i}]: ${actual!.join(', ')} vs ${expected.join(', ')}`).toBeCloseTo(expected[i], 9));
}

/** rasterio's band-major values as interleaved RGB bytes. */
function interleaved(layout: Described): Uint8Array {
  const n = layout.width * layout.height;
  const out = new Uint8Array(n * 3);
  for (let c = 0; c < 3; c++) for (let i = 0; i < n; i++) out[i * 3 + c] = layout.values[c * n + i] ?? 0;
  return out;
}

describe('decodeImage() reads every layout as GDAL does', () => {
  it.each(EIGHT_BIT_RGB)('%s: pixels, transform, CRS, nodata', async (name) => {
    const ref = layouts[name];
    const img = await decodeImage(ref.path);
    expect([img.width, img.height]).toEqual([ref.width, ref.height]);
    expectTransform(img.geo?.geoTransform, ref.transform, name);
    expect(img.geo?.epsg ?? null).toBe(ref.epsg);
    if (ref.crsWkt) expect(img.geo?.crsWkt, name).toBeTruthy();
    else expect(img.geo?.crsWkt ?? null).toBeNull();
    const want = interleaved(ref);
    let worst = 0;
    let sum = 0;
    for (let i = 0; i < want.length; i++) {
      worst = Math.max(worst, Math.abs(want[i] - img.data[i]));
      sum += Math.abs(want[i] - img.data[i]);
    }
    // Lossy codecs: the two GDAL builds link different libjpeg/libwebp versions (chroma upsampling
    // differs at sharp edges); YCbCr taken as RGB would be off by ~45 on average.
    if (LOSSY.has(name)) expect(sum / want.length, `${name}: mean difference from GDAL's pixels`).toBeLessThan(6);
    else expect(worst, `${name}: largest difference from GDAL's pixels`).toBe(0);
    const invalid = ref.valid.map((v) => 1 - v);
    expect(Array.from(img.nodata ?? new Uint8Array(invalid.length))).toEqual(invalid);
  });

  it('a reduced whole-raster read (classification downsampling) equals GDAL reading the COG into that size, from its overview', async () => {
    const ref = layouts.cog;
    const oracle = JSON.parse(runPython([script, 'reduced', ref.path, '32', '32'])) as { values: number[]; overviews: number[] };
    expect(oracle.overviews).toContain(2);
    const img = await decodeImage(ref.path, {}, () => [32, 32]);
    expect([img.width, img.height]).toEqual([32, 32]);
    const n = 32 * 32;
    const want = Array.from({ length: n * 3 }, (_, i) => oracle.values[(i % 3) * n + Math.floor(i / 3)]);
    expect(Array.from(img.data)).toEqual(want);
    expectTransform(img.geo?.geoTransform, [ref.transform[0], ref.transform[1] * 2, 0, ref.transform[3], 0, ref.transform[5] * 2], 'reduced');
  });

  it('the custom CRS is the WKT GDAL reads (no EPSG code to fall back on)', async () => {
    const img = await decodeImage(layouts.custom.path);
    expect(img.geo?.epsg).toBeNull();
    expect(img.geo?.crsWkt).toMatch(/Transverse_Mercator|Transverse Mercator/);
    expect(img.geo?.crsWkt).toMatch(/15\.5/);
  });

  it('float with NaN nodata: NaN pixels flagged, the rest stretched 2–98 % per band', async () => {
    const ref = layouts['float-nan'];
    const img = await decodeImage(ref.path);
    expect(Array.from(img.nodata!)).toEqual(ref.valid.map((v) => 1 - v));
    const finite = ref.values.filter((v): v is number => v !== null).sort((a, b) => a - b);
    const lo = finite[Math.round(0.02 * (finite.length - 1))];
    const hi = finite[Math.round(0.98 * (finite.length - 1))];
    const i = ref.values.findIndex((v) => v !== null && v > lo && v < hi);
    expect(img.data[i * 3]).toBe(Math.round(((ref.values[i] as number) - lo) * (255 / (hi - lo))));
  });

  it('uint16 4-band: bands chosen 0-based, an explicit valueRange maps linearly', async () => {
    const ref = layouts.uint16x4;
    const n = ref.width * ref.height;
    const img = await decodeImage(ref.path, { bands: [3, 2, 1], valueRange: [0, 10000] });
    for (const i of [0, 17, n - 1]) {
      expect([img.data[i * 3], img.data[i * 3 + 1], img.data[i * 3 + 2]]).toEqual([3, 2, 1].map((b) => Math.round((ref.values[b * n + i] as number) * (255 / 10000))));
    }
    const stretched = await decodeImage(ref.path);
    expect(Math.max(...stretched.data)).toBe(255); // not 0–31 of 255 as a dtype-range map gives
  });
});

describe('outputs keep the input georeferencing (read back by rasterio)', () => {
  it.each(ALL)('%s: segment mask and probability map', async (name) => {
    const ref = layouts[name];
    const result = await segment(ref.path, { model: seg, scores: true });
    const maskFile = join(dir, `${name}-mask.tif`);
    const probFile = join(dir, `${name}-prob.tif`);
    await writeMaskFile(maskFile, result.mask, result.width, result.height, { geo: result.geo, palette: result.palette, noData: result.noData });
    await writeProbabilityGeotiff(probFile, result.scores![0], result.width, result.height, result.geo!);
    const [mask, prob] = read(maskFile, probFile);
    for (const out of [mask, prob]) {
      expect([out.width, out.height]).toEqual([ref.width, ref.height]);
      expectTransform(out.transform, ref.transform, `${name} output`);
      expect(out.crsWkt).toBe(ref.crsWkt);
      expect(out.tiled).toBe(true);
      expect(out.compress).toBe('DEFLATE');
    }
    expect(mask.colors).toBeGreaterThan(0);
    expect(mask.values).toEqual(Array.from(result.mask));
    const invalid = ref.valid.map((v) => 1 - v);
    const anyInvalid = invalid.includes(1);
    expect(mask.nodata).toBe(anyInvalid ? 255 : null);
    expect(prob.nodataIsNan).toBe(true);
    expect(invalid.map((v, i) => (v ? result.mask[i] === 255 : result.mask[i] !== 255)).every(Boolean), `${name}: nodata pixels, and only they, are 255`).toBe(true);
    expect(invalid.map((v, i) => (v ? prob.values[i] === null : prob.values[i] !== null)).every(Boolean)).toBe(true);
    if (EIGHT_BIT_RGB.includes(name) && !LOSSY.has(name)) {
      // Position check: the same pixels handed over raw (no georeferencing) give the same mask.
      const raw = await segment({ data: interleaved(ref), width: ref.width, height: ref.height, channels: 3 }, { model: seg });
      const expected = Array.from(raw.mask, (v, i) => (invalid[i] ? 255 : v));
      expect(Array.from(result.mask)).toEqual(expected);
    }
  });

  it('a coloured PNG mask of an input with nodata draws nodata black (palette padded to index 255)', async () => {
    const ref = layouts.nodata;
    const result = await segment(ref.path, { model: seg });
    const file = join(dir, 'nodata-colour.png');
    await writeMaskFile(file, result.mask, result.width, result.height, { palette: result.palette, noData: result.noData });
    const { data, info } = await sharp(file).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    const hole = ref.valid.indexOf(0);
    expect(Array.from(data.subarray(hole * info.channels, hole * info.channels + 3))).toEqual([0, 0, 0]);
    const valid = ref.valid.indexOf(1);
    expect(Array.from(data.subarray(valid * info.channels, valid * info.channels + 3))).toEqual(result.palette[result.mask[valid]]);
  });

  it.each(['rotated', 'southup', 'nodata'])('%s: change mask', async (name) => {
    const ref = layouts[name];
    const result = await detectChanges(ref.path, layouts.utm.path === ref.path ? ref.path : ref.path, { model: change });
    const file = join(dir, `${name}-change.tif`);
    await writeMaskFile(file, result.mask, result.width, result.height, { geo: result.geo, noData: result.noData });
    const [out] = read(file);
    expectTransform(out.transform, ref.transform, `${name} change`);
    expect(out.crsWkt).toBe(ref.crsWkt);
    expect(out.nodata).toBe(ref.valid.includes(0) ? 255 : null);
  });

  it('CLI --bands and --value-range reach the reader (uint16 4-band, bands 4,3,2 = 3,2,1)', async () => {
    const ref = layouts.uint16x4;
    const out = join(dir, 'cli-bands.tif');
    const run = await runCli(['segment', ref.path, '--model', segFile, '--out', out, '--bands', '3,2,1', '--value-range', '0,10000', '--no-progress']);
    expect(run.code, run.stderr).toBe(0);
    const api = await segment(ref.path, { model: seg, decode: { bands: [3, 2, 1], valueRange: [0, 10000] } });
    const other = await segment(ref.path, { model: seg, decode: { valueRange: [0, 10000] } });
    expect(Array.from(api.mask)).not.toEqual(Array.from(other.mask));
    expect(read(out)[0].values).toEqual(Array.from(api.mask));
    const bad = await runCli(['segment', ref.path, '--model', segFile, '--out', out, '--bands', '1,2']);
    expect(bad.code).toBe(2);
  });
});
