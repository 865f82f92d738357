/**
 * Batching for compiled (.pt2) models: each entry of a package runs one static shape, so the
 * pool forms batches of the compiled batch sizes only, padding a short batch with zero rows up
 * to the next compiled size (the padded rows' outputs are dropped).
 */

import type { Model } from '../model/model.js';
import { Tensor } from '../tensor/tensor.js';
import type { TypedArray } from '../tensor/dtype.js';
import type { OrderedInputs } from './batching.js';

/** The batch sizes a pool may run a model at: null for TorchScript or a package with a dynamic entry. */
export function compiledBatchSizes(model: Model): number[] | null {
  if (model.compiledEntries === null || model.compiledEntries.some((entry) => entry.dynamic !== null)) return null;
  return model.compiledBatchSizes;
}

/** The most rows one forward may hold: the largest compiled size within maxBatch (else the smallest). */
export function batchCap(sizes: readonly number[], maxBatch: number): number {
  const fitting = sizes.filter((size) => size <= maxBatch);
  return fitting.length > 0 ? Math.max(...fitting) : Math.min(...sizes);
}

/** The compiled size a forward of `rows` rows runs at (rows padded up to it), or null if none holds them. */
export function runSize(sizes: readonly number[], rows: number): number | null {
  const holding = sizes.filter((size) => size >= rows);
  return holding.length > 0 ? Math.min(...holding) : null;
}

/** The inputs with `extra` zero rows appended along dim 0 (a copy). */
export function padRows(inputs: OrderedInputs, extra: number): OrderedInputs {
  if (extra === 0) return inputs;
  return inputs.map((input) => {
    if (input === null) return null;
    const rowSize = input.shape.slice(1).reduce((a, b) => a * b, 1);
    const data = new (input.data.constructor as new (length: number) => TypedArray)(input.size + extra * rowSize);
    (data as Float32Array).set(input.data as Float32Array, 0);
    return new Tensor(input.dtype, data, [input.shape[0] + extra, ...input.shape.slice(1)]);
  });
}
