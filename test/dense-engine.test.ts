// The tiled dense engine with models written in JavaScript, so every expected value is computed
// here from the documented rules (normalisation (v/255 − mean)/std, black padding, colour order,
// band order, progress per batch, softmax/argmax) rather than by the code under test:
// - an identity model: overlapping tiles agree, so the blended output is the normalised input
//   exactly, in whichever channel order the metadata asks for;
// - a tile-mean model: its output depends on the padding of an image smaller than a tile;
// - broken models: wrong shapes, no channels, channels that change between batches.
import { describe, expect, it } from 'vitest';
import { LwganetError } from '../lib/errors.js';
import type { BandSource } from '../lib/image/band-source.js';
import { planTiles } from '../lib/image/tiling.js';
import type { ModelMetadata } from '../lib/model/metadata.js';
import type { ModelOutput } from '../lib/model/model.js';
import { runTiled } from '../lib/tasks/dense-engine.js';
import { DEFAULT_MAX_SCENE_PIXELS, gridFor, resolveDenseOptions } from '../lib/tasks/dense-options.js';
import { reduceLogits, segment } from '../lib/tasks/segmentation.js';
import type { TaskModel } from '../lib/tasks/task-model.js';
import { Tensor } from '../lib/tensor/tensor.js';
import { pattern } from './helpers/image-fixtures.js';

const MEAN = [0.3, 0.5, 0.7];
const STD = [0.2, 0.25, 0.4];
const TILING = { defaultTileSize: 64, tileMultiple: 32, minTileSize: 64, defaultOverlap: 16 };

function metadataFor(options: { colorOrder?: 'RGB' | 'BGR'; labels?: string[] | null; palette?: Array<[number, number, number]> | null; tiling?: typeof TILING | null } = {}): ModelMetadata {
  return {
    format: 'lwganet-model',
    formatVersion: 1,
    task: 'segmentation',
    model: 'js-fixture',
    variant: 'test',
    labelSet: null,
    labels: options.labels ?? null,
    numClasses: options.labels ? options.labels.length : null,
    input: { channels: 3, layout: 'NCHW', dtype: 'float32', colorOrder: options.colorOrder ?? 'RGB', valueScale: 255, mean: MEAN, std: STD, size: { rule: 'any' }, resize: { mode: 'none' } },
    outputs: [{ name: 'logits', kind: 'logits', shape: ['N', 'K', 'H', 'W'] }],
    palette: options.palette ?? null,
    tiling: options.tiling === undefined ? TILING : options.tiling,
    weights: { source: 'random-init', seed: 0, file: null, sha256: null },
    export: {},
  } as unknown as ModelMetadata;
}

type Forward = (input: Float32Array, batch: number, tile: number, call: number) => ModelOutput;

/** A TaskModel whose forward is `forward`, counting its calls. */
function jsModel(metadata: ModelMetadata, forward: Forward): TaskModel & { calls: number } {
  const model = {
    metadata,
    calls: 0,
    async run(input: unknown): Promise<ModelOutput> {
      const tensor = input as Tensor<'float32'>;
      const [n, , h] = tensor.shape;
      return forward(tensor.data, n, h, model.calls++);
    },
  };
  return model as unknown as TaskModel & { calls: number };
}

/** Output = input (3 channels, the normalised pixels the engine fed). */
const identity: Forward = (input, n, tile) => new Tensor('float32', Float32Array.from(input), [n, 3, tile, tile]);

/** One output channel per input channel, each the mean of that channel over the whole tile (padding included). */
const tileMean: Forward = (input, n, tile) => {
  const plane = tile * tile;
  const out = new Float32Array(n * 3 * plane);
  for (let b = 0; b < n; b++) {
    for (let c = 0; c < 3; c++) {
      let sum = 0;
      for (let p = 0; p < plane; p++) sum += input[(b * 3 + c) * plane + p];
      out.fill(sum / plane, (b * 3 + c) * plane, (b * 3 + c + 1) * plane);
    }
  }
  return new Tensor('float32', out, [n, 3, tile, tile]);
};

/** The documented normalisation of byte v for output channel c, in float64. */
const normalised = (v: number, c: number) => (v / 255 - MEAN[c]) / STD[c];

/** A BandSource over interleaved RGB bytes, recording the bands read. */
function memorySource(rgb: Uint8Array, width: number, height: number): BandSource & { reads: Array<[number, number]> } {
  const reads: Array<[number, number]> = [];
  return {
    width,
    height,
    geo: null,
    source: { format: 'raw' } as never,
    windowed: false,
    reads,
    async read(top: number, bottom: number) {
      reads.push([top, bottom]);
      return rgb.slice(top * width * 3, bottom * width * 3);
    },
    nodataMask: () => null,
    async readWindow() {
      throw new Error('not used by the dense engine');
    },
  };
}

interface Emitted {
  top: number;
  rows: number;
  channels: number;
  /** channels planes of rows × width values. */
  planes: Float32Array[];
}

async function run(model: TaskModel, rgb: Uint8Array, width: number, height: number, tile: number, overlap: number, batchSize = 2, onProgress: ((d: number, t: number) => void) | null = null) {
  const emitted: Emitted[] = [];
  const source = memorySource(rgb, width, height);
  const channels = await runTiled({
    model,
    metadata: model.metadata!,
    sources: [source],
    grid: planTiles(width, height, tile, overlap),
    batchSize,
    signal: null,
    onProgress,
    emit(top, rows, values, k, stride) {
      emitted.push({ top, rows, channels: k, planes: Array.from({ length: k }, (_, c) => values.slice(c * stride, c * stride + rows * width)) });
    },
  });
  /** The emitted rows assembled into channels × height × width. */
  const image = Array.from({ length: channels }, () => new Float32Array(width * height).fill(NaN));
  for (const e of emitted) for (let c = 0; c < channels; c++) image[c].set(e.planes[c], e.top * width);
  return { channels, emitted, image, reads: source.reads };
}

function maxDiff(actual: Float32Array, expected: (p: number) => number): number {
  let diff = 0;
  for (let p = 0; p < actual.length; p++) diff = Math.max(diff, Number.isNaN(actual[p]) ? Infinity : Math.abs(actual[p] - expected(p)));
  return diff;
}

describe('runTiled with a model in JavaScript', () => {
  it.each([
    ['RGB', 150, 130, 16],
    ['BGR', 150, 130, 16],
    ['BGR', 100, 97, 32],
  ] as const)('feeds %s pixels normalised per channel: an identity model returns them exactly (%i×%i, overlap %i)', async (order, width, height, overlap) => {
    const rgb = pattern(width, height, 3, 5);
    const { channels, image } = await run(jsModel(metadataFor({ colorOrder: order }), identity), rgb, width, height, 64, overlap);
    expect(channels).toBe(3);
    for (let c = 0; c < 3; c++) {
      // Model channel c holds the blue byte first for BGR, normalised with mean[c]/std[c].
      const byte = order === 'BGR' ? 2 - c : c;
      expect(maxDiff(image[c], (p) => normalised(rgb[p * 3 + byte], c))).toBeLessThan(2e-6);
    }
  });

  it('pads an image smaller than a tile with black (byte 0) before normalisation', async () => {
    const [width, height, tile] = [40, 23, 64];
    const rgb = pattern(width, height, 3, 8);
    const { image } = await run(jsModel(metadataFor(), tileMean), rgb, width, height, tile, 16);
    for (let c = 0; c < 3; c++) {
      let sum = (tile * tile - width * height) * normalised(0, c);
      for (let p = 0; p < width * height; p++) sum += normalised(rgb[p * 3 + c], c);
      const expected = sum / (tile * tile);
      expect(maxDiff(image[c], () => expected)).toBeLessThan(1e-5);
    }
  });

  it('pads only the missing side: a wide, short image (tiles along x, padded rows below)', async () => {
    const [width, height, tile] = [100, 40, 64];
    const rgb = pattern(width, height, 3, 9);
    const { image } = await run(jsModel(metadataFor(), tileMean), rgb, width, height, tile, 0, 1);
    // Tiles at x = 0 and x = 36 (the last moved back to end at 100), one tile row padded from 40 to
    // 64 rows. Each tile's output is its own mean, so each pixel gets the mean of its tile(s).
    const tileMeanAt = (x0: number, c: number) => {
      let sum = (tile * tile - tile * height) * normalised(0, c);
      for (let y = 0; y < height; y++) for (let x = x0; x < x0 + tile; x++) sum += normalised(rgb[(y * width + x) * 3 + c], c);
      return sum / (tile * tile);
    };
    for (let c = 0; c < 3; c++) {
      const [a, b] = [tileMeanAt(0, c), tileMeanAt(36, c)];
      // Overlap 0 means flat weights of 1: where both tiles cover a pixel its value is their average.
      expect(maxDiff(image[c], (p) => {
        const x = p % width;
        return x < 36 ? a : x >= 64 ? b : (a + b) / 2;
      })).toBeLessThan(1e-5);
    }
  });

  it('emits every row once, in order, each band as soon as no later tile reaches it', async () => {
    const [width, height] = [150, 130];
    const rgb = pattern(width, height, 3, 2);
    // Tile rows start at 0, 48 and 66 (64-pixel tiles, overlap 16, the last moved back to end at 130).
    const { emitted, reads } = await run(jsModel(metadataFor(), identity), rgb, width, height, 64, 16, 2);
    expect(emitted.map((e) => [e.top, e.rows, e.channels])).toEqual([[0, 48, 3], [48, 18, 3], [66, 64, 3]]);
    expect(reads).toEqual([[0, 64], [48, 112], [66, 130]]);
    const small = await run(jsModel(metadataFor(), identity), pattern(70, 30, 3, 2), 70, 30, 64, 16, 2);
    expect(small.emitted.map((e) => [e.top, e.rows])).toEqual([[0, 30]]);
    expect(small.reads).toEqual([[0, 30]]);
  });

  it('reports progress after every batch, batches never spanning tile rows', async () => {
    const seen: Array<[number, number]> = [];
    const model = jsModel(metadataFor(), identity);
    // 3 × 3 tiles, batches of 2: each row is a batch of 2 and one of 1.
    await run(model, pattern(150, 130, 3, 1), 150, 130, 64, 16, 2, (done, total) => seen.push([done, total]));
    expect(seen).toEqual([[2, 9], [3, 9], [5, 9], [6, 9], [8, 9], [9, 9]]);
    expect(model.calls).toBe(6);
  });

  it('reads the first map of a tuple output (auxiliary maps follow it)', async () => {
    const rgb = pattern(70, 70, 3, 4);
    const model = jsModel(metadataFor(), (input, n, tile, call) => [identity(input, n, tile, call), new Tensor('float32', new Float32Array(n * 7), [n, 7])]);
    const { channels, image } = await run(model, rgb, 70, 70, 64, 16);
    expect(channels).toBe(3);
    expect(maxDiff(image[1], (p) => normalised(rgb[p * 3 + 1], 1))).toBeLessThan(2e-6);
  });

  it.each([
    ['no tensor', () => 3, /must return a tensor/],
    ['a tuple of no tensor', () => [null], /must return a tensor/],
    ['3 dimensions', (_i: Float32Array, n: number, t: number) => new Tensor('float32', new Float32Array(n * t * t), [n, t, t]), /returned \[2, 64, 64\]/],
    ['a wrong batch', (_i: Float32Array, n: number, t: number) => new Tensor('float32', new Float32Array((n + 1) * t * t), [n + 1, 1, t, t]), /Expected the model to return \[2, C, 64, 64\] for 2 tile\(s\).*\[3, 1, 64, 64\]/],
    ['a wrong height', (_i: Float32Array, n: number, t: number) => new Tensor('float32', new Float32Array(n * t * 32), [n, 1, 32, t]), /\[2, 1, 32, 64\]/],
    ['a wrong width', (_i: Float32Array, n: number, t: number) => new Tensor('float32', new Float32Array(n * t * 32), [n, 1, t, 32]), /\[2, 1, 64, 32\]/],
    ['no channels', (_i: Float32Array, n: number, t: number) => new Tensor('float32', new Float32Array(0), [n, 0, t, t]), /\[2, 0, 64, 64\]/],
    ['5 dimensions', (_i: Float32Array, n: number, t: number) => new Tensor('float32', new Float32Array(n * t * t), [n, 1, t, t, 1]), /returned \[2, 1, 64, 64, 1\]/],
    ['channels changing between batches', (_i: Float32Array, n: number, t: number, call: number) => new Tensor('float32', new Float32Array(n * (call + 1) * t * t), [n, call + 1, t, t]), /returned 2 channels for one tile and 1 for another/],
  ] as const)('rejects a model returning %s (OUTPUT_UNSUPPORTED)', async (_what, forward, message) => {
    const failure = run(jsModel(metadataFor(), forward as Forward), pattern(150, 70, 3, 1), 150, 70, 64, 16, 2);
    await expect(failure).rejects.toMatchObject({ code: 'OUTPUT_UNSUPPORTED', message: expect.stringMatching(message) });
  });
});

describe('aborting', () => {
  it('rejects with ABORTED and the signal\'s reason before the next batch', async () => {
    const controller = new AbortController();
    const model = jsModel(metadataFor(), (input, n, tile, call) => {
      if (call === 1) controller.abort('enough');
      return identity(input, n, tile, call);
    });
    const failure = runTiled({
      model, metadata: model.metadata!, sources: [memorySource(pattern(150, 130, 3, 1), 150, 130)], grid: planTiles(150, 130, 64, 16),
      batchSize: 1, signal: controller.signal, onProgress: null, emit() {},
    });
    await expect(failure).rejects.toMatchObject({ code: 'ABORTED', message: 'Tiled inference was aborted', cause: 'enough' });
    expect(model.calls).toBe(2);
  });
});

describe('reduceLogits', () => {
  it('takes the argmax (ties to the lower class) and the softmax, reading plane k at k·stride', () => {
    // 3 pixels, 3 classes, planes 5 apart (the band accumulator's layout), written at offset 2.
    const values = new Float32Array(15).fill(99);
    const logits = [[1, 3, 3], [2, 2, 0], [-1, 0, 5]];
    logits.forEach((row, p) => row.forEach((v, k) => (values[k * 5 + p] = v)));
    const mask = new Uint8Array(6).fill(7);
    const scores = [0, 1, 2].map(() => new Float32Array(6));
    reduceLogits(values, 3, 5, 3, mask, 2, scores);
    expect(Array.from(mask)).toEqual([7, 7, 1, 0, 2, 7]);
    const e = Math.exp;
    const expected = [
      [e(-2) / (e(-2) + 2), 1 / (e(-2) + 2), 1 / (e(-2) + 2)],
      [1 / (2 + e(-2)), 1 / (2 + e(-2)), e(-2) / (2 + e(-2))],
      [e(-6) / (e(-6) + e(-5) + 1), e(-5) / (e(-6) + e(-5) + 1), 1 / (e(-6) + e(-5) + 1)],
    ];
    for (let p = 0; p < 3; p++) for (let k = 0; k < 3; k++) expect(scores[k][2 + p]).toBeCloseTo(expected[p][k], 6);
    expect([scores[0][0], scores[0][5]]).toEqual([0, 0]);
    const noScores = new Uint8Array(3);
    reduceLogits(values, 3, 5, 3, noScores, 0, null);
    expect(Array.from(noScores)).toEqual([1, 0, 2]);
  });
});

describe('segment() with a model in JavaScript', () => {
  /** Logits (−|class − 2|, …) per pixel plus the red byte in class 0: class 2 wins unless red is bright. */
  const classes = (k: number): Forward => (input, n, tile) => {
    const plane = tile * tile;
    const out = new Float32Array(n * k * plane);
    for (let b = 0; b < n; b++) {
      for (let c = 0; c < k; c++) {
        for (let p = 0; p < plane; p++) out[(b * k + c) * plane + p] = -Math.abs(c - 2) + (c === 0 ? input[b * 3 * plane + p] : 0);
      }
    }
    return new Tensor('float32', out, [n, k, tile, tile]);
  };

  it('names classes by index and colours them with the VOC map when the metadata has neither', async () => {
    const rgb = pattern(90, 70, 3, 6);
    const result = await segment({ data: rgb, width: 90, height: 70, channels: 3 }, { model: jsModel(metadataFor(), classes(4)), overlap: 8, scores: true });
    expect(result.labels).toEqual(['0', '1', '2', '3']);
    expect(result.palette).toEqual([[0, 0, 0], [128, 0, 0], [0, 128, 0], [128, 128, 0]]);
    expect(result.tiling).toEqual({ tileSize: 64, overlap: 8, tiles: 4 });
    expect(result.geo).toBeNull();
    // Class 0's logit −2 + normalised red beats class 2's 0 exactly when normalised red > 2.
    for (let p = 0; p < 90 * 70; p++) expect(result.mask[p]).toBe(normalised(rgb[p * 3], 0) > 2 ? 0 : 2);
    expect(result.scores).toHaveLength(4);
  });

  it('copies the model\'s labels and palette', async () => {
    const palette: Array<[number, number, number]> = [[1, 2, 3], [4, 5, 6], [7, 8, 9]];
    const metadata = metadataFor({ labels: ['a', 'b', 'c'], palette });
    const result = await segment({ data: pattern(64, 64, 3, 1), width: 64, height: 64, channels: 3 }, { model: jsModel(metadata, classes(3)) });
    expect(result.labels).toEqual(['a', 'b', 'c']);
    expect(result.palette).toEqual(palette);
    expect(result.palette[0]).not.toBe(palette[0]);
    expect(result.scores).toBeUndefined();
  });

  it('rejects labels that do not match the classes, and more classes than a byte mask holds', async () => {
    const image = { data: pattern(64, 64, 3, 1), width: 64, height: 64, channels: 3 as const };
    await expect(segment(image, { model: jsModel(metadataFor({ labels: ['a', 'b'] }), classes(3)) })).rejects.toMatchObject({ code: 'METADATA_INVALID', message: expect.stringMatching(/lists 2 labels but the model outputs 3 classes/) });
    await expect(segment(image, { model: jsModel(metadataFor(), classes(257)) })).rejects.toMatchObject({ code: 'OUTPUT_UNSUPPORTED', message: expect.stringMatching(/257 classes/) });
    const most = await segment(image, { model: jsModel(metadataFor(), classes(256)) });
    expect(most.labels).toHaveLength(256);
    await expect(segment(image, { model: jsModel(metadataFor({ tiling: null }), classes(3)) })).rejects.toMatchObject({ code: 'METADATA_INVALID', message: 'Model metadata is invalid: a segmentation model has no tiling' });
    await expect(segment(image, null as never)).rejects.toThrow(/^Expected an object with a model for options but received null/);
    await expect(segment(image, { model: jsModel(metadataFor(), classes(3)), scores: 1 } as never)).rejects.toThrow(new TypeError('Expected a boolean for scores but received 1 of type number'));
  });
});

describe('dense options', () => {
  const metadata = metadataFor();
  const model = jsModel(metadata, identity);

  it('fills the defaults', () => {
    expect(resolveDenseOptions({ model }, metadata)).toEqual({ tileSize: 64, overlap: 16, batchSize: 2, decode: {}, maxScenePixels: DEFAULT_MAX_SCENE_PIXELS, onProgress: null, signal: null });
    expect(DEFAULT_MAX_SCENE_PIXELS).toBe(400_000_000);
    const onProgress = () => {};
    const signal = new AbortController().signal;
    const decode = { maxPixels: 10 };
    expect(resolveDenseOptions({ model, tileSize: 128, overlap: 0, batchSize: 1, decode, maxScenePixels: 1, onProgress, signal, scores: true } as never, metadata, ['scores'])).toEqual({
      tileSize: 128, overlap: 0, batchSize: 1, decode, maxScenePixels: 1, onProgress, signal,
    });
  });

  it.each([
    [{ foo: 1 }, RangeError, /^Unknown option "foo" in options \(known: model, decode, onProgress, signal, tileSize, overlap, batchSize, maxScenePixels\)$/],
    [{ onProgress: 1 }, TypeError, /^Expected a function for onProgress but received 1 of type number$/],
    [{ decode: null }, TypeError, /^Expected an object for decode/],
    [{ decode: 'x' }, TypeError, /^Expected an object for decode/],
    [{ signal: {} }, TypeError, /^Expected an AbortSignal for signal/],
    [{ batchSize: '2' }, TypeError, /^Expected a positive integer for batchSize/],
    [{ batchSize: 1.5 }, RangeError, /^Expected a positive integer for batchSize/],
    [{ batchSize: 0 }, RangeError, /^Expected a positive integer for batchSize/],
    [{ maxScenePixels: '1' }, TypeError, /^Expected a positive integer for maxScenePixels/],
    [{ maxScenePixels: 0 }, RangeError, /^Expected a positive integer for maxScenePixels/],
    [{ maxScenePixels: 2.5 }, RangeError, /^Expected a positive integer for maxScenePixels/],
  ])('rejects %o', (extra, type, message) => {
    expect(() => resolveDenseOptions({ model, ...extra } as never, metadata)).toThrow(type);
    expect(() => resolveDenseOptions({ model, ...extra } as never, metadata)).toThrow(message);
  });

  it('plans the grid up to maxScenePixels and refuses one pixel more (IMAGE_TOO_LARGE)', () => {
    const resolved = resolveDenseOptions({ model, maxScenePixels: 150 * 130 }, metadata);
    expect(gridFor(150, 130, resolved)).toEqual({ width: 150, height: 130, tileSize: 64, overlap: 16, xs: [0, 48, 86], ys: [0, 48, 66] });
    let error: unknown;
    try {
      gridFor(151, 130, resolved);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(LwganetError);
    expect(error).toMatchObject({ code: 'IMAGE_TOO_LARGE', message: expect.stringMatching(/151×130 = 19630 pixels exceeds maxScenePixels 19500/) });
  });
});
