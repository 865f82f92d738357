// Compiled models (.pt2, AOTInductor packages): the same Model API as TorchScript, outputs equal
// to eager, dispatch by input shape to the compiled entries, clear errors, concurrency, dispose,
// and the pool batching at the compiled batch sizes. Fixtures: test/fixtures/pt2_models.py.
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { InferencePool, LwganetError, Tensor, classify, loadModel, loadModelSync, type ModelOutput } from '../lib/index.js';
import { fixture } from './helpers/fixtures.js';

const io = JSON.parse(fs.readFileSync(fixture('compiled_io.json'), 'utf8')) as {
  input: { shape: number[] };
  output: { shape: number[] };
  tolerance: { rtol: number; atol: number };
};
const readF32 = (name: string) => {
  const bytes = fs.readFileSync(fixture(name));
  return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
};
const input2 = readF32('compiled_input.bin');
const expected2 = readF32('compiled_expected.bin');
const rowSize = io.input.shape.slice(1).reduce((a, b) => a * b, 1);
const classes = io.output.shape[1];

const rows = (first: number, count: number) =>
  new Tensor('float32', input2.slice(first * rowSize, (first + count) * rowSize), [count, ...io.input.shape.slice(1)]);
const tensorOf = (value: ModelOutput): Tensor => {
  if (!(value instanceof Tensor)) throw new Error(`expected a Tensor, got ${typeof value}`);
  return value;
};
function expectClose(got: ModelOutput, want: ArrayLike<number>): void {
  const data = tensorOf(got).data as Float32Array;
  expect(data.length).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    expect(Math.abs(data[i] - want[i])).toBeLessThanOrEqual(io.tolerance.atol + io.tolerance.rtol * Math.abs(want[i]));
  }
}
const codeOf = async (promise: Promise<unknown>) => {
  try {
    await promise;
    return 'resolved';
  } catch (error) {
    return error instanceof LwganetError ? error.code : String(error);
  }
};

describe('loading a .pt2 package', () => {
  it('describes its compiled entries, inputs and metadata', async () => {
    const model = await loadModel(fixture('compiled.pt2'), { threads: 2 });
    expect(model.compiledEntries?.map((e) => [e.name, e.inputs, e.dynamic])).toEqual([
      ['b1_224x224', [[1, 3, 224, 224]], null],
      ['b2_224x224', [[2, 3, 224, 224]], null],
    ]);
    expect(model.compiledBatchSizes).toEqual([1, 2]);
    expect(model.inputs).toEqual([{ name: 'x', type: 'Tensor', hasDefault: false }]);
    expect(model.metadata?.export.method).toBe('aoti');
    expect(model.metadata?.labels).toEqual(['a', 'b', 'c']);
    model.dispose();
    expect(model.compiledEntries?.length).toBe(2); // still readable after dispose
    const script = await loadModel(fixture('compiled_reference.pt'));
    expect(script.compiledEntries).toBeNull();
    script.dispose();
  });

  it('loads from bytes as from a path', () => {
    const model = loadModelSync(fs.readFileSync(fixture('compiled.pt2')));
    expectClose(model.runSync(rows(0, 1)), expected2.slice(0, classes));
    model.dispose();
  });
});

describe('running a .pt2 package', () => {
  it('gives the eager outputs (and the TorchScript ones) at every compiled batch size, async and sync', async () => {
    const model = await loadModel(fixture('compiled.pt2'));
    const script = await loadModel(fixture('compiled_reference.pt'));
    expectClose(await model.run(rows(0, 2)), expected2);
    expectClose(model.runSync(rows(1, 1)), expected2.slice(classes));
    expectClose(await model.run(rows(0, 2)), tensorOf(await script.run(rows(0, 2))).data as Float32Array);
    model.dispose();
    script.dispose();
  });

  it('rejects a shape no entry was compiled for with INPUT_SHAPE naming the compiled shapes', async () => {
    const model = await loadModel(fixture('compiled.pt2'));
    const three = new Tensor('float32', new Float32Array(3 * rowSize), [3, 3, 224, 224]);
    const error = await model.run(three).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LwganetError);
    expect((error as LwganetError).code).toBe('INPUT_SHAPE');
    expect((error as Error).message).toContain('[3, 3, 224, 224]');
    expect((error as Error).message).toContain('[1, 3, 224, 224]; [2, 3, 224, 224]');
    const small = new Tensor('float32', new Float32Array(3 * 64 * 64), [1, 3, 64, 64]);
    expect(() => model.runSync(small)).toThrow(expect.objectContaining({ code: 'INPUT_SHAPE' }));
    const doubles = new Tensor('float64', new Float64Array(rowSize), [1, 3, 224, 224]);
    expect(await codeOf(model.run(doubles))).toBe('INPUT_DTYPE');
    expect(await codeOf(model.run([]))).toBe('INPUT_ARITY');
    model.dispose();
  });

  it('runs any batch and side (multiple of 32) on a dynamic entry, and refuses what it cannot take', async () => {
    const model = await loadModel(fixture('compiled_dynamic.pt2'));
    const script = await loadModel(fixture('compiled_reference.pt'));
    expect(model.compiledEntries?.[0].dynamic).toEqual({ batch: [1, 64], height: [32, 4096], width: [32, 4096], multipleOf: 32 });
    expect(model.compiledBatchSizes).toEqual([]);
    const x = new Tensor('float32', Float32Array.from({ length: 3 * rowSize }, (_, i) => Math.sin(i)), [3, 3, 224, 224]);
    expectClose(await model.run(x), tensorOf(await script.run(x)).data as Float32Array);
    expectClose(await model.run(rows(0, 2)), expected2);
    const tooMany = new Tensor('float32', new Float32Array(65 * rowSize), [65, 3, 224, 224]);
    const error = await model.run(tooMany).catch((e: unknown) => e as Error);
    expect((error as LwganetError).code).toBe('INPUT_SHAPE');
    expect((error as Error).message).toContain('[1-64, 3, 32-4096, 32-4096] (sides multiple of 32)');
    model.dispose();
    script.dispose();
  });

  it('runs concurrent forwards (the loader has a runner per inference thread) with each caller getting its own result', async () => {
    const model = await loadModel(fixture('compiled.pt2'));
    const calls = Array.from({ length: 12 }, (_, i) => model.run(rows(i % 2, 1)));
    const outputs = await Promise.all(calls);
    outputs.forEach((out, i) => expectClose(out, expected2.slice((i % 2) * classes, (i % 2 + 1) * classes)));
    model.dispose();
  });

  it('finishes forwards in flight at dispose() and refuses new ones with DISPOSED', async () => {
    const model = await loadModel(fixture('compiled.pt2'));
    const running = [model.run(rows(0, 2)), model.run(rows(0, 1))];
    model.dispose();
    const [both, first] = await Promise.all(running);
    expectClose(both, expected2);
    expectClose(first, expected2.slice(0, classes));
    expect(await codeOf(model.run(rows(0, 1)))).toBe('DISPOSED');
  });
});

describe('broken and foreign packages', () => {
  it.each([
    ['compiled_truncated.pt2', 'MODEL_CORRUPT'],
    ['compiled_other_torch.pt2', 'PACKAGE_INCOMPATIBLE'],
    ['compiled_other_device.pt2', 'PACKAGE_INCOMPATIBLE'],
  ])('%s → %s', async (name, code) => {
    const error = await loadModel(fixture(name)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LwganetError);
    expect((error as LwganetError).code).toBe(code);
    expect((error as Error).message).toContain(name);
  });

  it('names the torch that compiled a package from another torch version', async () => {
    const error = (await loadModel(fixture('compiled_other_torch.pt2')).catch((e: unknown) => e)) as Error;
    expect(error.message).toMatch(/compiled by torch 2\.0\.0 but this addon runs LibTorch/);
  });
});

describe('tasks and the pool on a .pt2 package', () => {
  it('classify() gives the same predictions from a compiled classifier as from its TorchScript twin', async () => {
    const model = await loadModel(fixture('compiled.pt2'));
    const script = await loadModel(fixture('compiled_reference.pt'));
    const data = Uint8Array.from({ length: 300 * 260 * 3 }, (_, i) => (i * 7) % 251);
    const pixels = { data, width: 300, height: 260, channels: 3 as const };
    const compiled = await classify(pixels, { model, topK: 3 });
    const reference = await classify(pixels, { model: script, topK: 3 });
    expect(compiled.map((p) => p.label)).toEqual(reference.map((p) => p.label));
    compiled.forEach((p, i) => expect(p.score).toBeCloseTo(reference[i].score, 5));
    model.dispose();
    script.dispose();
  });

  it.each(['native', 'worker-threads'] as const)('%s pool: batches at the compiled sizes (padding short batches) and hands each request its own rows', async (executor) => {
    const pool = await InferencePool.create(fixture('compiled.pt2'), { executor, maxBatch: 8, maxDelayMs: 20, workers: 1 });
    try {
      const requests = Array.from({ length: 5 }, (_, i) => pool.run(rows(i % 2, 1)));
      const outputs = await Promise.all(requests);
      outputs.forEach((out, i) => {
        expect(tensorOf(out).shape).toEqual([1, classes]);
        expectClose(out, expected2.slice((i % 2) * classes, (i % 2 + 1) * classes));
      });
      const stats = pool.stats();
      expect(stats.completed).toBe(5);
      expect(stats.largestBatch).toBeLessThanOrEqual(2); // never above the largest compiled batch
      expect(stats.batches).toBeLessThan(5); // batching happened
    } finally {
      await pool.close();
    }
  });
});
