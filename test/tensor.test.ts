import { describe, expect, it } from 'vitest';
import { DTYPES, Tensor } from '../lib/index.js';

describe('Tensor', () => {
  it('wraps a typed array without copying and keeps dtype/shape read-only', () => {
    const data = new Float32Array([1, 2, 3, 4, 5, 6]);
    const t = new Tensor('float32', data, [2, 3]);
    expect(t.data).toBe(data);
    expect(t.shape).toEqual([2, 3]);
    expect(t.size).toBe(6);
    expect(Object.isFrozen(t.shape)).toBe(true);
    expect(() => {
      (t as unknown as { dtype: string }).dtype = 'int32';
    }).toThrow(TypeError);
  });

  it('maps every dtype to its typed array', () => {
    const expected: Record<string, string> = {
      float32: 'Float32Array', float64: 'Float64Array', float16: 'Uint16Array', uint8: 'Uint8Array',
      int8: 'Int8Array', int32: 'Int32Array', int64: 'BigInt64Array', bool: 'Uint8Array',
    };
    for (const dtype of DTYPES) {
      const t = new Tensor(dtype, dtype === 'int64' ? [1n, 2n] : [1, 0], [2]);
      expect(t.data.constructor.name).toBe(expected[dtype]);
    }
  });

  it('copies plain arrays once and defaults the shape to 1-D', () => {
    const t = new Tensor('int64', [1n, -2n, 3n]);
    expect(t.shape).toEqual([3]);
    expect(Array.from(t.data)).toEqual([1n, -2n, 3n]);
    expect(Array.from(new Tensor('bool', [true, false, true]).data)).toEqual([1, 0, 1]);
  });

  it('reshape shares the data', () => {
    const t = new Tensor('int32', new Int32Array(12), [3, 4]);
    const r = t.reshape([2, 2, 3]);
    expect(r.data).toBe(t.data);
    expect(r.shape).toEqual([2, 2, 3]);
    expect(() => t.reshape([5])).toThrow(RangeError);
  });

  describe('bad calls', () => {
    it('rejects an unknown dtype', () => {
      expect(() => new Tensor('float8' as never, [1] as never)).toThrow(
        'Expected one of float32, float64, float16, uint8, int8, int32, int64, bool for dtype but received "float8" of type string',
      );
    });
    it('rejects data of the wrong typed array kind', () => {
      expect(() => new Tensor('float32', new Float64Array(2) as never)).toThrow(TypeError);
      expect(() => new Tensor('int64', [1, 2] as never)).toThrow('Expected a bigint for data[0]');
    });
    it('rejects a shape that does not match the data', () => {
      expect(() => new Tensor('float32', new Float32Array(6), [4, 2])).toThrow(
        'Tensor shape [4, 2] holds 8 elements but data has 6',
      );
    });
    it('rejects negative, fractional and non-numeric dimensions', () => {
      expect(() => new Tensor('float32', new Float32Array(2), [-2])).toThrow(RangeError);
      expect(() => new Tensor('float32', new Float32Array(2), [1.5] as never)).toThrow(TypeError);
      expect(() => new Tensor('float32', new Float32Array(2), ['2'] as never)).toThrow(TypeError);
      expect(() => new Tensor('float32', new Float32Array(2), 2 as never)).toThrow(TypeError);
    });
  });

  describe('logging and serialising', () => {
    it('prints a one-line summary with a few values, never the whole data', () => {
      const big = new Tensor('float32', Float32Array.from({ length: 1 * 3 * 224 * 224 }, (_, i) => i / 2), [1, 3, 224, 224]);
      expect(`${big}`).toBe('Tensor float32 [1, 3, 224, 224] [0, 0.5, 1, 1.5, 2, 2.5, … 150522 more]');
      expect(String(new Tensor('int64', [1n, -2n], [2]))).toBe('Tensor int64 [2] [1n, -2n]');
      expect(String(new Tensor('float16', new Uint16Array([0x3c00, 0xc000]), [2]))).toBe('Tensor float16 [2] [1, -2]');
      expect(String(new Tensor('uint8', new Uint8Array(0), [0, 3]))).toBe('Tensor uint8 [0, 3] []');
    });

    it('serialises to dtype, shape, size and a preview (int64 as strings), not to one key per element', () => {
      const mask = new Tensor('uint8', new Uint8Array(1024 * 1024).fill(7), [1024, 1024]);
      const json = JSON.stringify(mask);
      expect(JSON.parse(json)).toEqual({ dtype: 'uint8', shape: [1024, 1024], size: 1048576, preview: [7, 7, 7, 7, 7, 7] });
      expect(json.length).toBeLessThan(200);
      expect(JSON.parse(JSON.stringify(new Tensor('int64', [2n ** 60n], [1]))).preview).toEqual(['1152921504606846976']);
    });

    it('has dims, as onnxruntime tensors do', () => {
      const t = new Tensor('float32', new Float32Array(6), [2, 3]);
      expect(t.dims).toBe(t.shape);
      expect(t.dims).toEqual([2, 3]);
    });
  });
});
