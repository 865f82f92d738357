/**
 * Rotated non-maximum suppression and the exact IoU of two rotated rectangles, computed natively
 * (native/nms.cc: polygon clipping in double precision). Arguments are checked here, before
 * they cross into C++. Same semantics as the detector's TorchScript op lwganet::nms_rotated
 * (python/lwganet/detection/native_ops.py).
 */

import { binding } from '../native/binding.js';
import { invalidArgument } from '../errors.js';

/** A rotated box as an object: centre, width, height, angle in radians, le90: θ ∈ [−π/2, π/2), w ≥ h). */
export interface RotatedBoxLike {
  readonly cx: number;
  readonly cy: number;
  readonly w: number;
  readonly h: number;
  readonly angle: number;
}

/** A rotated box as a tuple [cx, cy, w, h, angle]. */
export type RotatedBoxTuple = readonly [number, number, number, number, number];

/**
 * N boxes: a Float32Array / Float64Array of N·5 values (cx, cy, w, h, angle per box), or an
 * array of tuples or objects.
 */
export type RotatedBoxes = Float32Array | Float64Array | ReadonlyArray<RotatedBoxTuple | RotatedBoxLike>;

export interface RotatedNmsOptions {
  /** Class of each box: boxes suppress only boxes of the same label. Integers. */
  readonly labels?: ArrayLike<number>;
}

const FIELDS = ['cx', 'cy', 'w', 'h', 'angle'] as const;
const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;

function checkBoxValue(value: unknown, name: string, field: number): number {
  if (typeof value !== 'number') throw invalidArgument(name, 'a number', value);
  if (!Number.isFinite(value)) throw invalidArgument(name, 'a finite number', value, 'range');
  // w and h: a negative size is no rectangle.
  if ((field === 2 || field === 3) && value < 0) throw invalidArgument(name, 'a non-negative size', value, 'range');
  return value;
}

function readBox(box: unknown, name: string, out: Float64Array, offset: number): void {
  if (Array.isArray(box) || ArrayBuffer.isView(box)) {
    const tuple = box as ArrayLike<unknown>;
    if (tuple.length !== 5) throw invalidArgument(name, '5 values [cx, cy, w, h, angle]', box, 'range');
    for (let k = 0; k < 5; k++) out[offset + k] = checkBoxValue(tuple[k], `${name}[${k}]`, k);
  } else if (box !== null && typeof box === 'object') {
    const fields = box as Record<string, unknown>;
    for (let k = 0; k < 5; k++) out[offset + k] = checkBoxValue(fields[FIELDS[k]], `${name}.${FIELDS[k]}`, k);
  } else {
    throw invalidArgument(name, 'a box [cx, cy, w, h, angle] or { cx, cy, w, h, angle }', box);
  }
}

/** The addon reads typed arrays in place, which N-API refuses for SharedArrayBuffer memory: copy those. */
function unshared<T extends Float32Array | Float64Array | Int32Array>(array: T): T {
  return typeof SharedArrayBuffer !== 'undefined' && array.buffer instanceof SharedArrayBuffer ? (array.slice() as T) : array;
}

/** Boxes as N·5 floats for the addon: typed arrays are checked and passed as they are. */
function readBoxes(boxes: unknown, name: string): Float32Array | Float64Array {
  if (boxes instanceof Float32Array || boxes instanceof Float64Array) {
    if (boxes.length % 5 !== 0) {
      throw invalidArgument(`${name}.length`, 'a multiple of 5 (cx, cy, w, h, angle per box)', boxes.length, 'range');
    }
    for (let i = 0; i < boxes.length; i++) checkBoxValue(boxes[i], `${name}[${i}] (box ${Math.floor(i / 5)})`, i % 5);
    return unshared(boxes);
  }
  if (!Array.isArray(boxes)) {
    throw invalidArgument(name, 'a Float32Array or Float64Array of N·5 values, or an array of boxes', boxes);
  }
  const out = new Float64Array(boxes.length * 5);
  boxes.forEach((box, i) => readBox(box, `${name}[${i}]`, out, i * 5));
  return out;
}

function isArrayLike(value: unknown): value is ArrayLike<unknown> {
  return (
    value !== null &&
    typeof value === 'object' &&
    typeof (value as { length?: unknown }).length === 'number' &&
    Number.isInteger((value as { length: number }).length) &&
    (value as { length: number }).length >= 0
  );
}

function readScores(scores: unknown, count: number): Float32Array | Float64Array {
  if (!isArrayLike(scores)) throw invalidArgument('scores', 'an array or typed array of numbers', scores);
  if (scores.length !== count) throw invalidArgument('scores.length', `${count} (one score per box)`, scores.length, 'range');
  // ±Infinity orders fine; NaN has no place in a descending order.
  for (let i = 0; i < count; i++) {
    const score = scores[i];
    if (typeof score !== 'number') throw invalidArgument(`scores[${i}]`, 'a number', score);
    if (Number.isNaN(score)) throw invalidArgument(`scores[${i}]`, 'a number that is not NaN', score, 'range');
  }
  return scores instanceof Float32Array || scores instanceof Float64Array ? unshared(scores) : Float64Array.from(scores as ArrayLike<number>);
}

function readLabels(labels: unknown, count: number): Int32Array {
  if (!isArrayLike(labels)) throw invalidArgument('options.labels', 'an array or typed array of integers', labels);
  if (labels.length !== count) throw invalidArgument('options.labels.length', `${count} (one label per box)`, labels.length, 'range');
  for (let i = 0; i < count; i++) {
    const label = labels[i];
    if (typeof label !== 'number') throw invalidArgument(`options.labels[${i}]`, 'an integer', label);
    if (!Number.isInteger(label) || label < INT32_MIN || label > INT32_MAX) {
      throw invalidArgument(`options.labels[${i}]`, 'an integer in the 32-bit range', label, 'range');
    }
  }
  return labels instanceof Int32Array ? unshared(labels) : Int32Array.from(labels as ArrayLike<number>);
}

function readThreshold(iouThreshold: unknown): number {
  if (typeof iouThreshold !== 'number') throw invalidArgument('iouThreshold', 'a number in [0, 1]', iouThreshold);
  if (!(iouThreshold >= 0 && iouThreshold <= 1)) throw invalidArgument('iouThreshold', 'a number in [0, 1]', iouThreshold, 'range');
  return iouThreshold;
}

/**
 * Greedy rotated NMS with the exact IoU of the rectangles. Boxes are visited by descending
 * score, ties by ascending index; a box is dropped when its IoU with an already kept box (of
 * the same label, when labels are given) is greater than `iouThreshold`.
 * Returns the kept indices, by descending score (ties by index).
 */
export function rotatedNms(
  boxes: RotatedBoxes,
  scores: ArrayLike<number>,
  iouThreshold: number,
  options?: RotatedNmsOptions,
): Int32Array {
  const flat = readBoxes(boxes, 'boxes');
  const count = flat.length / 5;
  const checkedScores = readScores(scores, count);
  const threshold = readThreshold(iouThreshold);
  if (options !== undefined && (options === null || typeof options !== 'object')) {
    throw invalidArgument('options', 'an object { labels? } or undefined', options);
  }
  const labels = options?.labels === undefined ? undefined : readLabels(options.labels, count);
  return binding().rotatedNms(flat, checkedScores, threshold, labels);
}

/** Exact IoU of two rotated rectangles (intersection polygon area over union area), in [0, 1]. */
export function rotatedIou(a: RotatedBoxTuple | RotatedBoxLike, b: RotatedBoxTuple | RotatedBoxLike): number {
  const pair = new Float64Array(10);
  readBox(a, 'a', pair, 0);
  readBox(b, 'b', pair, 5);
  return binding().rotatedIou(pair.subarray(0, 5), pair.subarray(5));
}
