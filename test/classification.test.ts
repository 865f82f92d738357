import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { classify, predictionsFromLogits } from '../lib/tasks/classification.js';
import { softmax, topK } from '../lib/tasks/top-k.js';
import { halfToNumber } from '../lib/tasks/half.js';
import { preprocess } from '../lib/image/preprocess.js';
import { LwganetError } from '../lib/errors.js';
import { Tensor } from '../lib/tensor/tensor.js';
import type { ModelMetadata } from '../lib/model/metadata.js';
import type { Model } from '../lib/model/model.js';
import { encode, geotiff, pattern, tempDir, writeFixture } from './helpers/image-fixtures.js';
import { exportModel, pythonForward } from './helpers/image-model.js';

const INPUT = {
  channels: 3, layout: 'NCHW', dtype: 'float32', colorOrder: 'RGB', valueScale: 255,
  mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225],
  size: { rule: 'fixed', height: 8, width: 8 },
  resize: { mode: 'short-side-center-crop', shortSide: 9, crop: 8, interpolation: 'bilinear' },
} as const;

function metadata(overrides: Partial<ModelMetadata> = {}): ModelMetadata {
  return {
    format: 'lwganet-model', formatVersion: 1, task: 'classification', model: 'fake', variant: 'l0',
    labelSet: 'abc', labels: ['a', 'b', 'c'], numClasses: 3, input: INPUT as never, outputs: [],
    weights: { source: 'random-init', seed: 0, file: null, sha256: null }, export: {} as never,
    ...overrides,
  };
}

/** A stand-in model: logits [mean of channel 0, 0, −mean] per image, plus a call log. */
function fakeModel(meta: ModelMetadata | null, output?: (x: Tensor) => unknown) {
  const calls: number[][] = [];
  const model = {
    metadata: meta,
    async run(x: Tensor) {
      calls.push([...x.shape]);
      if (output) return output(x);
      const [n, , h, w] = x.shape;
      const logits = new Float32Array(n * 3);
      for (let i = 0; i < n; i++) {
        let sum = 0;
        for (let j = 0; j < h * w; j++) sum += (x.data as Float32Array)[i * 3 * h * w + j];
        logits.set([sum / (h * w), 0, -sum / (h * w)], i * 3);
      }
      return new Tensor('float32', logits, [n, 3]);
    },
  };
  return { model: model as unknown as Model, calls };
}

const bright = { data: new Uint8Array(10 * 10 * 3).fill(250), width: 10, height: 10, channels: 3 as const };
const dark = { data: new Uint8Array(10 * 10 * 3).fill(5), width: 10, height: 10, channels: 3 as const };

describe('softmax and top-k', () => {
  it('computes a stable softmax that sums to 1', () => {
    const p = softmax([1000, 1001, 1002]);
    expect(p.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    expect(p[2] / p[1]).toBeCloseTo(Math.E, 10);
  });

  it('sorts by probability, breaks ties by index, clamps k', () => {
    const result = topK([0.5, 2, 0.5, -1], 10, (i) => `c${i}`);
    expect(result.map((r) => r.index)).toEqual([1, 0, 2, 3]);
    expect(result[0].label).toBe('c1');
    expect(topK([3, 1, 2], 2, String).map((r) => r.label)).toEqual(['0', '2']);
  });

  it('decodes float16 logits', () => {
    expect([0x3c00, 0xc000, 0x0001, 0x7c00, 0x3555].map(halfToNumber)).toEqual([1, -2, 2 ** -24, Infinity, 0.333251953125]);
    const rows = predictionsFromLogits(new Tensor('float16', new Uint16Array([0x3c00, 0x4000, 0]), [1, 3]), 1, metadata(), 1);
    expect(rows[0][0].label).toBe('b');
  });
});

describe('classify with a stand-in model', () => {
  it('returns predictions for one image and one list per image for a batch', async () => {
    const { model } = fakeModel(metadata());
    const one = await classify(bright, { model, topK: 2 });
    expect(one.map((p) => p.label)).toEqual(['a', 'b']);
    expect(one[0].score).toBeGreaterThan(one[1].score);
    const many = await classify([bright, dark], { model });
    expect(many.map((r) => r[0].label)).toEqual(['a', 'c']);
    expect(many[0]).toHaveLength(3);
  });

  it('splits large inputs into batches and reports progress', async () => {
    const { model, calls } = fakeModel(metadata());
    const progress: string[] = [];
    const results = await classify([bright, dark, bright, dark, bright], { model, batchSize: 2, onProgress: (d, t) => progress.push(`${d}/${t}`) });
    expect(results).toHaveLength(5);
    expect(calls).toEqual([[2, 3, 8, 8], [2, 3, 8, 8], [1, 3, 8, 8]]);
    expect(progress).toEqual(['2/5', '4/5', '5/5']);
  });

  it('uses the class index as the label when the metadata has no labels', async () => {
    const { model } = fakeModel(metadata({ labels: null, numClasses: null }));
    expect((await classify(bright, { model, topK: 1 }))[0]).toMatchObject({ label: '0', index: 0 });
  });
});

describe('classify takes an AbortSignal', () => {
  it('rejects ABORTED before any work for an aborted signal, and between batches once it fires', async () => {
    const { model, calls } = fakeModel(metadata());
    await expect(classify(bright, { model, signal: AbortSignal.abort('stop') })).rejects.toMatchObject({ code: 'ABORTED', cause: 'stop' });
    expect(calls).toEqual([]);
    const controller = new AbortController();
    const run = classify([bright, dark, bright, dark], { model, batchSize: 1, signal: controller.signal, onProgress: (done) => done === 2 && controller.abort() });
    await expect(run).rejects.toMatchObject({ code: 'ABORTED' });
    expect(calls).toHaveLength(2);
    expect(await classify(bright, { model, signal: new AbortController().signal })).toHaveLength(3);
  });
});

describe('classify: bad calls (EXPECTED FAILURE)', () => {
  async function code(promise: Promise<unknown>): Promise<string | undefined> {
    const e = await promise.then(() => null, (error: unknown) => error);
    expect(e).toBeInstanceOf(LwganetError);
    return (e as LwganetError).code;
  }

  it('rejects a model of another task with TASK_MISMATCH', async () => {
    const { model } = fakeModel(metadata({ task: 'segmentation' }));
    expect(await code(classify(bright, { model }))).toBe('TASK_MISMATCH');
    await expect(classify(bright, { model })).rejects.toThrow(/This is a segmentation model \(fake\); a classification model is needed/);
  });

  it('rejects a model without metadata, or whose labels do not match its output', async () => {
    expect(await code(classify(bright, { model: fakeModel(null).model }))).toBe('METADATA_INVALID');
    const wrong = fakeModel(metadata({ labels: ['a', 'b'], numClasses: 2 })).model;
    await expect(classify(bright, { model: wrong })).rejects.toThrow(/lists 2 labels but the model outputs 3 classes/);
  });

  it('rejects outputs that are not [N, classes] logits with OUTPUT_UNSUPPORTED', async () => {
    for (const out of [[1, 2], new Tensor('float32', [1, 2, 3], [3]), new Tensor('int64', [1n, 2n, 3n], [1, 3])]) {
      expect(await code(classify(bright, { model: fakeModel(metadata(), () => out).model }))).toBe('OUTPUT_UNSUPPORTED');
    }
  });

  it('rejects bad options with TypeError/RangeError (as rejections, never synchronous throws)', async () => {
    const { model } = fakeModel(metadata());
    await expect(classify(bright, { model, topK: 0 })).rejects.toThrow(RangeError);
    await expect(classify(bright, { model, topK: '3' as never })).rejects.toThrow(/Expected a positive integer for topK/);
    await expect(classify(bright, { model, batchSize: 1.5 })).rejects.toThrow(RangeError);
    await expect(classify(bright, { model, topk: 3 } as never)).rejects.toThrow(/^Unknown option "topk" in options; did you mean "topK"\? \(known: model, decode, onProgress, signal, topK, batchSize\)$/);
    await expect(classify(bright, { model, topk: 3 } as never)).rejects.toThrow(RangeError);
    await expect(classify(bright, { model, bachSize: 3 } as never)).rejects.toThrow(/did you mean "batchSize"/);
    await expect(classify(bright, { model, colour: 3 } as never)).rejects.toThrow(/^Unknown option "colour" in options \(known/);
    await expect(classify(bright, { model, signal: 'stop' } as never)).rejects.toThrow(TypeError);
    await expect(classify(bright, { model: {} as never })).rejects.toThrow(/Expected a Model from loadModel\(\) for model/);
    await expect(classify(bright, null as never)).rejects.toThrow(TypeError);
    await expect(classify([], { model })).rejects.toThrow(RangeError);
    await expect(classify(Buffer.from('junk'), { model })).rejects.toThrow(/could not be decoded/);
  });
});

describe('classify with a real exported model (needs the addon and the Python exporter)', () => {
  const tmp = tempDir('lwganet-cls-');
  let modelPath = '';
  let model: Model;
  afterAll(() => {
    model?.dispose();
    tmp.cleanup();
  });
  beforeAll(async () => {
    modelPath = exportModel(tmp.dir);
    const { loadModel } = await import('../lib/model/model.js');
    model = await loadModel(modelPath);
  }, 300_000);

  it('reads classification metadata with the 45 NWPU-RESISC45 labels', () => {
    expect(model.metadata?.task).toBe('classification');
    expect(model.metadata?.labels).toHaveLength(45);
    expect(model.metadata?.labels?.[0]).toBe('airplane');
  });

  it('gives the same top-k as softmax over the Python logits of the same file (PNG, JPEG, WebP, GeoTIFF)', async () => {
    const images = [
      writeFixture(tmp.dir, 'a.png', await encode(pattern(300, 257, 3, 1), 300, 257, 3, 'png')),
      writeFixture(tmp.dir, 'b.jpg', await encode(pattern(256, 320, 3, 2), 256, 320, 3, 'jpeg')),
      writeFixture(tmp.dir, 'c.webp', await encode(pattern(256, 256, 3, 3), 256, 256, 3, 'webp')),
      writeFixture(tmp.dir, 'd.tif', geotiff({ width: 260, height: 250, bands: [4, 5, 6].map((k) => pattern(260, 250, 1, k)), epsg: 32633, origin: [0, 0, 10, 10] })),
    ];
    const results = await classify(images, { model, topK: 45 });
    const input = await preprocess(images, model.metadata as ModelMetadata);
    const reference = pythonForward(modelPath, input, tmp.dir);
    expect(reference.shape).toEqual([4, 45]);
    results.forEach((predictions, n) => {
      const p = softmax(reference.logits.subarray(n * 45, (n + 1) * 45));
      const order = Array.from(p.keys()).sort((a, b) => p[b] - p[a] || a - b);
      // Same ranking; a swap is tolerated only between classes whose Python probabilities tie
      // to 1e-6 (LibTorch and PyTorch may sum in another order with other thread counts).
      for (let rank = 0; rank < 5; rank++) {
        const ours = predictions[rank].index;
        if (ours !== order[rank]) expect(Math.abs(p[ours] - p[order[rank]]), `rank ${rank}`).toBeLessThan(1e-6);
      }
      for (const r of predictions) {
        expect(Math.abs(r.score - p[r.index])).toBeLessThan(1e-5);
        expect(r.label).toBe(model.metadata?.labels?.[r.index]);
      }
    });
  });
});
