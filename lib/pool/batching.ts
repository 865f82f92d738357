/**
 * The pure part of dynamic batching: which requests may share a forward (batchKey), how their
 * inputs are stacked along dim 0 (concatInputs) and how a batched output is cut back into
 * one output per request (splitOutput). No I/O, no timers: the pool decides when to batch.
 */

import type { ModelOutput } from '../model/model.js';
import { Tensor } from '../tensor/tensor.js';
import type { TypedArray } from '../tensor/dtype.js';

/** Inputs in forward's order; null stands for an omitted optional argument. */
export type OrderedInputs = ReadonlyArray<Tensor | null>;

/**
 * The number of items a request carries along dim 0, or null when it cannot be batched:
 * no tensor at all, a 0-d tensor, or tensors that disagree on dim 0 (then dim 0 is not a
 * batch dimension for this call, and stacking would mix up which rows belong to whom).
 */
export function itemCount(inputs: OrderedInputs): number | null {
  let count: number | null = null;
  for (const input of inputs) {
    if (input === null) continue;
    if (input.shape.length === 0) return null;
    if (count === null) count = input.shape[0];
    else if (input.shape[0] !== count) return null;
  }
  return count === null || count === 0 ? null : count;
}

/**
 * Requests with equal keys can be concatenated: same arity, same omitted optionals, and per
 * input the same dtype and the same shape apart from dim 0. Null when the request must run alone.
 */
export function batchKey(inputs: OrderedInputs): string | null {
  if (itemCount(inputs) === null) return null;
  return inputs.map((input) => (input === null ? '-' : `${input.dtype}[${input.shape.slice(1).join(',')}]`)).join('|');
}

/**
 * Stacks the requests' inputs along dim 0 (one copy per input). A single request is passed
 * through untouched, so an unbatched forward reads the caller's memory without copying.
 */
export function concatInputs(requests: ReadonlyArray<OrderedInputs>): OrderedInputs {
  if (requests.length === 1) return requests[0];
  return requests[0].map((first, position) => {
    if (first === null) return null;
    const parts = requests.map((inputs) => inputs[position] as Tensor);
    const total = parts.reduce((sum, part) => sum + part.size, 0);
    const data = new (first.data.constructor as new (length: number) => TypedArray)(total);
    let offset = 0;
    for (const part of parts) {
      // Same dtype is guaranteed by batchKey, so the typed arrays are of the same kind.
      (data as Float32Array).set(part.data as Float32Array, offset);
      offset += part.size;
    }
    const rows = parts.reduce((sum, part) => sum + part.shape[0], 0);
    return new Tensor(first.dtype, data, [rows, ...first.shape.slice(1)]);
  });
}

/** Rows [start, start + rows) of a tensor whose dim 0 is the batch: a view, not a copy. */
function sliceRows(tensor: Tensor, start: number, rows: number): Tensor {
  const rowSize = tensor.shape.slice(1).reduce((a, b) => a * b, 1);
  const view = tensor.data.subarray(start * rowSize, (start + rows) * rowSize);
  return new Tensor(tensor.dtype, view, [rows, ...tensor.shape.slice(1)]);
}

/** True when every leaf of the output is a tensor whose dim 0 has `total` rows. */
export function isSplittable(output: ModelOutput, total: number): boolean {
  if (output instanceof Tensor) return output.shape.length > 0 && output.shape[0] === total;
  if (Array.isArray(output)) return output.length > 0 && output.every((item) => isSplittable(item, total));
  if (typeof output === 'object' && output !== null && typeof output !== 'bigint') {
    const values = Object.values(output);
    return values.length > 0 && values.every((item) => isSplittable(item, total));
  }
  // Scalars, strings and None describe the whole batch, not one item: they cannot be split.
  return false;
}

function take(output: ModelOutput, start: number, rows: number): ModelOutput {
  if (output instanceof Tensor) return sliceRows(output, start, rows);
  if (Array.isArray(output)) return output.map((item) => take(item, start, rows));
  const record: { [key: string]: ModelOutput } = {};
  for (const [key, item] of Object.entries(output as { [key: string]: ModelOutput })) record[key] = take(item, start, rows);
  return record;
}

/**
 * Cuts a batched output back into one output per request, in request order, keeping the
 * structure (tensor, tuple/list as array, dict as record). Returns null when the output is not
 * splittable (see isSplittable). The slices are views sharing the batch's buffer.
 */
export function splitOutput(output: ModelOutput, rowsPerRequest: readonly number[]): ModelOutput[] | null {
  if (rowsPerRequest.length === 1) return [output];
  const total = rowsPerRequest.reduce((a, b) => a + b, 0);
  if (!isSplittable(output, total)) return null;
  let start = 0;
  return rowsPerRequest.map((rows) => {
    const part = take(output, start, rows);
    start += rows;
    return part;
  });
}
