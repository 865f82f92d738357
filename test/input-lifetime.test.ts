// run() must not read caller memory after it returns: the caller may transfer (and let the GC
// free) or shrink the input's ArrayBuffer while the forward runs. SharedArrayBuffer data is
// refused up front.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { LwganetError, Tensor, loadModel } from '../lib/index.js';
import { fixture } from './helpers/fixtures.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const SIDE = 512; // slow.pt: forward(x: [512, 512] float32), a fraction of a second
const filled = (data: Float32Array) => data.map((_, i) => Math.sin(i) + 1);

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
  return worst;
}

describe('input memory during run()', () => {
  it('a transferred input buffer collected by the GC during the forward: the result is that of the original input', async () => {
    const model = await loadModel(fixture('slow.pt'), { threads: 1 });
    const reference = filled(new Float32Array(SIDE * SIDE));
    const expected = (model.runSync(new Tensor('float32', reference, [SIDE, SIDE])) as Tensor).data as Float32Array;
    for (let round = 0; round < 3; round++) {
      let buffer: ArrayBuffer | null = filled(new Float32Array(SIDE * SIDE)).buffer;
      const pending = model.run(new Tensor('float32', new Float32Array(buffer), [SIDE, SIDE]));
      // Moves the memory to a new owner that nobody keeps, then collects it (and reuses the heap).
      structuredClone(buffer, { transfer: [buffer] });
      buffer = null;
      gc();
      const scribble = Array.from({ length: 8 }, () => new Float32Array(SIDE * SIDE).fill(-7));
      const out = (await pending) as Tensor;
      expect(scribble.length).toBe(8);
      expect(maxDiff(out.data as Float32Array, expected)).toBeLessThan(1e-5);
    }
  });

  it('a resizable input buffer shrunk to 0 bytes during the forward: the forward completes on the original values', async () => {
    const model = await loadModel(fixture('slow.pt'), { threads: 1 });
    const reference = filled(new Float32Array(SIDE * SIDE));
    const expected = (model.runSync(new Tensor('float32', reference, [SIDE, SIDE])) as Tensor).data as Float32Array;
    const bytes = SIDE * SIDE * 4;
    const buffer = new (ArrayBuffer as unknown as new (n: number, o: { maxByteLength: number }) => ArrayBuffer & { resize(n: number): void })(bytes, { maxByteLength: bytes });
    const data = new Float32Array(buffer, 0, SIDE * SIDE);
    data.set(reference);
    const input = new Tensor('float32', data, [SIDE, SIDE]);
    const pending = model.run(input);
    buffer.resize(0);
    gc();
    const out = (await pending) as Tensor;
    expect(maxDiff(out.data as Float32Array, expected)).toBeLessThan(1e-5);
    // Once shrunk, the same Tensor holds no data: an argument error, not a crash.
    await expect(model.run(input)).rejects.toThrow(RangeError);
    expect(() => model.runSync(input)).toThrow(RangeError);
  });

  it('refuses SharedArrayBuffer data with a TypeError (Tensor construction, and a forged tensor at run())', async () => {
    const shared = new Float32Array(new SharedArrayBuffer(16));
    expect(() => new Tensor('float32', shared, [4])).toThrow(TypeError);
    expect(() => new Tensor('float32', shared, [4])).toThrow(/SharedArrayBuffer/);
    const model = await loadModel(fixture('identity.pt'));
    const forged = Object.create(Tensor.prototype, {
      dtype: { value: 'float32' },
      data: { value: shared },
      shape: { value: [4] },
    }) as Tensor;
    const refusal = await model.run(forged).catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(TypeError);
    expect(refusal).not.toBeInstanceOf(LwganetError);
    expect(String(refusal)).toMatch(/SharedArrayBuffer/);
    expect(() => model.runSync(forged)).toThrow(TypeError);
  });
});
