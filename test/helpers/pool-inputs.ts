// Inputs and comparisons shared by the pool tests.
import { Tensor, type ModelOutput } from '../../lib/index.js';

/** A seeded [rows, 3, 224, 224] image batch: each request gets visibly different data. */
export function image(seed: number, rows = 1): Tensor {
  const size = rows * 3 * 224 * 224;
  return new Tensor('float32', Float32Array.from({ length: size }, (_, i) => Math.sin(i * 0.0007 * (seed + 1)) * 0.5 + 0.5), [rows, 3, 224, 224]);
}

/** A small [rows, width] tensor whose values encode the request (seed) and the position. */
export function small(seed: number, rows: number, width = 5): Tensor {
  return new Tensor('float32', Float32Array.from({ length: rows * width }, (_, i) => seed * 100 + i), [rows, width]);
}

export function asTensor(value: ModelOutput): Tensor {
  if (!(value instanceof Tensor)) throw new Error(`Expected a Tensor output, got ${typeof value}`);
  return value;
}

export function maxAbsDiff(a: Tensor, b: Tensor): number {
  if (a.shape.join() !== b.shape.join()) return Infinity;
  let max = 0;
  for (let i = 0; i < a.data.length; i++) max = Math.max(max, Math.abs(Number(a.data[i]) - Number(b.data[i])));
  return max;
}

/** Resolves once `condition` holds, checking on every turn of the event loop. */
export async function until(condition: () => boolean, what: string, limitMs = 60_000): Promise<void> {
  const start = Date.now();
  while (!condition()) {
    if (Date.now() - start > limitMs) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/** The settled outcome of a promise, to assert on several at once. */
export function outcome<T>(promise: Promise<T>): Promise<{ ok: true; value: T } | { ok: false; error: Error }> {
  return promise.then((value) => ({ ok: true as const, value }), (error: Error) => ({ ok: false as const, error }));
}

/** A tensor's elements as plain numbers (the pool tests use no int64 data). */
export function values(tensor: Tensor): number[] {
  return Array.from(tensor.data as ArrayLike<number>, Number);
}
