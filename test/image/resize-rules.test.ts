// The parts of the model's resize and size rules that the Python reference comparison in
// preprocess.test.ts does not reach: which sharp kernel each interpolation name means (checked
// against sharp called directly with that kernel), the validation of every metadata field, the
// size-rule checks one condition at a time, and the normalisation formula per channel.
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { buildLookupTables, normalizeInto } from '../../lib/image/normalize.js';
import { preprocess, resizeForModel } from '../../lib/image/preprocess.js';
import { checkPlannedSize, planResize, roundHalfEven } from '../../lib/image/resize-plan.js';
import type { InputSpec, ResizeRule } from '../../lib/model/metadata.js';
import { decodeImage } from '../../lib/image/decode.js';
import { geotiff, pattern, tempDir, writeFixture } from '../helpers/image-fixtures.js';

const MEAN = [0.485, 0.456, 0.406];
const STD = [0.229, 0.224, 0.225];

function spec(resize: ResizeRule, size: InputSpec['size'], extra: Partial<InputSpec> = {}): InputSpec {
  return { channels: 3, layout: 'NCHW', dtype: 'float32', colorOrder: 'RGB', valueScale: 255, mean: MEAN, std: STD, size, resize, ...extra };
}

const ANY = { rule: 'any', minWidth: 1, minHeight: 1 } as const;

describe('interpolation names', () => {
  it.each([
    ['nearest', 'nearest'],
    ['bilinear', 'linear'],
    ['linear', 'linear'],
    ['bicubic', 'cubic'],
    ['cubic', 'cubic'],
    ['lanczos', 'lanczos3'],
  ] as const)('%s resizes with sharp\'s %s kernel', async (name, kernel) => {
    const rule: ResizeRule = { mode: 'resize', width: 13, height: 9, interpolation: name };
    expect(planResize(40, 30, rule).kernel).toBe(kernel);
    const rgb = pattern(40, 30, 3, 17);
    const ours = await resizeForModel({ data: rgb, width: 40, height: 30 } as never, spec(rule, ANY));
    const direct = await sharp(rgb, { raw: { width: 40, height: 30, channels: 3 } }).resize(13, 9, { fit: 'fill', kernel }).raw().toBuffer();
    expect([ours.width, ours.height]).toEqual([13, 9]);
    expect(Buffer.from(ours.data).equals(direct)).toBe(true);
  });

  it('differ from each other on a noisy image (so the checks above can tell them apart)', async () => {
    const rgb = pattern(40, 30, 3, 17);
    const outs = await Promise.all((['nearest', 'linear', 'cubic', 'lanczos3'] as const).map((kernel) => sharp(rgb, { raw: { width: 40, height: 30, channels: 3 } }).resize(13, 9, { fit: 'fill', kernel }).raw().toBuffer()));
    for (let i = 0; i < outs.length; i++) for (let j = i + 1; j < outs.length; j++) expect(outs[i].equals(outs[j])).toBe(false);
  });
});

describe('resize plans', () => {
  it('resize mode: the full resized image, no crop', () => {
    expect(planResize(40, 30, { mode: 'resize', width: 13, height: 9, interpolation: 'bilinear' })).toEqual({ resizeWidth: 13, resizeHeight: 9, left: 0, top: 0, width: 13, height: 9, kernel: 'linear' });
  });

  it('none: the image as it is', () => {
    expect(planResize(40, 30, { mode: 'none' })).toEqual({ resizeWidth: 40, resizeHeight: 30, left: 0, top: 0, width: 40, height: 30, kernel: 'linear' });
  });

  it('short side: a square image, and a crop equal to the short side', () => {
    // 50 × 50 → 32 × 32, crop 32 at 0: a resize only, no extract.
    expect(planResize(50, 50, { mode: 'short-side-center-crop', shortSide: 32, crop: 32, interpolation: 'bilinear' })).toEqual({ resizeWidth: 32, resizeHeight: 32, left: 0, top: 0, width: 32, height: 32, kernel: 'linear' });
    // 64 × 40 (landscape): long side 32·64/40 = 51.2 → 51; crop 30 at ((51 − 30)/2 = 10.5 → 10, 1).
    expect(planResize(64, 40, { mode: 'short-side-center-crop', shortSide: 32, crop: 30, interpolation: 'nearest' })).toEqual({ resizeWidth: 51, resizeHeight: 32, left: 10, top: 1, width: 30, height: 30, kernel: 'nearest' });
  });

  it('rounds halves to even and everything else to the nearest', () => {
    expect([4.5, 5.5, 4.49, 4.51, 0, 7].map(roundHalfEven)).toEqual([4, 6, 4, 5, 0, 7]);
  });

  it.each([
    ['a zero width', { mode: 'resize', width: 0, height: 8, interpolation: 'bilinear' }, /input.resize.width must be a positive integer/],
    ['a fractional height', { mode: 'resize', width: 8, height: 2.5, interpolation: 'bilinear' }, /input.resize.height must be a positive integer/],
    ['a string width', { mode: 'resize', width: '8', height: 8, interpolation: 'bilinear' }, /input.resize.width must be a positive integer/],
    ['a negative short side', { mode: 'short-side-center-crop', shortSide: -32, crop: 8, interpolation: 'bilinear' }, /input.resize.shortSide must be a positive integer/],
    ['no crop', { mode: 'short-side-center-crop', shortSide: 32, interpolation: 'bilinear' }, /input.resize.crop must be a positive integer/],
    ['an unknown interpolation', { mode: 'resize', width: 8, height: 8, interpolation: 'area' }, /unknown input.resize.interpolation "area"/],
  ])('rejects %s (METADATA_INVALID)', (_what, rule, message) => {
    expect(() => planResize(40, 30, rule as never)).toThrow(expect.objectContaining({ code: 'METADATA_INVALID', message: expect.stringMatching(message) }));
  });

  it('takes a resize width of 1', () => {
    expect(planResize(40, 30, { mode: 'resize', width: 1, height: 1, interpolation: 'bilinear' }).width).toBe(1);
  });
});

describe('size rules', () => {
  const plan = (width: number, height: number) => planResize(width, height, { mode: 'none' });
  const rule = { rule: 'any', minWidth: 32, minHeight: 16, multipleOf: 8 } as const;

  it('accepts sizes at the minimum and on the multiple', () => {
    expect(() => checkPlannedSize(plan(32, 16), spec({ mode: 'none' }, rule))).not.toThrow();
    expect(() => checkPlannedSize(plan(7, 3), spec({ mode: 'none' }, ANY))).not.toThrow();
    expect(() => checkPlannedSize(plan(20, 10), spec({ mode: 'none' }, { rule: 'fixed', width: 20, height: 10 }))).not.toThrow();
  });

  it.each([
    [24, 16, 'narrower than the minimum'],
    [32, 8, 'lower than the minimum'],
    [36, 16, 'a width off the multiple'],
    [32, 20, 'a height off the multiple'],
  ])('rejects %i×%i (%s) with INPUT_SHAPE', (width, height) => {
    expect(() => checkPlannedSize(plan(width, height), spec({ mode: 'none' }, rule))).toThrow(expect.objectContaining({
      code: 'INPUT_SHAPE',
      message: `The model needs input of at least 32×16 with sides a multiple of 8, but the image is ${width}×${height}`,
    }));
  });

  it('rejects a fixed size off in either side', () => {
    const fixed = spec({ mode: 'none' }, { rule: 'fixed', width: 20, height: 10 });
    expect(() => checkPlannedSize(plan(21, 10), fixed)).toThrow(expect.objectContaining({ code: 'INPUT_SHAPE', message: 'The model needs 20×10 input but preprocessing gives 21×10' }));
    expect(() => checkPlannedSize(plan(20, 11), fixed)).toThrow(expect.objectContaining({ code: 'INPUT_SHAPE' }));
  });
});

describe('resizeForModel', () => {
  it('returns the pixels untouched when the plan is the identity', async () => {
    const data = pattern(20, 10, 3, 3);
    const out = await resizeForModel({ data, width: 20, height: 10 } as never, spec({ mode: 'none' }, ANY));
    expect(out.data).toBe(data);
  });

  it('crops without resizing when the short side already fits', async () => {
    // 40 × 32 with short side 32 and crop 24: no resize, box at (8, 4).
    const data = pattern(40, 32, 3, 4);
    const out = await resizeForModel({ data, width: 40, height: 32 } as never, spec({ mode: 'short-side-center-crop', shortSide: 32, crop: 24, interpolation: 'bilinear' }, ANY));
    expect(out.plan).toMatchObject({ resizeWidth: 40, resizeHeight: 32, left: 8, top: 4, width: 24, height: 24 });
    const expected = new Uint8Array(24 * 24 * 3);
    for (let y = 0; y < 24; y++) expected.set(data.subarray(((y + 4) * 40 + 8) * 3, ((y + 4) * 40 + 32) * 3), y * 24 * 3);
    expect(Buffer.from(out.data).equals(Buffer.from(expected))).toBe(true);
  });

  it.each([
    // 40 × 24 with short side 24 and crop 24: no resize, box at (8, 0), 24 × 24.
    ['the width (landscape)', 40, 24, 8, 0],
    // 24 × 40: box at (0, 8); only the height is cropped.
    ['the height (portrait)', 24, 40, 0, 8],
  ])('crops %s only when the other side already fits', async (_what, width, height, left, top) => {
    const data = pattern(width, height, 3, 5);
    const out = await resizeForModel({ data, width, height } as never, spec({ mode: 'short-side-center-crop', shortSide: 24, crop: 24, interpolation: 'bilinear' }, ANY));
    expect([out.width, out.height]).toEqual([24, 24]);
    const expected = new Uint8Array(24 * 24 * 3);
    for (let y = 0; y < 24; y++) expected.set(data.subarray(((y + top) * width + left) * 3, ((y + top) * width + left + 24) * 3), y * 24 * 3);
    expect(Buffer.from(out.data).equals(Buffer.from(expected))).toBe(true);
  });

  it('resizes when only one side changes', async () => {
    const data = pattern(40, 30, 3, 6);
    for (const [w, h] of [[40, 20], [25, 30]]) {
      const out = await resizeForModel({ data, width: 40, height: 30 } as never, spec({ mode: 'resize', width: w, height: h, interpolation: 'bilinear' }, ANY));
      const direct = await sharp(data, { raw: { width: 40, height: 30, channels: 3 } }).resize(w, h, { fit: 'fill', kernel: 'linear' }).raw().toBuffer();
      expect([out.width, out.height]).toEqual([w, h]);
      expect(Buffer.from(out.data).equals(direct)).toBe(true);
    }
  });

  it.each([
    ['not an object', 3, TypeError],
    ['no resize rule', { ...spec({ mode: 'none' }, ANY), resize: undefined }, TypeError],
    ['no size rule', { ...spec({ mode: 'none' }, ANY), size: 'any' }, TypeError],
    ['no mean', { ...spec({ mode: 'none' }, ANY), mean: 0.5 }, TypeError],
  ])('rejects a spec with %s', async (_what, bad, type) => {
    await expect(resizeForModel({ data: pattern(4, 4, 3), width: 4, height: 4 } as never, bad as never)).rejects.toThrow(type);
  });
});

describe('normalisation', () => {
  it('is (v / valueScale − mean[c]) / std[c] per channel, in RGB or BGR order, at the given offset', async () => {
    const input = spec({ mode: 'none' }, ANY, { valueScale: 2, mean: [10, 20, 30], std: [2, 4, 8] });
    const tables = buildLookupTables(input);
    expect(tables).toHaveLength(3);
    expect([tables[0][0], tables[0][255], tables[1][100], tables[2][7]]).toEqual([-5, Math.fround(58.75), 7.5, Math.fround(-3.3125)]);
    const pixels = Uint8Array.from([1, 2, 3, 40, 50, 60]);
    const out = new Float32Array(2 + 6).fill(-1);
    normalizeInto(pixels, 2, tables, 'BGR', out, 2);
    // BGR: plane 0 holds blue bytes (3, 60) through channel 0's table, plane 2 red bytes (1, 40).
    expect(Array.from(out)).toEqual([-1, -1, (1.5 - 10) / 2, (30 - 10) / 2, (1 - 20) / 4, (25 - 20) / 4, (0.5 - 30) / 8, (20 - 30) / 8]);
    const rgb = await preprocess({ data: pixels, width: 2, height: 1, channels: 3 }, input);
    expect(Array.from(rgb.data)).toEqual([(0.5 - 10) / 2, (20 - 10) / 2, (1 - 20) / 4, (25 - 20) / 4, (1.5 - 30) / 8, (30 - 30) / 8]);
    expect(rgb.shape).toEqual([1, 3, 1, 2]);
  });
});

describe('preprocess: errors say what is wrong', () => {
  const raw = { data: pattern(10, 12, 3), width: 10, height: 12, channels: 3 as const };
  const none = spec({ mode: 'none' }, ANY);

  it('names the metadata argument for a spec that is not an object or lacks its rules', async () => {
    await expect(preprocess(raw, 'imagenet' as never)).rejects.toThrow(new TypeError('Expected model metadata or its input spec for metadata but received "imagenet" of type string'));
    await expect(preprocess(raw, null as never)).rejects.toThrow(new TypeError('Expected model metadata or its input spec for metadata but received null of type object'));
    await expect(preprocess(raw, { ...none, resize: undefined } as never)).rejects.toThrow(/^Expected model metadata or its input spec \(with resize, size, mean, std\) for metadata but received/);
  });

  it('gives METADATA_INVALID for a model that is not 3-channel or whose crop exceeds the short side', async () => {
    await expect(preprocess(raw, { ...none, channels: 4 })).rejects.toMatchObject({ code: 'METADATA_INVALID' });
    await expect(preprocess(raw, spec({ mode: 'short-side-center-crop', shortSide: 8, crop: 9, interpolation: 'bilinear' }, ANY))).rejects.toMatchObject({ code: 'METADATA_INVALID' });
  });

  it('rejects an empty batch as a RangeError naming images', async () => {
    await expect(preprocess([], none)).rejects.toThrow(new RangeError('Expected at least one image for images but received an array of length 0 of type object'));
  });

  it('rejects a batch whose images differ in height only, with INPUT_SHAPE', async () => {
    const shorter = { data: pattern(10, 11, 3), width: 10, height: 11, channels: 3 as const };
    await expect(preprocess([raw, shorter], none)).rejects.toMatchObject({
      code: 'INPUT_SHAPE',
      message: 'Images in a batch must have the same size after preprocessing: image 0 is 10×12, image 1 is 10×11',
    });
  });
});

describe('preprocess: georeferenced rasters', () => {
  const { dir, cleanup } = tempDir('lwganet-resize-geo-');
  afterAll(cleanup);

  it('reads the raster at twice the resize target (GDAL, from an overview when there is one), then resizes it with the model kernel', async () => {
    const W = 300;
    const H = 200;
    const file = writeFixture(dir, 'scene.tif', geotiff({ width: W, height: H, bands: [0, 1, 2].map((b) => pattern(W, H, 1, b + 1)), epsg: 32633, origin: [500000, 4000000, 1, 1] }));
    const input = spec({ mode: 'short-side-center-crop', shortSide: 32, crop: 29, interpolation: 'bilinear' }, { rule: 'fixed', width: 29, height: 29 });
    const plan = planResize(W, H, input.resize);
    expect([plan.resizeWidth, plan.resizeHeight]).toEqual([48, 32]);
    const reduced = await decodeImage(file, {}, () => [96, 64]);
    expect([reduced.width, reduced.height]).toEqual([96, 64]);
    const expected = await preprocess(reduced, input);
    const actual = await preprocess(file, input);
    expect(actual.shape).toEqual([1, 3, 29, 29]);
    expect(Buffer.from(actual.data.buffer).equals(Buffer.from(expected.data.buffer))).toBe(true);
    // Reading the whole raster gives other pixels, so the check above can tell the two apart.
    const whole = await preprocess(await decodeImage(file), input);
    expect(Buffer.from(whole.data.buffer).equals(Buffer.from(expected.data.buffer))).toBe(false);
  });
});
