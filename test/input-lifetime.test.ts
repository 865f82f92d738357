// run() must not read caller memory after it returns: the caller may transfer (and let the GC
// free) or shrink the input's ArrayBuffer while the forward runs. SharedArrayBuffer data is
// refused up front.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { LwganetError, Tensor, loadModel, type Model } from '../lib/index.js';
import { binding } from '../lib/native/binding.js';
import { fixture } from './helpers/fixtures.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const SIDE = 512; // slow.pt: forward(x: [512, 512] float32), a fraction of a second; 1 MiB
const filled = (data: Float32Array) => data.map((_, i) => Math.sin(i) + 1);

/**
 * Occupies every inference thread with a slow forward, so a forward submitted next waits in the
 * queue and reads its input only after the test has freed or shrunk it.
 */
function occupyInferenceThreads(model: Model): Promise<unknown> {
  const busy = new Tensor('float32', filled(new Float32Array(SIDE * SIDE)), [SIDE, SIDE]);
  return Promise.all(Array.from({ length: binding().devices().inferenceThreads }, () => model.run(busy)));
}

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
  return worst;
}

describe('input memory during run()', () => {
  it('a transferred input buffer collected by the GC during the forward: the result is that of the original input', async () => {
    const slow = await loadModel(fixture('slow.pt'), { threads: 1 });
    const plusOne = await loadModel(fixture('plus_one.pt'), { threads: 1 });
    const expected = filled(new Float32Array(SIDE * SIDE)).map((v) => v + 1);
    for (let round = 0; round < 2; round++) {
      const busy = occupyInferenceThreads(slow);
      let buffer: ArrayBuffer | null = filled(new Float32Array(SIDE * SIDE)).buffer; // 1 MiB
      const pending = plusOne.run(new Tensor('float32', new Float32Array(buffer), [SIDE, SIDE]));
      // Moves the memory to a new owner that nobody keeps, then collects it (and reuses the heap).
      structuredClone(buffer, { transfer: [buffer] });
      buffer = null;
      gc();
      const scribble = Array.from({ length: 8 }, () => new Float32Array(SIDE * SIDE).fill(-7));
      const out = (await pending) as Tensor;
      await busy;
      expect(scribble.length).toBe(8);
      expect(maxDiff(out.data as Float32Array, expected)).toBeLessThan(1e-6);
    }
  });

  it('a resizable input buffer shrunk to 0 bytes during the forward: the forward completes on the original values', async () => {
    const slow = await loadModel(fixture('slow.pt'), { threads: 1 });
    const plusOne = await loadModel(fixture('plus_one.pt'), { threads: 1 });
    const reference = filled(new Float32Array(SIDE * SIDE));
    const bytes = SIDE * SIDE * 4;
    const buffer = new (ArrayBuffer as unknown as new (n: number, o: { maxByteLength: number }) => ArrayBuffer & { resize(n: number): void })(bytes, { maxByteLength: bytes });
    const data = new Float32Array(buffer, 0, SIDE * SIDE);
    data.set(reference);
    const input = new Tensor('float32', data, [SIDE, SIDE]);
    const busy = occupyInferenceThreads(slow);
    const pending = plusOne.run(input);
    buffer.resize(0);
    gc();
    const out = (await pending) as Tensor;
    await busy;
    expect(maxDiff(out.data as Float32Array, reference.map((v) => v + 1))).toBeLessThan(1e-6);
    // Once shrunk, the same Tensor holds no data: an argument error, not a crash.
    await expect(plusOne.run(input)).rejects.toThrow(RangeError);
    expect(() => plusOne.runSync(input)).toThrow(RangeError);
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
