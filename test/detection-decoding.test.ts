// Detection decoding and merging with detectors written in JavaScript, so each expected value
// is worked out here by hand from the documented rules: the output contract (dict of boxes
// (D, 5), scores (D), integer labels (D)), the patch input (normalised pixels, zero padding
// only up to the model's size rule), boxes shifted by the patch offset, the score threshold
// (strictly above), le90 form of merged boxes, defaults from the metadata, and the JSON and SVG
// the outputs write.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { LwganetError } from '../lib/errors.js';
import type { ModelMetadata } from '../lib/model/metadata.js';
import type { ModelOutput } from '../lib/model/model.js';
import { detectionPalette } from '../lib/output/detection-palette.js';
import { detectionsSvg, writeDetectionsPng } from '../lib/output/detections-draw.js';
import { detectionFormatFor, writeDetectionsFile } from '../lib/output/detections-file.js';
import { detectionsDocument } from '../lib/output/detections-json.js';
import { corners, dotaOrder, toLe90, wrapLe90, type Quad } from '../lib/detection/rotated-box.js';
import { DetectionCandidates } from '../lib/tasks/detection-candidates.js';
import { FALLBACK_DETECTION_TILING, resolveDetectOptions } from '../lib/tasks/detection-options.js';
import { detect, type DetectionResult } from '../lib/tasks/detection.js';
import { detectorOutputNames, readDetectorOutput } from '../lib/tasks/detector-output.js';
import { patchInputSize, patchTensor } from '../lib/tasks/patch-input.js';
import type { TaskModel } from '../lib/tasks/task-model.js';
import { Tensor } from '../lib/tensor/tensor.js';
import { pattern } from './helpers/image-fixtures.js';

const NAMES = { boxes: 'rboxes', scores: 'conf', labels: 'cls' };
const MEAN = [0.3, 0.5, 0.7];
const STD = [0.2, 0.25, 0.4];
const normalised = (v: number, c: number) => Math.fround((v / 255 - MEAN[c]) / STD[c]);

function metadataFor(options: { labels?: string[] | null; palette?: Array<[number, number, number]> | null; tiling?: object | null; colorOrder?: 'RGB' | 'BGR'; size?: object } = {}): ModelMetadata {
  return {
    format: 'lwganet-model',
    formatVersion: 1,
    task: 'rotated-detection',
    model: 'js-detector',
    variant: 'test',
    labelSet: null,
    labels: options.labels === undefined ? ['car', 'ship', 'plane'] : options.labels,
    numClasses: null,
    input: {
      channels: 3, layout: 'NCHW', dtype: 'float32', colorOrder: options.colorOrder ?? 'RGB', valueScale: 255, mean: MEAN, std: STD,
      size: options.size ?? { rule: 'any', minHeight: 32, minWidth: 32, multipleOf: 32 }, resize: { mode: 'none' },
    },
    outputs: [
      { name: NAMES.scores, kind: 'scores', shape: ['D'] },
      { name: NAMES.labels, kind: 'labels', shape: ['D'] },
      { name: NAMES.boxes, kind: 'rotated-boxes', shape: ['D', 5] },
    ],
    palette: options.palette ?? null,
    tiling: options.tiling === undefined ? { defaultTileSize: 64, tileMultiple: 32, minTileSize: 32, defaultOverlap: 16 } : options.tiling,
    detection: { angleConvention: 'le90', boxFormat: 'cx,cy,w,h,angle', scoreThreshold: 0.3, nmsIouThreshold: 0.4, maxPerImage: 100, rpn: {} },
    weights: { source: 'random-init', seed: 0, file: null, sha256: null },
    export: {},
  } as unknown as ModelMetadata;
}

interface Det {
  box: [number, number, number, number, number];
  score: number;
  label: number;
}

function output(dets: Det[]): Record<string, Tensor> {
  return {
    [NAMES.boxes]: new Tensor('float32', Float32Array.from(dets.flatMap((d) => d.box)), [dets.length, 5]),
    [NAMES.scores]: new Tensor('float32', Float32Array.from(dets.map((d) => d.score)), [dets.length]),
    [NAMES.labels]: new Tensor('int64', BigInt64Array.from(dets.map((d) => BigInt(d.label))), [dets.length]),
  };
}

/** A detector answering each call with `answer(call, input)`, recording the input tensors. */
function jsDetector(metadata: ModelMetadata, answer: (call: number, input: Tensor<'float32'>) => ModelOutput) {
  const inputs: Array<Tensor<'float32'>> = [];
  const model = {
    metadata,
    inputs,
    async run(input: unknown): Promise<ModelOutput> {
      inputs.push(input as Tensor<'float32'>);
      return answer(inputs.length - 1, input as Tensor<'float32'>);
    },
  };
  return model as unknown as TaskModel & { inputs: Array<Tensor<'float32'>> };
}

describe('le90 edge cases', () => {
  it('keeps a square as it is (w ≥ h holds), only wrapping its angle', () => {
    const square = toLe90({ cx: 1, cy: 2, w: 3, h: 3, angle: 0.2 });
    expect(square).toMatchObject({ cx: 1, cy: 2, w: 3, h: 3 });
    expect(square.angle).toBeCloseTo(0.2, 12);
    const wrapped = toLe90({ cx: 1, cy: 2, w: 3, h: 3, angle: 2 });
    expect(wrapped).toMatchObject({ cx: 1, cy: 2, w: 3, h: 3 });
    expect(wrapped.angle).toBeCloseTo(2 - Math.PI, 12);
  });

  it('takes angles within a micro-radian below −π/2 as −π/2 and wraps the rest', () => {
    expect(wrapLe90(-Math.PI / 2 - 0.9e-6)).toBe(-Math.PI / 2);
    expect(wrapLe90(-Math.PI / 2 - 1e-6)).toBe(-Math.PI / 2);
    expect(wrapLe90(-Math.PI / 2 - 1.1e-6)).toBeCloseTo(Math.PI / 2 - 1.1e-6, 12);
    expect(wrapLe90(Math.PI / 2 - 1e-9)).toBeCloseTo(Math.PI / 2 - 1e-9, 15);
  });

  it('stays within [−π/2, π/2) for angles of thousands of radians, where the modulo rounds a few ulps past −π/2', () => {
    // Found by a search over kπ + π/2 ± a few ulps: the floored modulo gave −1.5707963267953513.
    for (const angle of [-4095.066023954296, -3818.605870438394, -3784.0483512489063]) {
      const wrapped = wrapLe90(angle);
      expect(wrapped).toBeGreaterThanOrEqual(-Math.PI / 2);
      expect(wrapped).toBeLessThan(Math.PI / 2);
    }
  });

  it('starts a DOTA quadrilateral at the first of equally near corners', () => {
    // A diamond: starting at its top or its left corner gives the same distance sum (20).
    const diamond: [number, number][] = [[10, 5], [15, 10], [10, 15], [5, 10]];
    expect(dotaOrder(diamond as never)).toEqual(diamond);
    expect(dotaOrder([[5, 10], [10, 5], [15, 10], [10, 15]])).toEqual([[5, 10], [10, 5], [15, 10], [10, 15]]);
  });
});

describe('readDetectorOutput', () => {
  const one = (box: number[], score = 0.9, label: Tensor = new Tensor('int64', BigInt64Array.from([1n]), [1])) => ({
    [NAMES.boxes]: new Tensor('float32', Float32Array.from(box), [box.length / 5, 5]),
    [NAMES.scores]: new Tensor('float32', Float32Array.from([score]), [1]),
    [NAMES.labels]: label,
  });

  it('finds the outputs by kind and reads boxes, scores and labels of every integer type', () => {
    expect(detectorOutputNames(metadataFor())).toEqual(NAMES);
    const read = readDetectorOutput(output([{ box: [1, 2, 3, 4, 0.5], score: 0.25, label: 2 }, { box: [5, 6, 7, 8, -1], score: 0.75, label: 0 }]), NAMES, 3);
    expect(read.count).toBe(2);
    expect(Array.from(read.boxes)).toEqual([1, 2, 3, 4, Math.fround(0.5), 5, 6, 7, 8, -1]);
    expect(Array.from(read.scores)).toEqual([0.25, 0.75]);
    expect(Array.from(read.labels)).toEqual([2, 0]);
    expect(Array.from(readDetectorOutput(one([1, 1, 1, 1, 0], 0.5, new Tensor('int32', Int32Array.from([2]), [1])), NAMES, 3).labels)).toEqual([2]);
    expect(Array.from(readDetectorOutput(one([1, 1, 1, 1, 0], 0.5, new Tensor('int8', Int8Array.from([2]), [1])), NAMES, 3).labels)).toEqual([2]);
    expect(Array.from(readDetectorOutput(one([1, 1, 1, 1, 0], 0.5, new Tensor('uint8', Uint8Array.from([200]), [1])), NAMES, null).labels)).toEqual([200]);
    // int64 class indices at the edges of the 32-bit range, without a class count.
    expect(Array.from(readDetectorOutput(one([1, 1, 1, 1, 0], 0.5, new Tensor('int64', BigInt64Array.from([2147483647n]), [1])), NAMES, null).labels)).toEqual([2147483647]);
    // The last class is a class; zero-sized boxes are boxes.
    expect(Array.from(readDetectorOutput(one([1, 1, 0, 0, 0], 0.5, new Tensor('int64', BigInt64Array.from([2n]), [1])), NAMES, 3).labels)).toEqual([2]);
    expect(readDetectorOutput(output([]), NAMES, 3).count).toBe(0);
  });

  it('rejects metadata without an output of each kind', () => {
    const metadata = metadataFor();
    metadata.outputs = metadata.outputs.filter((o) => o.kind !== 'labels');
    expect(() => detectorOutputNames(metadata)).toThrow(expect.objectContaining({ code: 'METADATA_INVALID', message: expect.stringMatching(/must declare an output of kind "labels"/) }));
  });

  it.each([
    ['a tensor', (): unknown => new Tensor('float32', new Float32Array(5), [1, 5]), /must return a dict \{rboxes, conf, cls\} of tensors/],
    ['a list', (): unknown => [output([])[NAMES.boxes]], /must return a dict/],
    ['null', (): unknown => null, /must return a dict/],
    ['a number', (): unknown => 3, /must return a dict/],
    ['a dict without the scores', (): unknown => ({ [NAMES.boxes]: output([])[NAMES.boxes], [NAMES.labels]: output([])[NAMES.labels] }), /no tensor "conf" \(it has: rboxes, cls\)/],
    ['an empty dict', (): unknown => ({}), /no tensor "rboxes" \(it has: nothing\)/],
    ['boxes of 4 values', (): unknown => ({ ...output([]), [NAMES.boxes]: new Tensor('float32', new Float32Array(4), [1, 4]) }), /"rboxes" of shape \[D, 5\].*returned \[1, 4\]/],
    ['boxes of one dimension', (): unknown => ({ ...output([]), [NAMES.boxes]: new Tensor('float32', new Float32Array(5), [5]) }), /"rboxes" of shape \[D, 5\].*returned \[5\]/],
    ['two scores for one box', (): unknown => ({ ...one([1, 1, 1, 1, 0]), [NAMES.scores]: new Tensor('float32', new Float32Array(2), [2]) }), /"conf" of shape \[1\] \(one per box\).*returned \[2\]/],
    ['scores of two dimensions', (): unknown => ({ ...one([1, 1, 1, 1, 0]), [NAMES.scores]: new Tensor('float32', new Float32Array(1), [1, 1]) }), /"conf" of shape \[1\].*returned \[1, 1\]/],
    ['no label for the box', (): unknown => ({ ...one([1, 1, 1, 1, 0]), [NAMES.labels]: new Tensor('int64', new BigInt64Array(0), [0]) }), /"cls" of shape \[1\].*returned \[0\]/],
    ['float labels', (): unknown => one([1, 1, 1, 1, 0], 0.5, new Tensor('float32', Float32Array.from([1]), [1])), /integer class indices in "cls".*float32/],
    ['a NaN angle', (): unknown => one([1, 1, 1, 1, NaN]), /non-finite box \(detection 0: 1, 1, 1, 1, NaN\)/],
    ['an infinite centre', (): unknown => one([Infinity, 1, 1, 1, 0]), /non-finite box/],
    ['a NaN in the second box', (): unknown => ({ ...output([{ box: [1, 1, 1, 1, 0], score: 0.5, label: 0 }, { box: [2, 3, 4, NaN, 0], score: 0.5, label: 0 }]) }), /non-finite box \(detection 1: 2, 3, 4, NaN, 0\)/],
    ['a negative side in the second box', (): unknown => ({ ...output([{ box: [1, 1, 1, 1, 0], score: 0.5, label: 0 }, { box: [2, 3, 4, -5, 0], score: 0.5, label: 0 }]) }), /negative side \(detection 1: w 4, h -5\)/],
    ['a negative width', (): unknown => one([1, 1, -1, 1, 0]), /negative side \(detection 0: w -1, h 1\)/],
    ['a negative height', (): unknown => one([1, 1, 1, -0.5, 0]), /negative side \(detection 0: w 1, h -0.5\)/],
    ['a NaN score', (): unknown => one([1, 1, 1, 1, 0], NaN), /non-finite score \(detection 0\)/],
    ['an infinite score', (): unknown => one([1, 1, 1, 1, 0], -Infinity), /non-finite score/],
    ['a negative class', (): unknown => one([1, 1, 1, 1, 0], 0.5, new Tensor('int32', Int32Array.from([-1]), [1])), /class index -1, outside 0\.\.2/],
    ['a class past the labels', (): unknown => one([1, 1, 1, 1, 0], 0.5, new Tensor('int64', BigInt64Array.from([3n]), [1])), /class index 3, outside 0\.\.2/],
    ['a class past 32 bits', (): unknown => one([1, 1, 1, 1, 0], 0.5, new Tensor('int64', BigInt64Array.from([2147483648n]), [1])), /class index 2147483648, outside the 32-bit range/],
    ['a class below 32 bits', (): unknown => one([1, 1, 1, 1, 0], 0.5, new Tensor('int64', BigInt64Array.from([-2147483649n]), [1])), /class index -2147483649, outside the 32-bit range/],
  ] as const)('rejects %s (OUTPUT_UNSUPPORTED)', (_what, make, message) => {
    let error: unknown;
    try {
      readDetectorOutput(make() as ModelOutput, NAMES, 3);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(LwganetError);
    expect(error).toMatchObject({ code: 'OUTPUT_UNSUPPORTED', message: expect.stringMatching(message) });
  });

  it('accepts any non-negative class when the model lists no labels', () => {
    expect(() => readDetectorOutput(one([1, 1, 1, 1, 0], 0.5, new Tensor('int32', Int32Array.from([-1]), [1])), NAMES, null)).toThrow(/class index -1, outside 0\.\.∞/);
  });
});

describe('patch input', () => {
  it('sizes a patch by the model rule: fixed, or at least the minimum, rounded up to the multiple', () => {
    expect(patchInputSize(100, 20, { rule: 'any', minWidth: 32, minHeight: 32, multipleOf: 32 })).toEqual({ width: 128, height: 32 });
    expect(patchInputSize(64, 65, { rule: 'any', minWidth: 32, minHeight: 32, multipleOf: 32 })).toEqual({ width: 64, height: 96 });
    expect(patchInputSize(100, 20, { rule: 'any', minWidth: 16, minHeight: 24 })).toEqual({ width: 100, height: 24 });
    expect(patchInputSize(10, 30, { rule: 'any', minWidth: 16, minHeight: 24 })).toEqual({ width: 16, height: 30 });
    expect(patchInputSize(200, 100, { rule: 'fixed', width: 200, height: 120 })).toEqual({ width: 200, height: 120 });
    expect(patchInputSize(200, 120, { rule: 'fixed', width: 200, height: 120 })).toEqual({ width: 200, height: 120 });
    expect(() => patchInputSize(150, 121, { rule: 'fixed', width: 200, height: 120 })).toThrow("Expected at most the model's fixed input size 200×120 for tileSize but received 150 of type number");
    expect(() => patchInputSize(201, 100, { rule: 'fixed', width: 200, height: 120 })).toThrow(/at most the model's fixed input size 200×120/);
    expect(() => patchInputSize(100, 121, { rule: 'fixed', width: 200, height: 120 })).toThrow(RangeError);
  });

  it.each(['RGB', 'BGR'] as const)('normalises %s pixels into channel planes, zero outside the patch', (order) => {
    const [w, h, inW, inH] = [5, 3, 8, 4];
    const rgb = pattern(w, h, 3, 12);
    const tables = [0, 1, 2].map((c) => Float32Array.from({ length: 256 }, (_, v) => normalised(v, c)));
    const tensor = patchTensor(rgb, w, h, inW, inH, tables, order === 'BGR');
    expect(tensor.shape).toEqual([1, 3, inH, inW]);
    for (let c = 0; c < 3; c++) {
      for (let y = 0; y < inH; y++) {
        for (let x = 0; x < inW; x++) {
          const byte = order === 'BGR' ? 2 - c : c;
          const expected = x < w && y < h ? normalised(rgb[(y * w + x) * 3 + byte], c) : 0;
          expect(tensor.data[(c * inH + y) * inW + x]).toBe(expected);
        }
      }
    }
  });
});

describe('DetectionCandidates', () => {
  const patch = (dets: Det[]) => readDetectorOutput(output(dets), NAMES, 3);

  it('keeps scores strictly above the threshold, shifts boxes by the patch corner and merges per class', () => {
    const candidates = new DetectionCandidates(0.5);
    candidates.add(patch([
      { box: [10, 20, 8, 4, 0], score: 0.5, label: 0 }, // at the threshold: dropped
      { box: [10, 20, 8, 4, 0], score: 0.75, label: 0 },
      { box: [30, 5, 4, 12, 0.25], score: 0.625, label: 2 }, // taller than wide: le90 swaps sides
    ]), 100, 40);
    expect(candidates.size).toBe(2);
    // The same object seen from another patch, scored lower: suppressed; another class on it is kept.
    candidates.add(patch([{ box: [0, 10, 8, 4, 0], score: 0.6875, label: 0 }, { box: [0, 10, 8, 4, 0], score: 0.5625, label: 1 }]), 110, 50);
    expect(candidates.size).toBe(4);
    const merged = candidates.merge(0.5, (i) => ['car', 'ship', 'plane'][i]);
    expect(merged.map((d) => [d.label, d.index, d.score])).toEqual([['car', 0, 0.75], ['plane', 2, 0.625], ['ship', 1, 0.5625]]);
    expect(merged[0]).toMatchObject({ cx: 110, cy: 60, w: 8, h: 4, angle: 0 });
    expect(merged[0].polygon).toEqual([[106, 58], [114, 58], [114, 62], [106, 62]]);
    // (130, 45), 4 × 12 at 0.25 rad is 12 × 4 at 0.25 + π/2 − π.
    const turned = merged[1];
    expect([turned.cx, turned.cy, turned.w, turned.h]).toEqual([130, 45, 12, 4]);
    expect(turned.angle).toBeCloseTo(0.25 - Math.PI / 2, 6);
    const [ux, uy, vx, vy] = [6 * Math.cos(turned.angle), 6 * Math.sin(turned.angle), -2 * Math.sin(turned.angle), 2 * Math.cos(turned.angle)];
    turned.polygon.forEach((p, k) => {
      const [su, sv] = [[-1, -1], [1, -1], [1, 1], [-1, 1]][k];
      expect(p[0]).toBeCloseTo(130 + su * ux + sv * vx, 9);
      expect(p[1]).toBeCloseTo(45 + su * uy + sv * vy, 9);
    });
    expect(new DetectionCandidates(0).merge(0.5, String)).toEqual([]);
  });

  it('never keeps a NaN score', () => {
    const candidates = new DetectionCandidates(0);
    candidates.add({ count: 1, boxes: [1, 1, 2, 2, 0], scores: [NaN], labels: Int32Array.from([0]) }, 0, 0);
    expect(candidates.size).toBe(0);
  });
});

describe('detect() with a detector in JavaScript', () => {
  // 100 × 80 with 64-pixel patches overlapping by 16: columns at 0, 36 and rows at 0, 16.
  const image = () => ({ data: pattern(100, 80, 3, 21), width: 100, height: 80, channels: 3 as const });

  it('feeds each patch window normalised, shifts its boxes by the patch corner and merges them', async () => {
    const img = image();
    const model = jsDetector(metadataFor(), (call) =>
      output([
        { box: [20, 10, 6, 2, 0.1], score: 0.25 + 0.125 * call, label: 1 }, // 0.25 is below the model's 0.3 threshold
        { box: [5 + call, 5, 3, 3, 0], score: 0.9, label: call % 3 },
      ]),
    );
    const seen: Array<[number, number]> = [];
    const result = await detect(img, { model, onProgress: (d, t) => seen.push([d, t]) });
    expect(seen).toEqual([[1, 4], [2, 4], [3, 4], [4, 4]]);
    expect(result.tiling).toEqual({ tileSize: 64, overlap: 16, tiles: 4 });
    expect([result.width, result.height, result.geo, result.scoreThreshold, result.iouThreshold]).toEqual([100, 80, null, 0.3, 0.4]);
    expect(result.labels).toEqual(['car', 'ship', 'plane']);
    expect(result.palette).toEqual(detectionPalette(3));
    // Patches in row-major order: (0, 0), (36, 0), (0, 16), (36, 16).
    const corners = [[0, 0], [36, 0], [0, 16], [36, 16]];
    model.inputs.forEach((tensor, call) => {
      expect(tensor.shape).toEqual([1, 3, 64, 64]);
      const [left, top] = corners[call];
      for (const [x, y, c] of [[0, 0, 0], [63, 0, 1], [0, 63, 2], [63, 63, 0], [17, 40, 1]]) {
        expect(tensor.data[(c * 64 + y) * 64 + x]).toBe(normalised(img.data[((top + y) * 100 + left + x) * 3 + c], c));
      }
    });
    // Patch k's first box, class 1 scored 0.25 + k/8, lands at (56, 10), (20, 26), (56, 26) for
    // k = 1..3 (k = 0 is below the threshold); its second, class k mod 3 scored 0.9, at
    // (5 + k + left, 5 + top). No two boxes of a class overlap: all are kept, ties in patch order.
    const key = result.detections.map((d) => [d.label, d.score.toFixed(4), d.cx, d.cy]);
    expect(key).toEqual([
      ['car', '0.9000', 5, 5],
      ['ship', '0.9000', 42, 5],
      ['plane', '0.9000', 7, 21],
      ['car', '0.9000', 44, 21],
      ['ship', '0.6250', 56, 26],
      ['ship', '0.5000', 20, 26],
      ['ship', '0.3750', 56, 10],
    ]);
  });

  it('pads a patch below the model minimum with zeros and names classes by index without labels', async () => {
    const img = { data: pattern(20, 10, 3, 4), width: 20, height: 10, channels: 3 as const };
    const palette: Array<[number, number, number]> = [[9, 8, 7]];
    const model = jsDetector(metadataFor({ labels: null, palette, size: { rule: 'any', minWidth: 24, minHeight: 16 } }), () => output([{ box: [3, 4, 5, 2, 0], score: 0.5, label: 2 }]));
    const result = await detect(img, { model, scoreThreshold: 0.1, iouThreshold: 0.2 });
    expect(model.inputs[0].shape).toEqual([1, 3, 16, 24]);
    expect(model.inputs[0].data[(1 * 16 + 9) * 24 + 19]).toBe(normalised(img.data[(9 * 20 + 19) * 3 + 1], 1));
    expect(model.inputs[0].data[(1 * 16 + 9) * 24 + 20]).toBe(0);
    expect(model.inputs[0].data[(2 * 16 + 10) * 24 + 5]).toBe(0);
    expect(result.labels).toEqual(['0', '1', '2']);
    expect(result.palette).toEqual(palette);
    expect(result.palette[0]).not.toBe(palette[0]);
    expect(result.detections.map((d) => [d.label, d.index])).toEqual([['2', 2]]);
    expect([result.scoreThreshold, result.iouThreshold]).toEqual([0.1, 0.2]);
    const empty = await detect(img, { model: jsDetector(metadataFor({ labels: null }), () => output([])) });
    expect([empty.labels, empty.palette, empty.detections]).toEqual([[], [], []]);
  });

  it('feeds BGR models the blue byte first', async () => {
    const img = { data: pattern(40, 40, 3, 5), width: 40, height: 40, channels: 3 as const };
    const model = jsDetector(metadataFor({ colorOrder: 'BGR' }), () => output([]));
    await detect(img, { model });
    expect(model.inputs[0].data[0]).toBe(normalised(img.data[2], 0));
    // The 40 × 40 patch is fed as 64 × 64 (the multiple of 32): pixel (1, 1) is at 65 in its plane.
    expect(model.inputs[0].data[2 * 64 * 64 + 65]).toBe(normalised(img.data[41 * 3], 2));
  });

  it('falls back to the DOTA split (1024² patches, overlap 200) for a model without tiling', async () => {
    expect(FALLBACK_DETECTION_TILING).toEqual({ defaultTileSize: 1024, tileMultiple: 32, minTileSize: 32, defaultOverlap: 200 });
    const result = await detect(image(), { model: jsDetector(metadataFor({ tiling: null }), () => output([])) });
    expect(result.tiling).toEqual({ tileSize: 1024, overlap: 200, tiles: 1 });
  });

  it('rejects a detector output that breaks the contract, and aborts between patches', async () => {
    await expect(detect(image(), { model: jsDetector(metadataFor(), () => output([{ box: [1, 1, 1, 1, 0], score: 0.5, label: 3 }])) })).rejects.toMatchObject({ code: 'OUTPUT_UNSUPPORTED' });
    const controller = new AbortController();
    const model = jsDetector(metadataFor(), () => {
      controller.abort('stop');
      return output([]);
    });
    await expect(detect(image(), { model, signal: controller.signal })).rejects.toMatchObject({ code: 'ABORTED', message: 'Detection was aborted', cause: 'stop' });
    expect(model.inputs).toHaveLength(1);
  });
});

describe('detect options', () => {
  const metadata = metadataFor();
  const model = jsDetector(metadata, () => output([]));

  it('needs an options object', async () => {
    await expect(detect({ data: new Uint8Array(3), width: 1, height: 1, channels: 3 }, null as never)).rejects.toThrow(/^Expected an object with a model for options but received null/);
  });

  it('fills the defaults from the metadata and takes the ends of [0, 1]', () => {
    expect(resolveDetectOptions({ model }, metadata)).toEqual({ scoreThreshold: 0.3, iouThreshold: 0.4, tileSize: 64, overlap: 16, decode: {}, onProgress: null, signal: null });
    const onProgress = () => {};
    const signal = new AbortController().signal;
    const decode = { maxPixels: 5 };
    expect(resolveDetectOptions({ model, scoreThreshold: 0, iouThreshold: 1, tileSize: 96, overlap: 0, decode, onProgress, signal }, metadata)).toEqual({
      scoreThreshold: 0, iouThreshold: 1, tileSize: 96, overlap: 0, decode, onProgress, signal,
    });
  });

  it.each([
    [{ foo: 1 }, RangeError, /^Unknown option "foo" in options \(known: model, decode, onProgress, signal, scoreThreshold, tileSize, overlap, iouThreshold\)$/],
    [{ onProgress: 'x' }, TypeError, /^Expected a function for onProgress/],
    [{ decode: null }, TypeError, /^Expected an object for decode/],
    [{ decode: 1 }, TypeError, /^Expected an object for decode/],
    [{ signal: {} }, TypeError, /^Expected an AbortSignal for signal/],
    [{ iouThreshold: '0.5' }, TypeError, /^Expected a number from 0 to 1 for iouThreshold/],
    [{ iouThreshold: 1.01 }, RangeError, /^Expected a number from 0 to 1 for iouThreshold/],
    [{ scoreThreshold: NaN }, RangeError, /^Expected a number from 0 to 1 for scoreThreshold/],
    [{ scoreThreshold: -0.01 }, RangeError, /^Expected a number from 0 to 1 for scoreThreshold/],
  ])('rejects %o', (extra, type, message) => {
    expect(() => resolveDetectOptions({ model, ...extra } as never, metadata)).toThrow(type);
    expect(() => resolveDetectOptions({ model, ...extra } as never, metadata)).toThrow(message);
  });
});

describe('detection outputs', () => {
  const base = (): DetectionResult => ({
    width: 100,
    height: 80,
    labels: ['plane', 'ship'],
    palette: [[255, 0, 0]],
    geo: null,
    detections: [
      { cx: 10, cy: 20, w: 8, h: 4, angle: 0, score: 0.9, label: 'plane', index: 0, polygon: [[6, 18], [14, 18], [14, 22], [6, 22]] },
      { cx: 95, cy: 3, w: 10, h: 2, angle: 0, score: 0.456, label: 'a<b&"c"', index: 1, polygon: [[90, 2], [100, 2], [100, 4], [90, 4]] },
    ],
    tiling: { tileSize: 1024, overlap: 200, tiles: 1 },
    scoreThreshold: 0.05,
    iouThreshold: 0.1,
  });

  it('JSON: the documented document, with the CRS of a georeferenced input', () => {
    const result = base();
    expect(detectionsDocument(result)).toEqual({
      width: 100, height: 80, labels: ['plane', 'ship'], coordinates: 'pixel', angleConvention: 'le90', crs: null,
      tiling: { tileSize: 1024, overlap: 200, tiles: 1 }, scoreThreshold: 0.05, iouThreshold: 0.1, detections: result.detections,
    });
    const geo = { geoTransform: [1, 2, 0, 3, 0, -2], epsg: 4326 } as never;
    expect(detectionsDocument({ ...result, geo }).crs).toEqual({ epsg: 4326, geoTransform: [1, 2, 0, 3, 0, -2] });
  });

  it('SVG: polygons and labels in class colours, lowest score first, text kept on the picture and escaped', () => {
    const svg = detectionsSvg(base(), 2, true);
    // Font 12 px (6 × line width); label above the topmost corner, moved left so its
    // estimated width (0.6 em per character) fits, and at least one font size from the top.
    expect(svg).toBe(
      '<svg xmlns="http://www.w3.org/2000/svg" width="100" height="80" viewBox="0 0 100 80">'
      + '<polygon points="90.00,2.00 100.00,2.00 100.00,4.00 90.00,4.00" fill="none" stroke="rgb(255,255,0)" stroke-width="2" stroke-linejoin="round"/>'
      + '<text x="13.6" y="12.0" font-family="DejaVu Sans, sans-serif" font-size="12" fill="rgb(255,255,0)" stroke="black" stroke-width="1.5" paint-order="stroke">a&#60;b&#38;&#34;c&#34; 0.46</text>'
      + '<polygon points="6.00,18.00 14.00,18.00 14.00,22.00 6.00,22.00" fill="none" stroke="rgb(255,0,0)" stroke-width="2" stroke-linejoin="round"/>'
      + '<text x="6.0" y="16.0" font-family="DejaVu Sans, sans-serif" font-size="12" fill="rgb(255,0,0)" stroke="black" stroke-width="1.5" paint-order="stroke">plane 0.90</text>'
      + '</svg>',
    );
    expect(detectionsSvg(base(), 3, false)).toBe(
      '<svg xmlns="http://www.w3.org/2000/svg" width="100" height="80" viewBox="0 0 100 80">'
      + '<polygon points="90.00,2.00 100.00,2.00 100.00,4.00 90.00,4.00" fill="none" stroke="rgb(255,255,0)" stroke-width="3" stroke-linejoin="round"/>'
      + '<polygon points="6.00,18.00 14.00,18.00 14.00,22.00 6.00,22.00" fill="none" stroke="rgb(255,0,0)" stroke-width="3" stroke-linejoin="round"/>'
      + '</svg>',
    );
    // The label goes above the topmost corner, wherever the polygon starts.
    const turned = base();
    turned.detections = [{ ...turned.detections[0], polygon: [[20, 40], [30, 35], [34, 43], [24, 48]] }];
    expect(detectionsSvg(turned, 2, true)).toContain('<text x="28.0" y="33.0"');
    // A thin line keeps the font at 10 px; a label left of the picture starts at x = 0.
    const left = base();
    left.detections = [{ ...left.detections[0], polygon: [[-5, 30], [3, 30], [3, 34], [-5, 34]] }];
    expect(detectionsSvg(left, 1, true)).toContain('<text x="0.0" y="29.0" font-family="DejaVu Sans, sans-serif" font-size="10" fill="rgb(255,0,0)" stroke="black" stroke-width="1.3" paint-order="stroke">plane 0.90</text>');
  });

  it('PNG: the default outline grows with the image, 1 pixel per 512 of its longer side, at least 2', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lwganet-draw-'));
    try {
      const redAt = async (width: number) => {
        const image = { data: new Uint8Array(width * 40 * 3), width, height: 40, channels: 3 as const };
        const result = { ...base(), width, height: 40, detections: [{ ...base().detections[0], polygon: [[100, 10], [200, 10], [200, 20], [100, 20]] as never }] };
        const file = join(dir, `${width}.png`);
        await writeDetectionsPng(file, image, result, { labels: false });
        const { data, info } = await sharp(file).raw().toBuffer({ resolveWithObject: true });
        expect(info.channels).toBe(3);
        // Red in rows 18..22 at x = 150, below the box's bottom edge (y = 20).
        return [18, 19, 20, 21, 22].map((y) => data[(y * width + 150) * 3]);
      };
      // 1000 px: round(1000 / 512) = 2 → rows 19 and 20 (the stroke spans y 19..21).
      const thin = await redAt(1000);
      expect(thin.slice(1, 3)).toEqual([255, 255]);
      expect([thin[0], thin[3], thin[4]]).toEqual([0, 0, 0]);
      // 1300 px: round(2.54) = 3 → y 18.5..21.5, rows 18 and 21 half covered.
      const wide = await redAt(1300);
      expect(wide.slice(1, 3)).toEqual([255, 255]);
      expect(wide[0]).toBeGreaterThan(60);
      expect(wide[3]).toBeGreaterThan(60);
      expect(wide[4]).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('files: the format from the extension, JSON indented with a final newline', async () => {
    expect(() => detectionFormatFor('boxes.csv')).toThrow('Expected a name ending in .json, .geojson, .gpkg, .fgb or .txt for output file but received "boxes.csv" of type string');
    expect(detectionFormatFor('a.JSON')).toBe('json');
    const dir = mkdtempSync(join(tmpdir(), 'lwganet-json-'));
    try {
      const file = join(dir, 'boxes.json');
      expect(await writeDetectionsFile(file, base())).toBe('json');
      expect(readFileSync(file, 'utf8')).toBe(`${JSON.stringify(detectionsDocument(base()), null, 2)}\n`);
      expect(readFileSync(file, 'utf8')).toMatch(/^\{\n {2}"width": 100,\n {2}"height": 80,\n/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('PNG: rejects bad drawing options before decoding', async () => {
    const image = { data: new Uint8Array(100 * 80 * 3), width: 100, height: 80, channels: 3 as const };
    await expect(writeDetectionsPng('/nonexistent/x.png', image, base(), null as never)).rejects.toThrow(TypeError);
    await expect(writeDetectionsPng('/nonexistent/x.png', image, base(), { lineWidth: 0 })).rejects.toThrow(RangeError);
    await expect(writeDetectionsPng('/nonexistent/x.png', image, base(), { lineWidth: 1001 })).rejects.toThrow(RangeError);
    await expect(writeDetectionsPng('/nonexistent/x.png', image, base(), { lineWidth: '2' as never })).rejects.toThrow(TypeError);
    await expect(writeDetectionsPng('/nonexistent/x.png', image, base(), { labels: 'yes' as never })).rejects.toThrow(TypeError);
    await expect(writeDetectionsPng('/nonexistent/x.png', image, base(), 'thick' as never)).rejects.toThrow('Expected an object for options but received "thick" of type string');
  });

  it('PNG: an image of another height is refused, the thickest outline is drawn', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lwganet-draw-'));
    try {
      const taller = { data: new Uint8Array(100 * 81 * 3), width: 100, height: 81, channels: 3 as const };
      await expect(writeDetectionsPng(join(dir, 'a.png'), taller, base())).rejects.toMatchObject({ code: 'INPUT_SHAPE', message: 'The image is 100×81 but the detections are for 100×80' });
      // The decode options reach the decoder.
      await expect(writeDetectionsPng(join(dir, 'a.png'), taller, base(), { decode: { maxPixels: 100 } })).rejects.toMatchObject({ code: 'IMAGE_TOO_LARGE' });
      const image = { data: new Uint8Array(100 * 80 * 3), width: 100, height: 80, channels: 3 as const };
      await writeDetectionsPng(join(dir, 'b.png'), image, base(), { lineWidth: 1000, labels: false });
      const { data } = await sharp(join(dir, 'b.png')).raw().toBuffer({ resolveWithObject: true });
      // A 1000-pixel outline covers the whole picture in the class colours.
      expect([...data.subarray(0, 3)]).not.toEqual([0, 0, 0]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

// Behaviours the detection group's mutation run found untested.
describe('DOTA corner order of a nearly vertical box', () => {
  it('starts at the top corner (nearest the bounding box top-left) whichever corner the quad starts at', () => {
    // 40 × 10 at −1.3 rad: the long side almost vertical. Its top corner (50.53, 9.39) is 10.7 from
    // the bounding box's top-left (39.83, 9.39); the left corner (39.83, 47.93) is 38.5 from it.
    const quad = corners({ cx: 50, cy: 30, w: 40, h: 10, angle: -1.3 });
    const top = quad.reduce((best, p) => (p[1] < best[1] ? p : best));
    const start = quad.indexOf(top);
    const expected = [0, 1, 2, 3].map((i) => quad[(start + i) % 4]);
    for (let k = 0; k < 4; k++) {
      expect(dotaOrder([0, 1, 2, 3].map((i) => quad[(k + i) % 4]) as Quad)).toEqual(expected);
    }
    expect(expected[0][0]).toBeCloseTo(50.53, 2);
    expect(expected[0][1]).toBeCloseTo(9.39, 2);
  });
});

describe('detector output checks, per detection and per dimension', () => {
  const two = (second: number[]) => output([{ box: [1, 1, 1, 1, 0], score: 0.5, label: 0 }, { box: second as Det['box'], score: 0.5, label: 0 }]);

  it('checks the width of every detection, not only the first', () => {
    expect(() => readDetectorOutput(two([2, 3, -4, 5, 0]), NAMES, 3)).toThrow(/negative side \(detection 1: w -4, h 5\)/);
  });

  it('refuses boxes with a trailing dimension ([D, 5, 1])', () => {
    const boxes = new Tensor('float32', new Float32Array(5), [1, 5, 1]);
    expect(() => readDetectorOutput({ ...output([{ box: [1, 1, 1, 1, 0], score: 0.5, label: 0 }]), [NAMES.boxes]: boxes }, NAMES, 3))
      .toThrow(/"rboxes" of shape \[D, 5\].*returned \[1, 5, 1\]/);
  });

  it('reports the lowest 32-bit class index as a negative class, not as out of the 32-bit range', () => {
    const label = new Tensor('int64', BigInt64Array.from([-2147483648n]), [1]);
    const out = { ...output([{ box: [1, 1, 1, 1, 0], score: 0.5, label: 0 }]), [NAMES.labels]: label };
    expect(() => readDetectorOutput(out, NAMES, 3)).toThrow(/class index -2147483648, outside 0\.\.2$/);
  });
});

describe('detect() on inputs with nodata and patches fed above their size', () => {
  it('drops detections whose centre pixel is nodata, clamping centres outside the image to its edge', async () => {
    const [w, h] = [100, 80];
    const nodata = new Uint8Array(w * h);
    const hole = (x: number, y: number) => { nodata[y * w + x] = 1; };
    hole(10, 20); // a: centre (10.7, 20.2)
    hole(0, 50); // c: centre (−3, 50) clamps to x = 0
    hole(99, 79); // d: centre (104, 79.5) clamps to (99, 79)
    hole(99, 10); // f: centre (100.5, 10.5) clamps to x = 99
    hole(60, 79); // e's column at the bottom: e (60, −2) clamps to y = 0, not to the last row
    const image = { data: pattern(w, h, 3, 8), width: w, height: h, channels: 3 as const, source: { format: 'raw' as const, channels: 3, bitsPerSample: 8 }, geo: null, nodata };
    const centres: Array<[number, number]> = [[10.7, 20.2], [30.5, 40.5], [-3, 50], [104, 79.5], [60, -2], [100.5, 10.5], [50.5, 80.5]];
    const model = jsDetector(metadataFor(), () => output(centres.map(([x, y], i) => ({ box: [x, y, 2, 2, 0], score: 0.95 - 0.05 * i, label: 0 }))));
    const result = await detect(image, { model, tileSize: 128 });
    expect(model.inputs).toHaveLength(1);
    // b is valid, e and g clamp to valid pixels (60, 0) and (50, 79).
    expect(result.detections.map((d) => [d.cx, d.cy])).toEqual([[30.5, 40.5], [60, -2], [50.5, 80.5]]);
  });

  it('pads every patch only below its own rows and columns when the size rule asks for more than the patch', async () => {
    // 64-pixel patches of a 100 × 80 image at rows 0 and 16, fed as 96 × 96 (multipleOf 96).
    const img = { data: pattern(100, 80, 3, 21), width: 100, height: 80, channels: 3 as const };
    const model = jsDetector(metadataFor({ size: { rule: 'any', minWidth: 32, minHeight: 32, multipleOf: 96 } }), () => output([]));
    await detect(img, { model });
    const corners = [[0, 0], [36, 0], [0, 16], [36, 16]];
    expect(model.inputs).toHaveLength(4);
    model.inputs.forEach((tensor, call) => {
      expect(tensor.shape).toEqual([1, 3, 96, 96]);
      const [left, top] = corners[call];
      for (let c = 0; c < 3; c++) {
        for (let y = 0; y < 96; y++) {
          for (const x of [0, 63, 64, 95]) {
            const value = tensor.data[(c * 96 + y) * 96 + x];
            expect(value).toBe(x < 64 && y < 64 ? normalised(img.data[((top + y) * 100 + left + x) * 3 + c], c) : 0);
          }
        }
      }
    });
  });
});

describe('picture option errors name the option and what it takes', () => {
  const result = (): DetectionResult => ({
    width: 100, height: 80, labels: ['plane'], palette: [[255, 0, 0]], geo: null, detections: [],
    tiling: { tileSize: 1024, overlap: 200, tiles: 1 }, scoreThreshold: 0.05, iouThreshold: 0.1,
  });
  const image = { data: new Uint8Array(100 * 80 * 3), width: 100, height: 80, channels: 3 as const };

  it('options, lineWidth and labels', async () => {
    await expect(writeDetectionsPng('/nonexistent/x.png', image, result(), null as never)).rejects.toThrow('Expected an object for options but received null of type object');
    await expect(writeDetectionsPng('/nonexistent/x.png', image, result(), { lineWidth: 0 })).rejects.toThrow('Expected a positive number of pixels for lineWidth but received 0 of type number');
    await expect(writeDetectionsPng('/nonexistent/x.png', image, result(), { labels: 'yes' as never })).rejects.toThrow('Expected a boolean for labels but received "yes" of type string');
  });

  it('refuses an image of another width (INPUT_SHAPE)', async () => {
    const wider = { data: new Uint8Array(101 * 80 * 3), width: 101, height: 80, channels: 3 as const };
    await expect(writeDetectionsPng('/nonexistent/x.png', wider, result())).rejects.toMatchObject({ code: 'INPUT_SHAPE', message: 'The image is 101×80 but the detections are for 100×80' });
  });
});
