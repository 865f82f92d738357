import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DTYPES, LwganetError, Tensor, loadModel, loadModelSync, type DType, type ModelOutput } from '../lib/index.js';
import { binding } from '../lib/native/binding.js';
import { fixture } from './helpers/fixtures.js';
import { runPython } from './helpers/image-python.js';

const f32 = (values: number[], shape = [values.length]) => new Tensor('float32', new Float32Array(values), shape);
const values = (data: Tensor['data']) => Array.from(data as ArrayLike<number | bigint>);
const asTensor = (value: ModelOutput): Tensor => {
  if (!(value instanceof Tensor)) throw new Error(`expected a Tensor, got ${typeof value}`);
  return value;
};

function sample(dtype: DType, n: number): Tensor {
  switch (dtype) {
    case 'int64': return new Tensor(dtype, BigInt64Array.from({ length: n }, (_, i) => BigInt(i - 3) * 1_000_000_000_000n), [n]);
    case 'bool': return new Tensor(dtype, Uint8Array.from({ length: n }, (_, i) => i % 2), [n]);
    case 'float16': return new Tensor(dtype, Uint16Array.from({ length: n }, (_, i) => 0x3c00 + i), [n]); // 1.0, 1.0009765625, ...
    case 'uint8': return new Tensor(dtype, Uint8Array.from({ length: n }, (_, i) => (i * 37) % 256), [n]);
    case 'int8': return new Tensor(dtype, Int8Array.from({ length: n }, (_, i) => ((i * 37) % 256) - 128), [n]);
    case 'int32': return new Tensor(dtype, Int32Array.from({ length: n }, (_, i) => i * 65_537 - 1_000_000), [n]);
    case 'float64': return new Tensor(dtype, Float64Array.from({ length: n }, (_, i) => Math.PI * i), [n]);
    case 'float32': return new Tensor(dtype, Float32Array.from({ length: n }, (_, i) => i / 7), [n]);
  }
}

describe('loadModel', () => {
  it('loads from a path and from bytes, with device, threads and forward arguments', async () => {
    const fromPath = await loadModel(fixture('add.pt'), { threads: 2 });
    expect(fromPath.device).toBe('cpu');
    expect(fromPath.dtype).toBe('float32');
    expect(fromPath.threads).toBe(2);
    expect(fromPath.inputs).toEqual([
      { name: 'a', type: 'Tensor', hasDefault: false },
      { name: 'b', type: 'Tensor', hasDefault: false },
    ]);
    expect(fromPath.metadata).toBeNull();
    const fromBytes = loadModelSync(fs.readFileSync(fixture('add.pt')));
    const out = asTensor(fromBytes.runSync([f32([1, 2]), f32([10, 20])]));
    expect(values(out.data)).toEqual([11, 22]);
  });

  it('parses metadata.json from the archive', async () => {
    const model = await loadModel(fixture('with_metadata.pt'));
    expect(model.metadata?.task).toBe('classification');
    expect(model.metadata?.labels).toEqual(['a', 'b', 'c']);
    expect(model.metadata?.input.mean).toEqual([0.485, 0.456, 0.406]);
  });

  it('shares the weights of one file loaded twice (native cache keyed by file identity)', async () => {
    const before = binding().cachedModuleCount();
    const a = await loadModel(fixture('conv.pt'));
    const b = loadModelSync(fixture('conv.pt'));
    expect(binding().cachedModuleCount()).toBe(before + 1);
    const x = new Tensor('float32', new Float32Array(3 * 224 * 224).fill(0.5), [1, 3, 224, 224]);
    expect(asTensor(await a.run(x)).data).toEqual(asTensor(b.runSync(x)).data);
    a.dispose();
    b.dispose();
  });

  describe('bad calls', () => {
    it.each([
      ['missing file', 'does-not-exist.pt', 'MODEL_NOT_FOUND', /Model file not found: .*does-not-exist\.pt/],
      ['empty file', 'empty.pt', 'MODEL_CORRUPT', /Model file is empty/],
      ['truncated archive', 'truncated.pt', 'MODEL_CORRUPT', /is not a loadable TorchScript archive: PytorchStreamReader failed reading zip archive/],
      ['random bytes', 'garbage.pt', 'MODEL_CORRUPT', /is not a loadable TorchScript archive/],
      ['a zip that is not TorchScript', 'not_torchscript.zip', 'MODEL_CORRUPT', /is not a loadable TorchScript archive/],
      ['a plain torch.save checkpoint', 'pickle_only.pt', 'MODEL_CORRUPT', /is not a loadable TorchScript archive/],
      ['unparseable metadata.json', 'bad_metadata.pt', 'METADATA_INVALID', /metadata.json is not JSON/],
    ])('%s → %s', async (_name, file, code, message) => {
      const path = file === 'does-not-exist.pt' ? `${fixture('identity.pt')}.missing/does-not-exist.pt` : fixture(file);
      const error = await loadModel(path).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(LwganetError);
      expect((error as LwganetError).code).toBe(code);
      expect((error as Error).message).toMatch(message);
      expect((error as Error).message).not.toMatch(/frame #|\.cpp:\d+|Exception raised from/);
      expect(() => loadModelSync(path)).toThrow(LwganetError);
    });

    it('rejects bytes that are not an archive', async () => {
      await expect(loadModel(new Uint8Array([1, 2, 3]))).rejects.toMatchObject({ code: 'MODEL_CORRUPT' });
      await expect(loadModel(new Uint8Array(0))).rejects.toMatchObject({ code: 'MODEL_CORRUPT', message: 'Model buffer is empty' });
    });

    it('rejects a directory and bad options with clear messages', async () => {
      await expect(loadModel(__dirname)).rejects.toMatchObject({ code: 'MODEL_NOT_FOUND', message: expect.stringMatching(/is a directory/) });
      await expect(loadModel(42 as never)).rejects.toThrow(TypeError);
      await expect(loadModel(fixture('identity.pt'), { device: 'gpu' })).rejects.toThrow(
        'Expected "cpu", "cuda" or "cuda:N" for device but received "gpu" of type string',
      );
      await expect(loadModel(fixture('identity.pt'), { threads: 0 })).rejects.toThrow(RangeError);
      await expect(loadModel(fixture('identity.pt'), { Threads: 2 } as never)).rejects.toThrow('Unknown option "Threads" in options; did you mean "threads"? (known: device, dtype, threads, threadPolicy, warmup)');
      await expect(loadModel(fixture('identity.pt'), { Threads: 2 } as never)).rejects.toThrow(RangeError);
      await expect(loadModel(fixture('identity.pt'), { dtype: 'float16' })).rejects.toMatchObject({
        code: 'DTYPE_UNSUPPORTED',
        message: expect.stringMatching(/only supported on CUDA/),
      });
    });
  });
});

describe('Model.run outputs', () => {
  it.each(DTYPES.map((d) => [d]))('round-trips %s through a model that returns new storage', async (dtype) => {
    const model = await loadModel(fixture('clone.pt'));
    const input = sample(dtype, 1000);
    const out = asTensor(await model.run(input));
    expect(out.dtype).toBe(dtype);
    expect(out.shape).toEqual([1000]);
    expect(out.data).toEqual(input.data);
    expect(out.data.buffer).not.toBe(input.data.buffer);
  });

  it.each(DTYPES.filter((d) => d !== 'bool').map((d) => [d]))('computes with %s (x + 1)', async (dtype) => {
    const model = await loadModel(fixture('plus_one.pt'));
    const input = sample(dtype, 64);
    const out = asTensor(model.runSync(input));
    expect(out.dtype).toBe(dtype);
    if (dtype === 'float16') {
      // Input i is 1 + i·2⁻¹⁰ (bits 0x3c00 + i); x + 1 = 2 + i·2⁻¹⁰ lies in [2, 4), where half
      // floats are 2 + m·2⁻⁹ (bits 0x4000 + m): m = i/2, ties (odd i) rounded to even.
      const roundHalfEven = (x: number) => (Math.abs(x % 1) === 0.5 ? 2 * Math.round(x / 2) : Math.round(x));
      expect(Array.from(out.data as Uint16Array)).toEqual(Array.from({ length: 64 }, (_, i) => 0x4000 + roundHalfEven(i / 2)));
    } else {
      const expected = Array.from(input.data as ArrayLike<number | bigint>, (v) => (typeof v === 'bigint' ? v + 1n : v + 1));
      const actual = Array.from(out.data as ArrayLike<number | bigint>);
      if (dtype === 'uint8') expect(actual).toEqual(expected.map((v) => (v as number) % 256));
      else if (dtype === 'int8') expect(actual).toEqual(expected.map((v) => (((v as number) + 128) % 256) - 128));
      else if (dtype === 'float32') actual.forEach((v, i) => expect(v).toBeCloseTo(expected[i] as number, 5));
      else expect(actual).toEqual(expected);
    }
  });

  it('computes with bool (logical not)', async () => {
    const model = await loadModel(fixture('logical_not.pt'));
    const out = asTensor(await model.run(new Tensor('bool', [true, false, false])));
    expect(out.dtype).toBe('bool');
    expect(values(out.data)).toEqual([0, 1, 1]);
  });

  it('returns tuples as arrays, dicts as records, nested combinations and scalars', async () => {
    const x = f32([1, 2, 3]);
    const tuple = (await (await loadModel(fixture('tuple_out.pt'))).run(x)) as Tensor[];
    expect(tuple.map((t) => values(t.data))).toEqual([[2, 3, 4], [2, 4, 6]]);

    const dict = (await (await loadModel(fixture('dict_out.pt'))).run(x)) as Record<string, Tensor>;
    expect(Object.keys(dict).sort()).toEqual(['double', 'sum']);
    expect(values(dict.double.data)).toEqual([2, 4, 6]);
    expect(dict.sum.shape).toEqual([]);
    expect(dict.sum.data[0]).toBe(6);

    const nested = (await (await loadModel(fixture('nested_out.pt'))).run(x)) as [Tensor[], Record<string, Tensor>];
    expect(nested[0].map((t) => values(t.data))).toEqual([[2, 3, 4], [3, 4, 5]]);
    expect(values(nested[1].neg.data)).toEqual([-1, -2, -3]);

    const scalars = await (await loadModel(fixture('scalars_out.pt'))).run(x);
    expect(scalars).toEqual([3, 2.5, true, 'ok', null]);
  });

  it('makes non-contiguous outputs contiguous', async () => {
    const model = await loadModel(fixture('transpose.pt'));
    const out = asTensor(await model.run(f32([1, 2, 3, 4, 5, 6], [2, 3])));
    expect(out.shape).toEqual([3, 2]);
    expect(values(out.data)).toEqual([1, 4, 2, 5, 3, 6]);
  });

  it('runSync returns an output that is the input as a view of the caller memory (no copy), as PyTorch would; run() returns its own copy', async () => {
    const model = await loadModel(fixture('identity.pt'));
    const backing = new Float32Array([0, 1, 2, 3, 4]);
    const input = new Tensor('float32', backing.subarray(1), [2, 2]);
    const view = asTensor(model.runSync(input));
    expect(view.data.buffer).toBe(backing.buffer);
    expect(view.data.byteOffset).toBe(4);
    const copy = asTensor(await model.run(input));
    expect(copy.data.buffer).not.toBe(backing.buffer);
    for (const out of [view, copy]) {
      expect(out.shape).toEqual([2, 2]);
      expect(values(out.data)).toEqual([1, 2, 3, 4]);
    }
  });

  it('copies input memory it cannot return as a view (a transposed input)', async () => {
    const model = await loadModel(fixture('transpose.pt'));
    const input = f32([1, 2, 3, 4], [2, 2]);
    const out = asTensor(await model.run(input));
    expect(out.data.buffer).not.toBe(input.data.buffer);
    expect(values(out.data)).toEqual([1, 3, 2, 4]);
  });

  it('takes inputs by name, with optional arguments left out', async () => {
    const add = await loadModel(fixture('add.pt'));
    expect(values(asTensor(await add.run({ b: f32([1]), a: f32([2]) })).data)).toEqual([3]);
    const optional = await loadModel(fixture('optional_arg.pt'));
    expect(values(asTensor(await optional.run({ x: f32([5]) })).data)).toEqual([5]);
    expect(values(asTensor(await optional.run({ x: f32([5]), y: f32([1]) })).data)).toEqual([6]);
    expect(values(asTensor(await optional.run([f32([5]), null])).data)).toEqual([5]);
  });

  it('matches the Python output of the conv fixture', async () => {
    const io = JSON.parse(fs.readFileSync(fixture('conv_io.json'), 'utf8')) as { input: { shape: number[] }; output: { shape: number[] } };
    const input = new Float32Array(new Uint8Array(fs.readFileSync(fixture('conv_input.bin'))).buffer);
    const expected = new Float32Array(new Uint8Array(fs.readFileSync(fixture('conv_expected.bin'))).buffer);
    const model = await loadModel(fixture('conv.pt'), { threads: 2 });
    const out = asTensor(await model.run(new Tensor('float32', input, io.input.shape)));
    expect(out.shape).toEqual(io.output.shape);
    let maxDiff = 0;
    for (let i = 0; i < expected.length; i++) maxDiff = Math.max(maxDiff, Math.abs((out.data[i] as number) - expected[i]));
    expect(maxDiff).toBeLessThan(1e-4);
  });
});

/** Every tensor inside an output (arrays and records walked), and whether anything else is tensor-like. */
function tensorLeaves(value: ModelOutput, into: Tensor[] = []): Tensor[] {
  if (value instanceof Tensor) into.push(value);
  else if (Array.isArray(value)) value.forEach((item) => tensorLeaves(item, into));
  else if (typeof value === 'object' && value !== null) {
    if ('dtype' in value || 'data' in value) throw new Error(`a tensor-like plain object: ${Object.keys(value).join(', ')}`);
    Object.values(value).forEach((item) => tensorLeaves(item, into));
  }
  return into;
}

describe('outputs are built by the addon as the public Tensor', () => {
  it('tensors at any depth are frozen Tensor instances, from run() and runSync()', async () => {
    const x = f32([1, 2, 3]);
    for (const [name, count] of [['identity.pt', 1], ['tuple_out.pt', 2], ['dict_out.pt', 2], ['nested_out.pt', 3]] as const) {
      const model = await loadModel(fixture(name));
      for (const out of [await model.run(x), model.runSync(x)]) {
        const leaves = tensorLeaves(out);
        expect(leaves.length, name).toBe(count);
        for (const t of leaves) {
          expect(Object.isFrozen(t) && Object.isFrozen(t.shape), name).toBe(true);
          expect(t.data).toBeInstanceOf(Float32Array);
          expect(t.size).toBe(t.shape.reduce((a, b) => a * b, 1));
        }
      }
    }
  });

  it('an output that is an input (sync) is a Tensor over the caller memory, also with an omitted optional input', () => {
    const model = loadModelSync(fixture('optional_arg.pt'));
    const backing = new Float32Array([9, 5, 6]);
    const out = model.runSync([new Tensor('float32', backing.subarray(1), [2]), null]);
    expect(out).toBeInstanceOf(Tensor);
    const t = out as Tensor;
    expect(t.data.buffer).toBe(backing.buffer);
    expect(t.data.byteOffset).toBe(4);
    expect(values(t.data)).toEqual([5, 6]);
  });

  it('outputs nested in tuples, lists and dicts that are inputs (sync) view the right input at the right offset', () => {
    // forward(x, y) -> (x + 1, [x[1:], y], {'y': y}): three aliases below the top level, of two inputs.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lwganet-nested-alias-'));
    try {
      const file = path.join(dir, 'nested_alias.pt');
      const script = path.join(dir, 'nested_alias.py'); // TorchScript compiles from source files only
      fs.writeFileSync(script, [
        'import sys, torch',
        'from typing import Dict, List, Tuple',
        'class M(torch.nn.Module):',
        '    def forward(self, x: torch.Tensor, y: torch.Tensor) -> Tuple[torch.Tensor, List[torch.Tensor], Dict[str, torch.Tensor]]:',
        '        return x + 1, [x[1:], y], {"y": y}',
        'torch.jit.save(torch.jit.script(M()), sys.argv[1])',
      ].join('\n'));
      runPython([script, file]);
      const model = loadModelSync(file);
      const xs = new Float32Array([0, 1, 2, 3, 4]);
      const ys = new Int32Array([7, 8, 9]);
      const x = new Tensor('float32', xs.subarray(1), [4]);
      const y = new Tensor('int32', ys.subarray(1), [2]);
      const [plus, [tail, same], record] = model.runSync([x, y]) as [Tensor, Tensor[], Record<string, Tensor>];
      for (const t of [plus, tail, same, record.y]) expect(t).toBeInstanceOf(Tensor);
      expect(plus.data.buffer).not.toBe(xs.buffer);
      expect(values(plus.data)).toEqual([2, 3, 4, 5]);
      expect([tail.data.buffer, tail.data.byteOffset, values(tail.data)]).toEqual([xs.buffer, 8, [2, 3, 4]]);
      for (const t of [same, record.y]) expect([t.data.buffer, t.data.byteOffset, t.dtype, values(t.data)]).toEqual([ys.buffer, 4, 'int32', [8, 9]]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the raw binding refuses a class registration that is not a class and a token', () => {
    const raw = binding();
    for (const args of [[], [Tensor], [{}, {}], [Tensor, 1], [1, {}]]) {
      expect(() => (raw.setTensorClass as (...a: unknown[]) => void)(...args)).toThrow(TypeError);
    }
  });

  it('the Tensor class keeps its checks for user code: a fourth argument that is not the addon token changes nothing', () => {
    const Open = Tensor as unknown as new (...args: unknown[]) => Tensor;
    expect(() => new Open('float32', new Float32Array(2), [3], {})).toThrow(RangeError);
    expect(() => new Open('float8', new Float32Array(2), [2], {})).toThrow(TypeError);
  });
});

describe('zero copy and large tensors', () => {
  it('runSync reads input memory in place (an in-place model changes the caller array); run() works on a copy', async () => {
    const model = await loadModel(fixture('inplace_add.pt'));
    const data = new Float32Array([1, 2, 3]);
    const copied = asTensor(await model.run(new Tensor('float32', data, [3])));
    expect(Array.from(data)).toEqual([1, 2, 3]);
    expect(copied.data[0]).toBe(9);
    const sum = asTensor(model.runSync(new Tensor('float32', data, [3])));
    expect(Array.from(data)).toEqual([2, 3, 4]);
    expect(sum.data[0]).toBe(9);
  });

  it('passes a 256 MiB input without a copy (resident memory grows far less than the input)', () => {
    const model = loadModelSync(fixture('inplace_add.pt'));
    const n = (256 * 1024 * 1024) / 4;
    const data = new Float32Array(n); // zero pages: touched for real by the in-place add below
    data.fill(1);
    const before = process.memoryUsage().rss;
    const sum = asTensor(model.runSync(new Tensor('float32', data, [n])));
    const grown = process.memoryUsage().rss - before;
    expect(sum.data[0]).toBe(2 * n);
    expect(data[n - 1]).toBe(2);
    expect(grown).toBeLessThan(64 * 1024 * 1024); // a copy would add 256 MiB
  });

  it('returns a ≥ 64 MiB output that owns its storage and outlives the model', async () => {
    const model = await loadModel(fixture('plus_one.pt'));
    const n = (80 * 1024 * 1024) / 8;
    const input = new Tensor('float64', new Float64Array(n).fill(41), [n]);
    const out = asTensor(await model.run(input));
    model.dispose();
    expect(model.disposed).toBe(true);
    expect(out.data.length).toBe(n);
    expect(out.data[0]).toBe(42);
    expect(out.data[n - 1]).toBe(42);
  });
});

describe('Model.run bad calls', () => {
  it('wrong arity is INPUT_ARITY and names the arguments', async () => {
    const add = await loadModel(fixture('add.pt'));
    await expect(add.run(f32([1]))).rejects.toMatchObject({
      code: 'INPUT_ARITY',
      message: 'Model forward takes 2 input(s) (a, b) but received 1',
    });
    await expect(add.run([f32([1]), f32([1]), f32([1])])).rejects.toMatchObject({ code: 'INPUT_ARITY' });
    await expect(add.run({ a: f32([1]) })).rejects.toMatchObject({ code: 'INPUT_ARITY', message: 'Model input "b" is required' });
    await expect(add.run({ a: f32([1]), c: f32([1]) })).rejects.toThrow('Unknown input name "c"; the model\'s forward takes (a, b)');
  });

  it('wrong dtype and shape reach LibTorch and come back as INPUT_DTYPE / INPUT_SHAPE', async () => {
    const model = await loadModel(fixture('shape_check.pt'));
    await expect(model.run(new Tensor('int32', new Int32Array(3 * 8 * 8), [1, 3, 8, 8]))).rejects.toMatchObject({ code: 'INPUT_DTYPE' });
    await expect(model.run(f32(new Array(5 * 8 * 8).fill(0), [1, 5, 8, 8]))).rejects.toMatchObject({ code: 'INPUT_SHAPE' });
    expect(() => model.runSync(f32(new Array(5 * 8 * 8).fill(0), [1, 5, 8, 8]))).toThrow(LwganetError);
  });

  it('metadata-declared inputs are checked before LibTorch', async () => {
    const model = await loadModel(fixture('with_metadata.pt'));
    await expect(model.run(f32([1, 2, 3]))).rejects.toMatchObject({
      code: 'INPUT_SHAPE',
      message: 'Model fixture_identity expects input of shape [N, 3, H, W] (NCHW) but received [3]',
    });
    await expect(model.run(new Tensor('float64', new Float64Array(3 * 224 * 224), [1, 3, 224, 224]))).rejects.toMatchObject({ code: 'INPUT_DTYPE' });
    await expect(model.run(f32(new Array(3 * 32 * 32).fill(0), [1, 3, 32, 32]))).rejects.toMatchObject({
      code: 'INPUT_SHAPE',
      message: 'Model fixture_identity expects input of 224×224 pixels but received 32×32',
    });
  });

  it('an exception inside the model is FORWARD_FAILED with the TorchScript message only', async () => {
    const model = await loadModel(fixture('raises.pt'));
    const error = (await model.run(f32([1])).catch((e: unknown) => e)) as LwganetError;
    expect(error.code).toBe('FORWARD_FAILED');
    expect(error.message).toBe('Model forward failed: builtins.RuntimeError: fixture failure: this model always raises');
    expect(error.stack).toContain('model.test.ts'); // the caller's stack survives the async hop
  });

  it('non-tensors are TypeErrors and the model keeps working afterwards', async () => {
    const model = await loadModel(fixture('identity.pt'));
    await expect(model.run([1, 2, 3] as never)).rejects.toThrow(TypeError);
    await expect(model.run('x' as never)).rejects.toThrow(TypeError);
    await expect(model.run({ dtype: 'float32', data: new Float32Array(1), shape: [1] } as never)).rejects.toThrow(TypeError);
    expect(values(asTensor(await model.run(f32([7]))).data)).toEqual([7]);
  });

  it('a disposed model rejects with DISPOSED, twice disposing is harmless', async () => {
    const model = await loadModel(fixture('identity.pt'));
    model.dispose();
    model.dispose();
    await expect(model.run(f32([1]))).rejects.toMatchObject({ code: 'DISPOSED' });
    expect(() => model.runSync(f32([1]))).toThrow(expect.objectContaining({ code: 'DISPOSED' }));
    expect(model.inputs[0].name).toBe('x'); // descriptions stay readable
  });
});
