/**
 * What JSON.stringify writes for a pipeline's result: everything but the pixel arrays, each of
 * which becomes a summary (`{ type: 'Uint8Array', length, preview }`). A typed array would
 * otherwise serialise as an object of one key per pixel: megabytes for one 1024² mask. To keep
 * the arrays, serialise them yourself (`Array.from(result.mask)`, or write the mask file).
 */

import { PREVIEW_VALUES } from '../tensor/tensor.js';

/** How a typed array appears in a result's JSON. */
export interface ArraySummary {
  type: string;
  length: number;
  /** The first few values. */
  preview: number[];
}

function summarise(value: unknown): unknown {
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) {
    const array = value as unknown as ArrayLike<number | bigint>;
    const preview = Array.from({ length: Math.min(PREVIEW_VALUES, array.length) }, (_, i) => Number(array[i]));
    return { type: value.constructor.name, length: array.length, preview } satisfies ArraySummary;
  }
  if (Array.isArray(value)) return value.map(summarise);
  if (typeof value === 'object' && value !== null) {
    if (typeof (value as { toJSON?: unknown }).toJSON === 'function') return value;
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, summarise(item)]));
  }
  return value;
}

/**
 * Gives `result` a toJSON() (not enumerable, so spreading, equality and structured cloning see
 * the plain result) that writes its typed arrays as summaries. Returns `result`.
 */
export function withJsonSummary<T extends object>(result: T): T {
  Object.defineProperty(result, 'toJSON', {
    value: () => Object.fromEntries(Object.entries(result).map(([key, item]) => [key, summarise(item)])),
    enumerable: false,
    configurable: true,
    writable: true,
  });
  return result;
}
