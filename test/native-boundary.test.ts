// Garbage straight into the raw binding: every call must throw or reject a JS error; none may
// abort the process (a crash here would take the whole test file down).
import { describe, expect, it } from 'vitest';
import { binding } from '../lib/native/binding.js';
import { fixture } from './helpers/fixtures.js';

const OPTIONS = { device: 'cpu', dtype: 'float32', threads: 1 } as const;
const garbage: unknown[] = [undefined, null, 0, -1, NaN, 'x', {}, [], [1, 2], () => 1, Symbol('s'), 10n, new Float32Array(2), new ArrayBuffer(4)];

describe('raw binding', () => {
  it('loadModelSync rejects garbage sources and options with TypeError/RangeError', () => {
    const raw = binding();
    for (const source of garbage.filter((g) => typeof g !== 'string')) {
      expect(() => raw.loadModelSync(source as never, OPTIONS)).toThrow(TypeError);
    }
    expect(() => raw.loadModelSync('', OPTIONS)).toThrow(TypeError);
    expect(() => raw.loadModelSync('x', OPTIONS)).toThrow(expect.objectContaining({ code: 'MODEL_NOT_FOUND' }));
    for (const options of garbage) {
      expect(() => raw.loadModelSync(fixture('identity.pt'), options as never)).toThrow(Error);
    }
    expect(() => raw.loadModelSync(fixture('identity.pt'), { ...OPTIONS, threads: 1e9 })).toThrow(RangeError);
    expect(() => raw.loadModelSync(fixture('identity.pt'), { ...OPTIONS, device: 'cuda:x' })).toThrow(TypeError);
    expect(() => raw.loadModelSync(fixture('identity.pt'), { ...OPTIONS, dtype: 'int8' as never })).toThrow(TypeError);
  });

  it('loadModel rejects instead of throwing', async () => {
    const raw = binding();
    for (const source of garbage.filter((g) => typeof g !== 'string')) {
      await expect(raw.loadModel(source as never, OPTIONS)).rejects.toThrow(TypeError);
    }
  });

  it('forward and forwardSync reject malformed tensors field by field', async () => {
    const model = binding().loadModelSync(fixture('identity.pt'), OPTIONS);
    const cases: Array<[unknown, RegExp]> = [
      [undefined, /Expected an array of tensors/],
      [[1], /Expected a tensor object/],
      [[{ dtype: 1, data: new Float32Array(1), shape: [1] }], /Expected a dtype string/],
      [[{ dtype: 'float8', data: new Float32Array(1), shape: [1] }], /Unknown dtype "float8"/],
      [[{ dtype: 'float32', data: [1], shape: [1] }], /Expected a typed array/],
      [[{ dtype: 'float32', data: new Float64Array(1), shape: [1] }], /Expected a Float32Array .* but received a Float64Array/],
      [[{ dtype: 'int64', data: new Int32Array(1), shape: [1] }], /Expected a BigInt64Array/],
      [[{ dtype: 'float32', data: new Float32Array(2), shape: 2 }], /Expected an array of non-negative integers/],
      [[{ dtype: 'float32', data: new Float32Array(2), shape: [-2] }], /non-negative integer/],
      [[{ dtype: 'float32', data: new Float32Array(2), shape: [3] }], /holds 3 elements but its data has 2/],
      [[{ dtype: 'float32', data: new Float32Array(2), shape: [2 ** 40, 2 ** 40, 2 ** 40] }], /holds too many elements/],
      [[{ dtype: 'bool', data: new Uint8Array([0, 2]), shape: [2] }], /only 0 or 1/],
    ];
    for (const [inputs, message] of cases) {
      expect(() => model.forwardSync(inputs as never)).toThrow(message);
      await expect(model.forward(inputs as never)).rejects.toThrow(message);
    }
  });

  it('refuses direct construction and foreign receivers', () => {
    const model = binding().loadModelSync(fixture('identity.pt'), OPTIONS);
    const Ctor = model.constructor as unknown as new (...args: unknown[]) => unknown;
    expect(() => new Ctor()).toThrow('NativeModel cannot be constructed directly; use loadModel()');
    expect(() => new Ctor({})).toThrow(TypeError);
    expect(() => (model.forwardSync as (...a: unknown[]) => unknown).call({}, [])).toThrow();
    expect(() => Reflect.get(Object.getPrototypeOf(model), 'device', {})).toThrow();
  });

  it('reports devices and LibTorch build information', () => {
    const info = binding().devices();
    expect(info.libtorchVersion).toMatch(/^\d+\.\d+/);
    expect(typeof info.cudaCompiled).toBe('boolean');
    expect(info.inferenceThreads).toBeGreaterThanOrEqual(1);
    expect(info.parallelInfo).toContain('ATen/Parallel');
  });
});
