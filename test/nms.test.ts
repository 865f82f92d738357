// Native NMS (native/nms.cc) from both sides: rotatedIou/rotatedNms from the package root against
// references written here, and the TorchScript ops lwganet::nms_rotated/nms_aligned called from a
// model exported in Python, which must give exactly the Python reference's indices.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { LwganetError, Tensor, loadModel, loadModelSync, rotatedIou, rotatedNms, type ModelOutput } from '../lib/index.js';
import { binding } from '../lib/native/binding.js';
import { fixture } from './helpers/fixtures.js';
import { seededRandom } from './helpers/seeded-random.mjs';

type Box = [number, number, number, number, number];
type Point = [number, number];

// ------------------------------------------------------------------ references

/** le90 corners: c ∓ u ∓ v with u along w, v along h. */
function refCorners([cx, cy, w, h, a]: Box): Point[] {
  const u: Point = [(w / 2) * Math.cos(a), (w / 2) * Math.sin(a)];
  const v: Point = [(-h / 2) * Math.sin(a), (h / 2) * Math.cos(a)];
  return [
    [cx - u[0] - v[0], cy - u[1] - v[1]],
    [cx + u[0] - v[0], cy + u[1] - v[1]],
    [cx + u[0] + v[0], cy + u[1] + v[1]],
    [cx - u[0] + v[0], cy - u[1] + v[1]],
  ];
}

function signedArea(polygon: Point[]): number {
  let twice = 0;
  polygon.forEach((p, i) => {
    const q = polygon[(i + 1) % polygon.length];
    twice += p[0] * q[1] - p[1] * q[0];
  });
  return twice / 2;
}

/** Scalar Sutherland–Hodgman: the subject polygon clipped by each edge of a convex clip polygon. */
function clip(subject: Point[], clipper: Point[]): Point[] {
  const orientation = Math.sign(signedArea(clipper));
  let polygon = subject;
  for (let e = 0; e < clipper.length && polygon.length > 0; e++) {
    const [a, b] = [clipper[e], clipper[(e + 1) % clipper.length]];
    const side = (p: Point) => orientation * ((b[0] - a[0]) * (p[1] - a[1]) - (b[1] - a[1]) * (p[0] - a[0]));
    const next: Point[] = [];
    polygon.forEach((p, i) => {
      const q = polygon[(i + 1) % polygon.length];
      const [sp, sq] = [side(p), side(q)];
      if (sp >= 0) next.push(p);
      if (sp >= 0 !== sq >= 0) {
        const t = sp / (sp - sq);
        next.push([p[0] + t * (q[0] - p[0]), p[1] + t * (q[1] - p[1])]);
      }
    });
    polygon = next;
  }
  return polygon;
}

function refIou(a: Box, b: Box): number {
  const [areaA, areaB] = [a[2] * a[3], b[2] * b[3]];
  if (areaA === 0 || areaB === 0) return 0;
  const inter = Math.abs(signedArea(clip(refCorners(a), refCorners(b))));
  return inter / (areaA + areaB - inter);
}

/** Plain sequential greedy NMS: visit by score (ties by index), keep unless a kept box of the label overlaps > t. */
function refNms(boxes: Box[], scores: number[], threshold: number, labels?: number[]): number[] {
  const order = boxes.map((_, i) => i).sort((i, j) => scores[j] - scores[i] || i - j);
  const kept: number[] = [];
  for (const i of order) {
    const suppressed = kept.some((k) => (labels === undefined || labels[k] === labels[i]) && refIou(boxes[k], boxes[i]) > threshold);
    if (!suppressed) kept.push(i);
  }
  return kept;
}

// ------------------------------------------------------------------ random data

function randomBox(rand: () => number, spread = 100): Box {
  return [rand() * spread, rand() * spread, 1 + rand() * 40, 1 + rand() * 40, (rand() - 0.5) * 2 * Math.PI];
}

/** Boxes scattered around a few objects, like a detector's candidates, so that many overlap. */
function clusteredBoxes(rand: () => number, n: number): Box[] {
  const objects = Array.from({ length: Math.max(1, n >> 3) }, () => randomBox(rand, 300));
  return Array.from({ length: n }, () => {
    const [cx, cy, w, h, a] = objects[Math.floor(rand() * objects.length)];
    const jitter = () => rand() - 0.5;
    return [cx + 6 * jitter(), cy + 6 * jitter(), w * (1 + 0.3 * jitter()), h * (1 + 0.3 * jitter()), a + 0.4 * jitter()];
  });
}

const flat = (boxes: Box[]) => Float64Array.from(boxes.flat());

// ------------------------------------------------------------------ rotatedIou

describe('rotatedIou', () => {
  it('is 1 for identical boxes, also as the same rectangle rotated by π or turned by 90° with sides swapped', () => {
    const box: Box = [12.5, -3, 10, 4, 0.7];
    expect(rotatedIou(box, box)).toBeCloseTo(1, 12);
    expect(rotatedIou(box, [12.5, -3, 10, 4, 0.7 + Math.PI])).toBeCloseTo(1, 12);
    expect(rotatedIou(box, [12.5, -3, 4, 10, 0.7 + Math.PI / 2])).toBeCloseTo(1, 12);
    expect(rotatedIou([0, 0, 6, 6, 0], [0, 0, 6, 6, Math.PI / 2])).toBeCloseTo(1, 12);
  });

  it('is 0 for disjoint and for touching boxes', () => {
    expect(rotatedIou([0, 0, 4, 4, 0], [100, 0, 4, 4, 0.3])).toBe(0);
    expect(rotatedIou([0, 0, 4, 4, 0.4], [5, 5, 4, 4, 0.4])).toBe(0); // enclosing boxes overlap, rectangles do not
    expect(rotatedIou([0, 0, 4, 4, 0], [4, 0, 4, 4, 0])).toBe(0); // shared edge
    expect(rotatedIou([0, 0, 4, 4, 0], [4, 4, 4, 4, 0])).toBe(0); // shared corner
    expect(rotatedIou([0, 0, 2, 2, Math.PI / 4], [2 * Math.SQRT2, 0, 2, 2, Math.PI / 4])).toBeCloseTo(0, 12);
  });

  it('is the area ratio for a contained box', () => {
    expect(rotatedIou([0, 0, 20, 10, 0.3], [1, 0.5, 4, 2, 1.1])).toBeCloseTo(8 / 200, 12);
  });

  it('matches hand-computed axis-aligned and rotated overlaps', () => {
    expect(rotatedIou([0, 0, 4, 2, 0], [1, 0, 4, 2, 0])).toBe(0.6); // overlap 3·2 over 8 + 8 − 6
    expect(rotatedIou([0, 0, 4, 4, 0], [2, 2, 4, 4, 0])).toBeCloseTo(4 / 28, 12);
    // A 10×2 bar and the same bar turned 90°: a 2×2 cross centre.
    expect(rotatedIou([0, 0, 10, 2, 0], [0, 0, 10, 2, Math.PI / 2])).toBeCloseTo(4 / 36, 12);
    // A square and itself turned 45°: a regular octagon of area 2(√2 − 1)·s².
    const octagon = 2 * (Math.SQRT2 - 1) * 100;
    expect(rotatedIou([5, 5, 10, 10, 0], [5, 5, 10, 10, Math.PI / 4])).toBeCloseTo(octagon / (200 - octagon), 12);
  });

  it('matches the polygon-clipping reference on random pairs, symmetrically', () => {
    const rand = seededRandom(1);
    let overlapping = 0;
    for (let i = 0; i < 2000; i++) {
      const a = randomBox(rand, 40);
      const b = rand() < 0.1 ? ([a[0] + rand(), a[1], a[2], a[3], a[4] + (rand() < 0.5 ? 0 : Math.PI / 2)] as Box) : randomBox(rand, 40);
      const expected = refIou(a, b);
      if (expected > 0) overlapping++;
      expect(Math.abs(rotatedIou(a, b) - expected)).toBeLessThan(1e-12);
      expect(Math.abs(rotatedIou(b, a) - expected)).toBeLessThan(1e-12);
    }
    expect(overlapping).toBeGreaterThan(500);
  });

  it('accepts tuples, objects and typed arrays', () => {
    const a: Box = [0, 0, 4, 2, 0];
    expect(rotatedIou({ cx: 0, cy: 0, w: 4, h: 2, angle: 0 }, [1, 0, 4, 2, 0])).toBe(0.6);
    expect(rotatedIou(a, { cx: 1, cy: 0, w: 4, h: 2, angle: 0 })).toBe(0.6);
    expect(rotatedIou(Float32Array.from(a) as unknown as Box, [1, 0, 4, 2, 0])).toBe(0.6);
  });

  it.each([
    ['a missing box', () => rotatedIou(undefined as unknown as Box, [0, 0, 1, 1, 0]), TypeError],
    ['a short tuple', () => rotatedIou([0, 0, 1, 1] as unknown as Box, [0, 0, 1, 1, 0]), RangeError],
    ['a string value', () => rotatedIou(['0', 0, 1, 1, 0] as unknown as Box, [0, 0, 1, 1, 0]), TypeError],
    ['NaN', () => rotatedIou([0, NaN, 1, 1, 0], [0, 0, 1, 1, 0]), RangeError],
    ['Infinity', () => rotatedIou([0, 0, 1, 1, Infinity], [0, 0, 1, 1, 0]), RangeError],
    ['a negative width', () => rotatedIou([0, 0, 1, 1, 0], { cx: 0, cy: 0, w: -1, h: 1, angle: 0 }), RangeError],
    ['an object without angle', () => rotatedIou([0, 0, 1, 1, 0], { cx: 0, cy: 0, w: 1, h: 1 } as unknown as Box), TypeError],
  ])('rejects %s', (_name, call, type) => {
    expect(call).toThrow(type);
  });
});

// ------------------------------------------------------------------ rotatedNms

describe('rotatedNms', () => {
  it('matches the sequential reference on random sets, with and without labels', () => {
    const rand = seededRandom(2);
    for (const [n, threshold] of [[50, 0.1], [200, 0.3], [400, 0.5], [300, 0]] as const) {
      const boxes = clusteredBoxes(rand, n);
      const scores = boxes.map(() => rand());
      const labels = boxes.map(() => Math.floor(rand() * 3));
      const plain = Array.from(rotatedNms(flat(boxes), scores, threshold));
      expect(plain).toEqual(refNms(boxes, scores, threshold));
      expect(plain.length).toBeLessThan(n); // the sets do overlap
      expect(Array.from(rotatedNms(flat(boxes), scores, threshold, { labels }))).toEqual(refNms(boxes, scores, threshold, labels));
    }
  });

  it('reads typed arrays on SharedArrayBuffer memory like ordinary ones', () => {
    const rand = seededRandom(7);
    const boxes = clusteredBoxes(rand, 60);
    const scores = boxes.map(() => rand());
    const labels = boxes.map(() => Math.floor(rand() * 3));
    const shared = <T extends Float64Array | Int32Array>(Type: { new (b: SharedArrayBuffer): T; BYTES_PER_ELEMENT: number }, values: ArrayLike<number>): T => {
      const array = new Type(new SharedArrayBuffer(values.length * Type.BYTES_PER_ELEMENT));
      array.set(values);
      return array;
    };
    const got = rotatedNms(shared(Float64Array, flat(boxes)), shared(Float64Array, scores), 0.2, { labels: shared(Int32Array, labels) });
    expect(Array.from(got)).toEqual(refNms(boxes, scores, 0.2, labels));
  });

  it('keeps the lower index among equal scores and returns kept indices by descending score', () => {
    const box: Box = [0, 0, 10, 4, 0.2];
    expect(Array.from(rotatedNms([box, box, box], [0.5, 0.5, 0.5], 0.5))).toEqual([0]);
    expect(Array.from(rotatedNms([box, box, box], [0.4, 0.5, 0.5], 0.5))).toEqual([1]);
    const far: Box = [100, 0, 10, 4, 0.2];
    expect(Array.from(rotatedNms([far, box, far, box], [0.2, 0.9, 0.2, 0.3], 0.5))).toEqual([1, 0]);
    // Ties over many random boxes: a few distinct score values.
    const rand = seededRandom(3);
    const boxes = clusteredBoxes(rand, 200);
    const scores = boxes.map(() => Math.floor(rand() * 4) / 4);
    expect(Array.from(rotatedNms(flat(boxes), scores, 0.2))).toEqual(refNms(boxes, scores, 0.2));
  });

  it('suppresses only when the IoU is greater than the threshold', () => {
    const pair: Box[] = [[0, 0, 4, 2, 0], [1, 0, 4, 2, 0]]; // IoU exactly 0.6
    expect(Array.from(rotatedNms(pair, [1, 0.5], 0.6))).toEqual([0, 1]);
    expect(Array.from(rotatedNms(pair, [1, 0.5], 0.59))).toEqual([0]);
    expect(Array.from(rotatedNms([pair[0], pair[0]], [1, 0.5], 1))).toEqual([0, 1]); // IoU 1 is not > 1
    expect(Array.from(rotatedNms([[0, 0, 4, 4, 0], [4, 0, 4, 4, 0]], [1, 0.5], 0))).toEqual([0, 1]); // touching: IoU 0
  });

  it('never suppresses across labels', () => {
    const box: Box = [0, 0, 10, 4, 0.2];
    expect(Array.from(rotatedNms([box, box, box], [0.9, 0.8, 0.7], 0.1, { labels: [0, 1, 0] }))).toEqual([0, 1]);
    expect(Array.from(rotatedNms([box, box], [0.9, 0.8], 0.1, { labels: Int32Array.from([-5, 2 ** 31 - 1]) }))).toEqual([0, 1]);
  });

  it('takes Float32Array, Float64Array, tuples and objects alike, and empty input', () => {
    const rand = seededRandom(4);
    const boxes = clusteredBoxes(rand, 60).map((b) => Array.from(Float32Array.from(b)) as Box);
    const scores = Float32Array.from(boxes, () => rand());
    const expected = Array.from(rotatedNms(flat(boxes), scores, 0.2));
    expect(Array.from(rotatedNms(Float32Array.from(boxes.flat()), scores, 0.2))).toEqual(expected);
    expect(Array.from(rotatedNms(boxes, Array.from(scores), 0.2))).toEqual(expected);
    const objects = boxes.map(([cx, cy, w, h, angle]) => ({ cx, cy, w, h, angle }));
    expect(Array.from(rotatedNms(objects, scores, 0.2))).toEqual(expected);
    const empty = rotatedNms([], [], 0.5);
    expect(empty).toBeInstanceOf(Int32Array);
    expect(empty.length).toBe(0);
    expect(rotatedNms(new Float64Array(0), new Float64Array(0), 0.5, { labels: [] }).length).toBe(0);
  });

  const one: Box[] = [[0, 0, 4, 2, 0]];
  it.each([
    ['boxes that are not an array', () => rotatedNms('boxes' as never, [1], 0.5), TypeError],
    ['a typed array of the wrong kind', () => rotatedNms(new Int32Array(5) as never, [1], 0.5), TypeError],
    ['a typed array whose length is not N·5', () => rotatedNms(new Float64Array(7), [1], 0.5), RangeError],
    ['a box of 4 values', () => rotatedNms([[0, 0, 1, 1]] as never, [1], 0.5), RangeError],
    ['a box that is a number', () => rotatedNms([3] as never, [1], 0.5), TypeError],
    ['a NaN coordinate', () => rotatedNms([[NaN, 0, 1, 1, 0]], [1], 0.5), RangeError],
    ['a NaN in a Float32Array', () => rotatedNms(Float32Array.from([0, 0, 1, 1, NaN]), [1], 0.5), RangeError],
    ['a negative height', () => rotatedNms([{ cx: 0, cy: 0, w: 1, h: -2, angle: 0 }], [1], 0.5), RangeError],
    ['scores that are not array-like', () => rotatedNms(one, 1 as never, 0.5), TypeError],
    ['too few scores', () => rotatedNms(one, [], 0.5), RangeError],
    ['too many scores', () => rotatedNms(one, [1, 2], 0.5), RangeError],
    ['a NaN score', () => rotatedNms(one, [NaN], 0.5), RangeError],
    ['a string score', () => rotatedNms(one, ['1'] as never, 0.5), TypeError],
    ['a threshold that is not a number', () => rotatedNms(one, [1], '0.5' as never), TypeError],
    ['a threshold below 0', () => rotatedNms(one, [1], -0.1), RangeError],
    ['a threshold above 1', () => rotatedNms(one, [1], 1.01), RangeError],
    ['a NaN threshold', () => rotatedNms(one, [1], NaN), RangeError],
    ['options that are not an object', () => rotatedNms(one, [1], 0.5, 3 as never), TypeError],
    ['null options', () => rotatedNms(one, [1], 0.5, null as never), TypeError],
    ['labels that are not array-like', () => rotatedNms(one, [1], 0.5, { labels: 2 as never }), TypeError],
    ['too few labels', () => rotatedNms(one, [1], 0.5, { labels: [] }), RangeError],
    ['a fractional label', () => rotatedNms(one, [1], 0.5, { labels: [0.5] }), RangeError],
    ['a label beyond 32 bits', () => rotatedNms(one, [1], 0.5, { labels: [2 ** 31] }), RangeError],
  ])('rejects %s', (_name, call, type) => {
    expect(call).toThrow(type);
  });
});

describe('raw binding rotatedNms / rotatedIou', () => {
  const garbage: unknown[] = [undefined, null, 0, NaN, 'x', {}, [], [1, 2, 3, 4, 5], () => 1, 10n, new Int32Array(5), new ArrayBuffer(40)];

  it('throws TypeError/RangeError for garbage, never aborts', () => {
    const raw = binding();
    const box = new Float64Array([0, 0, 4, 2, 0]);
    const score = new Float64Array([1]);
    for (const value of garbage) {
      expect(() => raw.rotatedNms(value as never, score, 0.5)).toThrow(TypeError);
      expect(() => raw.rotatedNms(box, value as never, 0.5)).toThrow(TypeError);
      expect(() => raw.rotatedIou(value as never, box)).toThrow(TypeError);
      expect(() => raw.rotatedIou(box, value as never)).toThrow(TypeError);
      if (value != null && !(value instanceof Int32Array)) expect(() => raw.rotatedNms(box, score, 0.5, value as never)).toThrow(TypeError);
    }
    expect(() => raw.rotatedNms(box, score, 'x' as never)).toThrow(TypeError);
    expect(() => raw.rotatedNms(new Float64Array(6), score, 0.5)).toThrow(RangeError);
    expect(() => raw.rotatedNms(box, new Float64Array(2), 0.5)).toThrow(RangeError);
    expect(() => raw.rotatedNms(box, score, 0.5, new Int32Array(2))).toThrow(RangeError);
    expect(() => raw.rotatedIou(box, new Float64Array(4))).toThrow(RangeError);
  });

  it('orders NaN scores first, as torch.sort does, instead of misbehaving', () => {
    const boxes = new Float64Array([0, 0, 4, 2, 0, 0, 0, 4, 2, 0, 0, 0, 4, 2, 0, 50, 0, 4, 2, 0]);
    expect(Array.from(binding().rotatedNms(boxes, new Float64Array([NaN, 1, NaN, 2]), 0.5))).toEqual([0, 3]);
  });

  it('reads a detached buffer as empty', () => {
    const boxes = new Float64Array(5);
    structuredClone(boxes.buffer, { transfer: [boxes.buffer] });
    expect(binding().rotatedNms(boxes, new Float64Array(0), 0.5).length).toBe(0);
  });
});

// ------------------------------------------------------------------ TorchScript operators

interface NmsCase {
  name: string;
  op: 'nms_rotated' | 'nms_aligned';
  dtype: 'float32' | 'float64';
  boxes: number[][];
  width: number;
  scores: number[];
  groups: number[];
  iouThreshold: number;
  expected: number[];
}

function caseInputs(c: NmsCase): Tensor[] {
  const n = c.scores.length;
  const floats = c.dtype === 'float32' ? Float32Array : Float64Array;
  return [
    new Tensor(c.dtype, floats.from(c.boxes.flat()), [n, c.width]),
    new Tensor(c.dtype, floats.from(c.scores), [n]),
    new Tensor('int64', BigInt64Array.from(c.groups, BigInt), [n]),
    new Tensor('float64', Float64Array.of(c.iouThreshold), [1]),
  ];
}

function indices(output: ModelOutput): number[] {
  if (!(output instanceof Tensor)) throw new Error('expected a Tensor');
  expect(output.dtype).toBe('int64');
  expect(output.shape.length).toBe(1);
  return Array.from(output.data as BigInt64Array, Number);
}

describe('TorchScript ops lwganet::nms_rotated / nms_aligned (models exported from Python)', () => {
  const cases: NmsCase[] = JSON.parse(fs.readFileSync(fixture('nms_cases.json'), 'utf8')).cases;

  it('registers the schemas of python/lwganet/detection/native_ops.py word for word', () => {
    const root = path.join(__dirname, '..');
    const python = fs.readFileSync(path.join(root, 'python', 'lwganet', 'detection', 'native_ops.py'), 'utf8');
    const native = fs.readFileSync(path.join(root, 'native', 'nms_ops.cc'), 'utf8');
    const schemas = (text: string) => [...text.matchAll(/"(nms_\w+\(Tensor boxes[^"]*)"/g)].map((m) => m[1]).sort();
    expect(schemas(python)).toHaveLength(2);
    expect(schemas(native)).toEqual(schemas(python));
  });

  it('covers both ops, both float dtypes, ties and empty inputs', () => {
    expect(new Set(cases.map((c) => `${c.op} ${c.dtype}`))).toEqual(
      new Set(['nms_rotated float32', 'nms_rotated float64', 'nms_aligned float32', 'nms_aligned float64']),
    );
    expect(cases.filter((c) => c.scores.length === 0).length).toBeGreaterThanOrEqual(3);
    expect(cases.some((c) => c.expected.length > 0 && c.expected.length < c.scores.length / 2)).toBe(true);
  });

  it('gives exactly the Python reference result, with run() and runSync()', async () => {
    const models = {
      nms_rotated: await loadModel(fixture('nms_rotated.pt')),
      nms_aligned: loadModelSync(fixture('nms_aligned.pt')),
    };
    for (const c of cases) {
      const model = models[c.op];
      expect(indices(await model.run(caseInputs(c))), c.name).toEqual(c.expected);
      expect(indices(model.runSync(caseInputs(c))), c.name).toEqual(c.expected);
    }
  });

  it('agrees with rotatedNms for the rotated cases (groups as labels)', () => {
    for (const c of cases.filter((x) => x.op === 'nms_rotated')) {
      expect(Array.from(rotatedNms(c.boxes as Box[], c.scores, c.iouThreshold, { labels: c.groups })), c.name).toEqual(c.expected);
    }
  });

  it('reports wrong shapes and dtypes from the kernel as input errors', async () => {
    const rotated = await loadModel(fixture('nms_rotated.pt'));
    const aligned = await loadModel(fixture('nms_aligned.pt'));
    const f32 = (values: number[], shape: number[]) => new Tensor('float32', Float32Array.from(values), shape);
    const groups = new Tensor('int64', BigInt64Array.of(0n), [1]);
    const threshold = new Tensor('float64', Float64Array.of(0.5), [1]);
    const cases: Array<[typeof rotated, Tensor[], string, RegExp]> = [
      [rotated, [f32([0, 0, 1, 1], [1, 4]), f32([1], [1]), groups, threshold], 'INPUT_SHAPE', /nms_rotated: expected boxes of shape \(N, 5\) but got \[1, 4\]/],
      [aligned, [f32([0, 0, 1, 1, 0], [1, 5]), f32([1], [1]), groups, threshold], 'INPUT_SHAPE', /nms_aligned: expected boxes of shape \(N, 4\)/],
      [rotated, [f32([0, 0, 1, 1, 0], [1, 5]), f32([1, 2], [2]), groups, threshold], 'INPUT_SHAPE', /expected scores of shape \(N,\) with N = 1/],
      [rotated, [f32([0, 0, 1, 1, 0], [1, 5]), f32([1], [1]), new Tensor('int32', Int32Array.of(0), [1]), threshold], 'INPUT_DTYPE', /expected groups of dtype int64/],
      [rotated, [f32([0, 0, 1, 1, 0], [1, 5]), new Tensor('float64', Float64Array.of(1), [1]), groups, threshold], 'INPUT_DTYPE', /expected boxes and scores of one floating point dtype but got Float and Double/],
    ];
    for (const [model, inputs, code, message] of cases) {
      const error = await model.run(inputs).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(LwganetError);
      expect((error as LwganetError).code).toBe(code);
      expect((error as Error).message).toMatch(message);
      expect((error as Error).message).not.toMatch(/frame #|Exception raised from/);
      expect(() => model.runSync(inputs)).toThrow(message);
    }
  });
});

// ------------------------------------------------------------------ argument messages

describe('rotatedNms / rotatedIou argument errors name the argument, what was expected and what came', () => {
  const one: Box[] = [[0, 0, 4, 2, 0]];
  it.each([
    [() => rotatedIou(undefined as never, [0, 0, 1, 1, 0]), TypeError, 'Expected a box [cx, cy, w, h, angle] or { cx, cy, w, h, angle } for a but received undefined of type undefined'],
    [() => rotatedIou([0, 0, 1, 1, 0], [0, 0, 1, 1] as never), RangeError, 'Expected 5 values [cx, cy, w, h, angle] for b but received an array of length 4 of type object'],
    [() => rotatedIou(['0', 0, 1, 1, 0] as never, [0, 0, 1, 1, 0]), TypeError, 'Expected a number for a[0] but received "0" of type string'],
    [() => rotatedIou([0, NaN, 1, 1, 0], [0, 0, 1, 1, 0]), RangeError, 'Expected a finite number for a[1] but received NaN of type number'],
    [() => rotatedIou([0, 0, 1, 1, 0], { cx: 0, cy: 0, w: -1, h: 1, angle: 0 }), RangeError, 'Expected a non-negative size for b.w but received -1 of type number'],
    [() => rotatedIou([0, 0, 1, 1, 0], { cx: 0, cy: 0, w: 1, h: 1 } as never), TypeError, 'Expected a number for b.angle but received undefined of type undefined'],
    [() => rotatedNms('boxes' as never, [1], 0.5), TypeError, 'Expected a Float32Array or Float64Array of N·5 values, or an array of boxes for boxes but received "boxes" of type string'],
    [() => rotatedNms(new Float64Array(7), [1], 0.5), RangeError, 'Expected a multiple of 5 (cx, cy, w, h, angle per box) for boxes.length but received 7 of type number'],
    [() => rotatedNms([[0, 0, 1, 1, 0], [0, 0, 1, 1]] as never, [1, 1], 0.5), RangeError, 'Expected 5 values [cx, cy, w, h, angle] for boxes[1] but received an array of length 4 of type object'],
    [() => rotatedNms([null] as never, [1], 0.5), TypeError, 'Expected a box [cx, cy, w, h, angle] or { cx, cy, w, h, angle } for boxes[0] but received null of type object'],
    [() => rotatedNms([3] as never, [1], 0.5), TypeError, 'Expected a box [cx, cy, w, h, angle] or { cx, cy, w, h, angle } for boxes[0] but received 3 of type number'],
    [() => rotatedNms(Float32Array.from([0, 0, 1, 1, 0, 0, 0, 1, 1, NaN]), [1, 1], 0.5), RangeError, 'Expected a finite number for boxes[9] (box 1) but received NaN of type number'],
    // Sizes are fields 2 and 3 of each box: a negative width in a typed array is caught by position.
    [() => rotatedNms(Float32Array.from([0, 0, 1, 1, 0, 0, 0, -1, 1, 0]), [1, 1], 0.5), RangeError, 'Expected a non-negative size for boxes[7] (box 1) but received -1 of type number'],
    [() => rotatedNms(Float64Array.from([0, 0, 1, 1, 0, 0, 0, 1, -1, 0]), [1, 1], 0.5), RangeError, 'Expected a non-negative size for boxes[8] (box 1) but received -1 of type number'],
    [() => rotatedNms([{ cx: 0, cy: 0, w: 1, h: -2, angle: 0 }], [1], 0.5), RangeError, 'Expected a non-negative size for boxes[0].h but received -2 of type number'],
    [() => rotatedNms(one, 1 as never, 0.5), TypeError, 'Expected an array or typed array of numbers for scores but received 1 of type number'],
    [() => rotatedNms(one, null as never, 0.5), TypeError, 'Expected an array or typed array of numbers for scores but received null of type object'],
    [() => rotatedNms(one, '1' as never, 0.5), TypeError, 'Expected an array or typed array of numbers for scores but received "1" of type string'],
    [() => rotatedNms(one, { length: 1.5 } as never, 0.5), TypeError, 'Expected an array or typed array of numbers for scores'],
    [() => rotatedNms(one, { length: -1 } as never, 0.5), TypeError, 'Expected an array or typed array of numbers for scores'],
    [() => rotatedNms(one, { length: '1' } as never, 0.5), TypeError, 'Expected an array or typed array of numbers for scores'],
    [() => rotatedNms(one, [1, 2], 0.5), RangeError, 'Expected 1 (one score per box) for scores.length but received 2 of type number'],
    [() => rotatedNms([...one, ...one], [1, NaN], 0.5), RangeError, 'Expected a number that is not NaN for scores[1] but received NaN of type number'],
    [() => rotatedNms(one, ['1'] as never, 0.5), TypeError, 'Expected a number for scores[0] but received "1" of type string'],
    [() => rotatedNms(one, [1], '0.5' as never), TypeError, 'Expected a number in [0, 1] for iouThreshold but received "0.5" of type string'],
    [() => rotatedNms(one, [1], -0.1), RangeError, 'Expected a number in [0, 1] for iouThreshold but received -0.1 of type number'],
    [() => rotatedNms(one, [1], 0.5, null as never), TypeError, 'Expected an object { labels? } or undefined for options but received null of type object'],
    [() => rotatedNms(one, [1], 0.5, { labels: 2 as never }), TypeError, 'Expected an array or typed array of integers for options.labels but received 2 of type number'],
    [() => rotatedNms(one, [1], 0.5, { labels: [] }), RangeError, 'Expected 1 (one label per box) for options.labels.length but received 0 of type number'],
    [() => rotatedNms([...one, ...one], [1, 1], 0.5, { labels: [0, '1'] as never }), TypeError, 'Expected an integer for options.labels[1] but received "1" of type string'],
    [() => rotatedNms(one, [1], 0.5, { labels: [-(2 ** 31) - 1] }), RangeError, 'Expected an integer in the 32-bit range for options.labels[0] but received -2147483649 of type number'],
  ])('%#', (call, type, message) => {
    expect(call).toThrow(type);
    expect(call).toThrow(message);
  });

  it('accepts boxes of zero size', () => {
    expect(Array.from(rotatedNms([[0, 0, 0, 0, 0], [5, 5, 0, 2, 0]], [1, 2], 0.5))).toEqual([1, 0]);
    expect(Array.from(rotatedNms(Float32Array.from([0, 0, 0, 0, 0]), [1], 0.5))).toEqual([0]);
  });

  it('accepts the ends of the 32-bit label range, scores of ±Infinity and thresholds 0 and 1', () => {
    const two: Box[] = [[0, 0, 4, 2, 0], [10, 0, 4, 2, 0]];
    expect(Array.from(rotatedNms(two, [1, 2], 0.5, { labels: [-(2 ** 31), 2 ** 31 - 1] }))).toEqual([1, 0]);
    expect(Array.from(rotatedNms(two, [-Infinity, Infinity], 0))).toEqual([1, 0]);
    expect(Array.from(rotatedNms(two, { length: 2, 0: 1, 1: 2 } as never, 1))).toEqual([1, 0]);
  });
});
