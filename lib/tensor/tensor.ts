/**
 * Tensor: a dtype, a shape and a typed array, in the argument order onnxruntime-node users know:
 * `new Tensor('float32', data, [1, 3, 224, 224])`. The data is never copied when it already is
 * the right typed array, so a Tensor can wrap memory the caller owns. SharedArrayBuffer memory is
 * refused; a resizable ArrayBuffer is fine (run() copies its inputs before it returns, runSync()
 * lets no JavaScript run while it reads them).
 */

import { type DType, type DataTypeMap, TYPED_ARRAY_OF, isDType, matchesDType, DTYPES } from './dtype.js';
import { invalidArgument } from '../errors.js';
import { halfToNumber } from '../tasks/half.js';

export type TensorData<D extends DType> = DataTypeMap[D];

/** Plain arrays accepted for convenience (copied once into the right typed array). */
export type TensorDataLike<D extends DType> =
  | DataTypeMap[D]
  | (D extends 'int64' ? readonly bigint[] : D extends 'bool' ? readonly boolean[] | readonly number[] : readonly number[]);

const MAX_DIMS = 64;

/** Values shown by Tensor.toString() and toJSON(). */
export const PREVIEW_VALUES = 6;

/** Tensor.toJSON()'s summary. */
export interface TensorSummary {
  dtype: DType;
  shape: number[];
  size: number;
  /** The first PREVIEW_VALUES values (int64 as decimal strings, as JSON has no 64-bit integers). */
  preview: Array<number | string>;
}

/** The first values as numbers (float16 bits decoded; int64 as decimal strings). */
function previewList(dtype: DType, data: ArrayLike<number | bigint>): Array<number | string> {
  const out: Array<number | string> = [];
  for (let i = 0; i < Math.min(PREVIEW_VALUES, data.length); i++) {
    const v = data[i];
    out.push(typeof v === 'bigint' ? v.toString() : dtype === 'float16' ? halfToNumber(v) : v);
  }
  return out;
}

function previewValues(dtype: DType, data: ArrayLike<number | bigint>): string {
  const shown = previewList(dtype, data).map((v) => (typeof v === 'string' ? `${v}n` : String(v)));
  if (data.length > PREVIEW_VALUES) shown.push(`… ${data.length - PREVIEW_VALUES} more`);
  return `[${shown.join(', ')}]`;
}

function checkShape(shape: unknown): readonly number[] {
  if (!Array.isArray(shape)) throw invalidArgument('shape', 'an array of non-negative integers', shape);
  if (shape.length > MAX_DIMS) throw invalidArgument('shape', `at most ${MAX_DIMS} dimensions`, shape, 'range');
  shape.forEach((dim, i) => {
    if (typeof dim !== 'number' || !Number.isSafeInteger(dim)) {
      throw invalidArgument(`shape[${i}]`, 'a non-negative integer', dim);
    }
    if (dim < 0) throw invalidArgument(`shape[${i}]`, 'a non-negative integer', dim, 'range');
  });
  return Object.freeze([...shape]);
}

function toTypedArray<D extends DType>(dtype: D, data: unknown): DataTypeMap[D] {
  if (matchesDType(dtype, data)) return data as DataTypeMap[D];
  const Ctor = TYPED_ARRAY_OF[dtype];
  if (Array.isArray(data)) {
    const out = new Ctor(data.length) as DataTypeMap[D];
    data.forEach((v, i) => {
      const ok = dtype === 'int64' ? typeof v === 'bigint' : dtype === 'bool' ? typeof v === 'boolean' || typeof v === 'number' : typeof v === 'number';
      if (!ok) throw invalidArgument(`data[${i}]`, dtype === 'int64' ? 'a bigint' : 'a number', v);
      (out as unknown as { [k: number]: number | bigint })[i] = dtype === 'bool' ? (v ? 1 : 0) : (v as number | bigint);
    });
    return out;
  }
  throw invalidArgument('data', `a ${Ctor.name} (or a plain array) for ${dtype} tensors`, data);
}

/**
 * @internal The native addon's key to Tensor's unchecked construction path. lib/native/binding.ts
 * hands it to the addon with the class (setTensorClass); it is not exported from the package,
 * so user code cannot skip the checks.
 */
export const FROM_ADDON: object = Object.freeze({});

export class Tensor<D extends DType = DType> {
  readonly dtype: D;
  readonly data: TensorData<D>;
  readonly shape: readonly number[];

  /**
   * @param dtype element type
   * @param data a typed array of the dtype's kind (wrapped, not copied) or a plain array (copied)
   * @param shape dimensions; defaults to `[data.length]`. Their product must equal `data.length`.
   */
  constructor(dtype: D, data: TensorDataLike<D>, shape?: readonly number[]);
  constructor(dtype: D, data: TensorDataLike<D>, shape?: readonly number[], from?: object) {
    if (from === FROM_ADDON) {
      // A model output: the addon took the dtype from its own table, made a typed array of that
      // dtype's kind over the output's memory and a fresh array of the output's sizes, so each
      // check below would hold; skipping them keeps a run() free of per-output work.
      this.dtype = dtype;
      this.data = data as TensorData<D>;
      this.shape = Object.freeze(shape as number[]);
      Object.freeze(this);
      return;
    }
    if (!isDType(dtype)) throw invalidArgument('dtype', `one of ${DTYPES.join(', ')}`, dtype);
    const typed = toTypedArray(dtype, data);
    if (Object.prototype.toString.call(typed.buffer) === '[object SharedArrayBuffer]') {
      // Another thread could change (or grow) it while a model reads it, and the addon cannot read it.
      throw new TypeError(`Tensor data must live in an ArrayBuffer, not a SharedArrayBuffer: copy it first (new ${typed.constructor.name}(data))`);
    }
    const dims = shape === undefined ? Object.freeze([typed.length]) : checkShape(shape);
    const size = dims.reduce((a, b) => a * b, 1);
    if (size !== typed.length) {
      throw new RangeError(`Tensor shape [${dims.join(', ')}] holds ${size} elements but data has ${typed.length}`);
    }
    this.dtype = dtype;
    this.data = typed;
    this.shape = dims;
    Object.freeze(this);
  }

  /** Number of elements. */
  get size(): number {
    return this.data.length;
  }

  /** The shape, under the name onnxruntime's Tensor uses. */
  get dims(): readonly number[] {
    return this.shape;
  }

  /**
   * A one-line summary for logs: `Tensor float32 [1, 3, 224, 224] [0.1, 0.2, 0.3, … 150525 more]`.
   * The data is never printed whole; `tensor.data` is there for that.
   */
  toString(): string {
    return `Tensor ${this.dtype} [${this.shape.join(', ')}] ${previewValues(this.dtype, this.data)}`;
  }

  /**
   * What JSON.stringify writes: dtype, shape, size and the first few values, not the data (a
   * 1024² mask would be megabytes of `{"0":7,…}`). Serialise `Array.from(tensor.data)` to
   * keep every value.
   */
  toJSON(): TensorSummary {
    return { dtype: this.dtype, shape: [...this.shape], size: this.size, preview: previewList(this.dtype, this.data) };
  }

  /** Same data, another shape with the same number of elements (no copy). */
  reshape(shape: readonly number[]): Tensor<D> {
    return new Tensor(this.dtype, this.data as TensorDataLike<D>, shape);
  }
}
