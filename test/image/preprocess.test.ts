/**
 * Preprocessing against an independent Python reference (test/helpers/image-reference.py).
 *
 * What is compared exactly (≤ 1e-6, in practice bit-identical):
 * - resize/crop geometry: our planResize() vs torchvision's formulas re-implemented in Python
 *   (int() truncation of the long side, round-half-to-even crop offsets);
 * - crop position, colour order, valueScale, mean/std and NCHW layout: the reference crops and
 *   normalises in NumPy float64 the *same resized pixels*, which come from sharp called directly
 *   (not through lib/) with the size the Python geometry computed.
 * What is not compared exactly: the resampling kernel. sharp (libvips) and PIL/torchvision
 * bilinear differ in their antialiasing filters, so the PIL check below only bounds the mean
 * difference on a smooth image.
 */

import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { preprocess, resizeForModel } from '../../lib/image/preprocess.js';
import { planResize, roundHalfEven } from '../../lib/image/resize-plan.js';
import { decodeImage, decodeResized } from '../../lib/image/decode.js';
import { LwganetError } from '../../lib/errors.js';
import type { InputSpec, ResizeRule } from '../../lib/model/metadata.js';
import { pattern, tempDir } from '../helpers/image-fixtures.js';
import { helperScript, runPython } from '../helpers/image-python.js';

const REF = helperScript('image-reference.py');
const tmp = tempDir('lwganet-pre-');
afterAll(tmp.cleanup);

const IMAGENET = { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] };

function spec(resize: ResizeRule, size: InputSpec['size'], extra: Partial<InputSpec> = {}): InputSpec {
  return { channels: 3, layout: 'NCHW', dtype: 'float32', colorOrder: 'RGB', valueScale: 255, ...IMAGENET, size, resize, ...extra };
}

const crop = (shortSide: number, c: number): InputSpec => spec(
  { mode: 'short-side-center-crop', shortSide, crop: c, interpolation: 'bilinear' },
  { rule: 'fixed', height: c, width: c },
);

interface RefPlan { resize: [number, number]; box: [number, number, number, number] }

function referencePlans(cases: Array<[number, number, ResizeRule]>): RefPlan[] {
  return JSON.parse(runPython([REF, 'geometry', JSON.stringify(cases)]));
}

/** The reference tensor for one image: sharp resize (direct call) → Python crop + normalise. */
async function referenceTensor(rgb: Uint8Array, w: number, h: number, input: InputSpec, name: string): Promise<Float32Array> {
  const [plan] = referencePlans([[w, h, input.resize]]);
  const [rw, rh] = plan.resize;
  const resized = rw === w && rh === h
    ? Buffer.from(rgb)
    : await sharp(rgb, { raw: { width: w, height: h, channels: 3 } }).resize(rw, rh, { fit: 'fill', kernel: 'linear' }).raw().toBuffer();
  const src = join(tmp.dir, `${name}.u8`);
  const dst = join(tmp.dir, `${name}.f32`);
  writeFileSync(src, resized);
  runPython([REF, 'normalize', src, dst, String(rw), String(rh), JSON.stringify(plan.box), JSON.stringify(input)]);
  const bytes = readFileSync(dst);
  return new Float32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4);
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
  return max;
}

describe('resize geometry (torchvision arithmetic)', () => {
  it('rounds halves to even like Python round()', () => {
    expect([0.5, 1.5, 2.5, 3.5, -0.5, 2.4, 2.6].map(roundHalfEven)).toEqual([0, 2, 2, 4, 0, 2, 3]);
  });

  it('matches the Python reference for portrait, landscape, square and odd sizes', () => {
    const rules: ResizeRule[] = [
      { mode: 'short-side-center-crop', shortSide: 256, crop: 224, interpolation: 'bilinear' },
      { mode: 'short-side-center-crop', shortSide: 32, crop: 29, interpolation: 'bilinear' },
      { mode: 'short-side-center-crop', shortSide: 24, crop: 24, interpolation: 'bicubic' },
      { mode: 'resize', width: 20, height: 16, interpolation: 'bilinear' },
    ];
    const sizes = [[300, 257], [31, 47], [25, 24], [24, 25], [256, 256], [1000, 3], [3, 1000], [7, 7], [641, 480]];
    const cases = rules.flatMap((rule) => sizes.map(([w, h]) => [w, h, rule] as [number, number, ResizeRule]));
    const expected = referencePlans(cases);
    cases.forEach(([w, h, rule], i) => {
      const p = planResize(w, h, rule);
      expect({ resize: [p.resizeWidth, p.resizeHeight], box: [p.left, p.top, p.width, p.height] }, `${w}×${h} ${JSON.stringify(rule)}`).toEqual(expected[i]);
    });
  });
});

describe('preprocess vs the Python reference (≤ 1e-6)', () => {
  const cases: Array<[string, number, number, InputSpec]> = [
    ['short side 256 + crop 224, landscape', 300, 257, crop(256, 224)],
    ['short side 32 + crop 29, portrait, half-pixel offsets', 31, 47, crop(32, 29)],
    ['crop only (offset 0.5 rounds to 0)', 25, 24, crop(24, 24)],
    ['plain resize, BGR, valueScale 1', 37, 23, spec({ mode: 'resize', width: 20, height: 16, interpolation: 'bilinear' }, { rule: 'fixed', width: 20, height: 16 }, { colorOrder: 'BGR', valueScale: 1, mean: [100, 110, 120], std: [50, 60, 70] })],
    ['no resize', 32, 32, spec({ mode: 'none' }, { rule: 'any', minHeight: 32, minWidth: 32, multipleOf: 32 })],
  ];

  it.each(cases)('%s', async (name, w, h, input) => {
    const rgb = pattern(w, h, 3, w * h);
    const tensor = await preprocess({ data: rgb, width: w, height: h, channels: 3 }, input);
    const [plan] = referencePlans([[w, h, input.resize]]);
    expect(tensor.dtype).toBe('float32');
    expect(tensor.shape).toEqual([1, 3, plan.box[3], plan.box[2]]);
    const reference = await referenceTensor(rgb, w, h, input, name.replace(/\W+/g, '-'));
    expect(maxAbsDiff(tensor.data, reference)).toBeLessThanOrEqual(1e-6);
  });

  it('batches images of different source sizes into one NCHW tensor', async () => {
    const input = crop(32, 29);
    const sizes: Array<[number, number]> = [[31, 47], [50, 40], [29, 29]];
    const images = sizes.map(([w, h], k) => ({ data: pattern(w, h, 3, 100 + k), width: w, height: h, channels: 3 as const }));
    const batch = await preprocess(images, input);
    expect(batch.shape).toEqual([3, 3, 29, 29]);
    const per = 3 * 29 * 29;
    for (let k = 0; k < sizes.length; k++) {
      const reference = await referenceTensor(images[k].data, sizes[k][0], sizes[k][1], input, `batch-${k}`);
      expect(maxAbsDiff(batch.data.subarray(k * per, (k + 1) * per), reference)).toBeLessThanOrEqual(1e-6);
    }
  });

  it('accepts the whole model metadata, not only its input spec', async () => {
    const input = crop(24, 24);
    const rgb = pattern(25, 24, 3, 9);
    const a = await preprocess({ data: rgb, width: 25, height: 24, channels: 3 }, { input } as never);
    const b = await preprocess({ data: rgb, width: 25, height: 24, channels: 3 }, input);
    expect(Array.from(a.data)).toEqual(Array.from(b.data));
  });
});

describe('plain images: one libvips pipeline, the same pixels as decoding first', () => {
  // Downscaled by more than 2, where libvips would otherwise shrink JPEG and WebP on load.
  const W = 1400;
  const H = 900;
  const rgb = Buffer.from(pattern(W, H, 3, 11));
  const base = () => sharp(rgb, { raw: { width: W, height: H, channels: 3 } });
  it.each([
    ['JPEG (no shrink-on-load)', () => base().jpeg({ quality: 90 }).toBuffer()],
    ['PNG', () => base().png().toBuffer()],
    ['WebP (no shrink-on-load)', () => base().webp().toBuffer()],
    ['grey PNG', () => base().greyscale().png().toBuffer()],
    ['16-bit PNG (decoded first)', () => base().toColourspace('rgb16').png().toBuffer()],
    ['RGBA PNG (decoded first)', () => base().ensureAlpha(0.5).png().toBuffer()],
  ])('%s', async (_name, make) => {
    const encoded = await make();
    const oneStep = await decodeResized(encoded, {}, (w, h) => planResize(w, h, crop(256, 224).resize));
    expect(oneStep === null).toBe(/decoded first/.test(_name));
    const file = join(tmp.dir, `one-pipeline-${_name.replace(/\W/g, '')}`);
    writeFileSync(file, encoded);
    for (const input of [crop(256, 224), spec({ mode: 'resize', width: 97, height: 61, interpolation: 'bicubic' }, { rule: 'fixed', width: 97, height: 61 })]) {
      const staged = await preprocess(await decodeImage(encoded), input); // a DecodedImage: resized from its pixels
      for (const source of [encoded, file]) {
        const direct = await preprocess(source, input);
        expect(direct.shape).toEqual(staged.shape);
        expect(Buffer.from(direct.data.buffer).equals(Buffer.from(staged.data.buffer))).toBe(true);
      }
    }
  });
});

describe('resampling kernel: sharp vs PIL (loose bound, kernels differ)', () => {
  it('keeps the mean absolute difference on a smooth image below 1 level', async () => {
    const w = 300;
    const h = 257;
    const rgb = new Uint8Array(w * h * 3).map((_, i) => {
      const p = Math.floor(i / 3);
      const x = p % w;
      const y = Math.floor(p / w);
      return Math.round(127 + 100 * Math.sin(x / 17 + (i % 3)) * Math.cos(y / 23));
    });
    const ours = await resizeForModel(await decodeImage({ data: rgb, width: w, height: h, channels: 3 }), crop(256, 224));
    const src = join(tmp.dir, 'smooth.u8');
    const dst = join(tmp.dir, 'smooth-pil.u8');
    writeFileSync(src, rgb);
    runPython([REF, 'pil-resize', src, dst, String(w), String(h), String(ours.plan.resizeWidth), String(ours.plan.resizeHeight)]);
    const pil = readFileSync(dst);
    let sum = 0;
    const { left, top, width, height } = ours.plan;
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width * 3; x++) sum += Math.abs(ours.data[y * width * 3 + x] - pil[(y + top) * ours.plan.resizeWidth * 3 + left * 3 + x]);
    }
    expect(sum / (width * height * 3)).toBeLessThan(1);
  });
});

describe('preprocess: bad input (EXPECTED FAILURE)', () => {
  const rgb = pattern(10, 10, 3);
  const raw = { data: rgb, width: 10, height: 10, channels: 3 as const };

  it('rejects images that cannot meet the size rule with INPUT_SHAPE', async () => {
    const fixed = spec({ mode: 'none' }, { rule: 'fixed', width: 224, height: 224 });
    await expect(preprocess(raw, fixed)).rejects.toThrow(/needs 224×224 input but preprocessing gives 10×10/);
    const any = spec({ mode: 'none' }, { rule: 'any', minHeight: 32, minWidth: 32, multipleOf: 32 });
    const error = await preprocess(raw, any).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LwganetError);
    expect((error as LwganetError).code).toBe('INPUT_SHAPE');
  });

  it('rejects a batch whose images end up with different sizes', async () => {
    const any = spec({ mode: 'none' }, { rule: 'any', minHeight: 1, minWidth: 1 });
    await expect(preprocess([raw, { data: pattern(9, 10, 3), width: 9, height: 10, channels: 3 }], any)).rejects.toThrow(/same size after preprocessing: image 0 is 10×10, image 1 is 9×10/);
  });

  it('rejects unusable metadata with METADATA_INVALID and bad arguments with TypeError/RangeError', async () => {
    await expect(preprocess(raw, crop(20, 24))).rejects.toThrow(/crop is larger than input.resize.shortSide/);
    await expect(preprocess(raw, spec({ mode: 'resize', width: 8, height: 8, interpolation: 'area' }, { rule: 'fixed', width: 8, height: 8 }))).rejects.toThrow(/unknown input.resize.interpolation "area"/);
    await expect(preprocess(raw, { ...crop(24, 24), channels: 4 })).rejects.toThrow(/model expects 4 channels/);
    await expect(preprocess(raw, null as never)).rejects.toThrow(TypeError);
    await expect(preprocess([], crop(24, 24))).rejects.toThrow(RangeError);
  });
});
