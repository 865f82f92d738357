// The pure batching rules for compiled packages: the cap, the size a batch runs at, the padding.
import { describe, expect, it } from 'vitest';
import { Tensor } from '../lib/index.js';
import { batchCap, padRows, runSize } from '../lib/pool/compiled-batches.js';

describe('compiled batch sizes', () => {
  it('caps a batch at the largest compiled size within maxBatch (the smallest when none fits)', () => {
    expect(batchCap([1, 4, 16], 8)).toBe(4);
    expect(batchCap([1, 4, 16], 16)).toBe(16);
    expect(batchCap([16], 8)).toBe(16);
  });

  it('runs a batch at the smallest compiled size holding it, or nowhere', () => {
    expect(runSize([1, 4, 16], 1)).toBe(1);
    expect(runSize([1, 4, 16], 3)).toBe(4);
    expect(runSize([1, 4, 16], 5)).toBe(16);
    expect(runSize([1, 4, 16], 17)).toBeNull();
  });

  it('pads with zero rows after the real ones, leaving nulls and the caller tensors alone', () => {
    const x = new Tensor('float32', Float32Array.from([1, 2, 3, 4]), [2, 2]);
    const [padded, skipped] = padRows([x, null], 2);
    expect(skipped).toBeNull();
    expect(padded!.shape).toEqual([4, 2]);
    expect(Array.from(padded!.data as Float32Array)).toEqual([1, 2, 3, 4, 0, 0, 0, 0]);
    expect(Array.from(x.data as Float32Array)).toEqual([1, 2, 3, 4]);
    expect(padRows([x], 0)[0]).toBe(x);
  });
});
