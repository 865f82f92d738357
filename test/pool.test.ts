// InferencePool: dynamic batching must be invisible in the results (each request gets exactly
// its own rows, in its own structure), and queueing, cancellation, close() and failures must
// affect only the requests they concern. No timing assertions: only counts and values.
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { InferencePool, LwganetError, Tensor, createInferencePool, loadModel, type ModelOutput } from '../lib/index.js';
import { binding } from '../lib/native/binding.js';
import { fixture } from './helpers/fixtures.js';
import { asTensor, image, maxAbsDiff, outcome, small, until, values } from './helpers/pool-inputs.js';
import { failsOnNegativeModel } from './helpers/pool-models.js';

const open: InferencePool[] = [];
async function pool(name: string, options: Parameters<typeof createInferencePool>[1] = {}): Promise<InferencePool> {
  const created = await createInferencePool(name.includes('/') ? name : fixture(name), options);
  open.push(created);
  return created;
}
afterEach(async () => {
  await Promise.all(open.splice(0).map((p) => p.close()));
});

const codeOf = (error: unknown) => (error instanceof LwganetError ? error.code : String(error));

describe('InferencePool results', () => {
  it.each(['native', 'worker-threads'] as const)('%s: gives each of many concurrent requests its own output, equal to Model.run on that input alone', async (executor) => {
    const p = await pool('conv.pt', { executor, maxBatch: 4, maxDelayMs: 5 });
    const model = await loadModel(fixture('conv.pt'));
    const inputs = Array.from({ length: 10 }, (_, i) => image(i));
    const outputs = await Promise.all(inputs.map((x) => p.run(x)));
    for (let i = 0; i < inputs.length; i++) {
      const alone = asTensor(await model.run(inputs[i]));
      expect(maxAbsDiff(asTensor(outputs[i]), alone)).toBeLessThan(1e-5);
    }
    model.dispose();
    const stats = p.stats();
    expect(stats.completed).toBe(10);
    expect(stats.batches).toBeLessThan(10); // batching happened
    expect(stats.largestBatch).toBeLessThanOrEqual(4);
    expect(stats.largestBatch).toBeGreaterThan(1);
  });

  it('splits by rows when requests carry several items, never exceeding maxBatch items per forward', async () => {
    const p = await pool('plus_one.pt', { maxBatch: 5, maxDelayMs: 5 });
    const rows = [1, 3, 2, 1, 4, 1, 2];
    const inputs = rows.map((r, i) => small(i, r));
    const outputs = (await Promise.all(inputs.map((x) => p.run(x)))).map(asTensor);
    outputs.forEach((out, i) => {
      expect(out.shape).toEqual([rows[i], 5]);
      expect(values(out)).toEqual(values(inputs[i]).map((v) => v + 1));
    });
    const stats = p.stats();
    expect(stats.largestBatch).toBeLessThanOrEqual(5);
    expect(stats.batches).toBeLessThan(rows.length);
    expect(stats.meanBatchSize * stats.batches).toBe(rows.reduce((a, b) => a + b, 0));
  });

  it('runs requests of different shapes or dtypes in separate forwards, each correct', async () => {
    const p = await pool('plus_one.pt', { workers: 1, maxBatch: 8, maxDelayMs: 5 });
    const inputs = [small(1, 1, 5), small(2, 1, 6), small(3, 2, 5), new Tensor('int32', Int32Array.from([7, 8, 9, 10, 11]), [1, 5])];
    const outputs = (await Promise.all(inputs.map((x) => p.run(x)))).map(asTensor);
    outputs.forEach((out, i) => {
      expect(out.dtype).toBe(inputs[i].dtype);
      expect(values(out)).toEqual(values(inputs[i]).map((v) => v + 1));
    });
    expect(p.stats().batches).toBe(3); // [*,5] float32 twice together; [*,6] and int32 alone
  });

  it('spreads a small burst over free forward slots instead of packing it into one', async () => {
    const p = await pool('plus_one.pt', { workers: 2, threadsPerWorker: 1, maxBatch: 8, maxDelayMs: 0 });
    const outputs = (await Promise.all([p.run(small(1, 1)), p.run(small(2, 1))])).map(asTensor);
    expect(outputs.map((o) => values(o)[0])).toEqual([101, 201]);
    expect(p.stats()).toMatchObject({ batches: 2, largestBatch: 1 });
  });

  it('splits tuple, list and dict outputs per request, keeping their structure', async () => {
    const p = await pool('nested_out.pt', { workers: 1, maxBatch: 8, maxDelayMs: 5 });
    const inputs = [small(1, 2), small(2, 1), small(3, 3)];
    const outputs = (await Promise.all(inputs.map((x) => p.run(x)))) as Array<[Tensor[], { neg: Tensor }]>;
    outputs.forEach(([list, dict], i) => {
      const x = values(inputs[i]);
      expect(values(list[0])).toEqual(x.map((v) => v + 1));
      expect(values(list[1])).toEqual(x.map((v) => v + 2));
      expect(values(dict.neg)).toEqual(x.map((v) => -v));
      expect(dict.neg.shape).toEqual(inputs[i].shape);
    });
    expect(p.stats().batches).toBe(1);
  });

  it('runs requests one by one when the output cannot be split (a whole-batch scalar), with exact results', async () => {
    const p = await pool('dict_out.pt', { workers: 1, maxBatch: 8, maxDelayMs: 5 });
    const burst = () => [small(1, 1), small(2, 2), small(3, 1)];
    for (const round of [0, 1]) {
      const inputs = burst();
      const before = p.stats().batches;
      const outputs = (await Promise.all(inputs.map((x) => p.run(x)))) as Array<{ double: Tensor; sum: Tensor }>;
      outputs.forEach((out, i) => {
        const x = values(inputs[i]);
        expect(values(out.double)).toEqual(x.map((v) => v * 2));
        expect(Number(out.sum.data[0])).toBe(x.reduce((a, b) => a + b, 0));
      });
      // First burst: one batched try, then each alone. Afterwards batching stays off.
      expect(p.stats().batches - before).toBe(round === 0 ? 4 : 3);
    }
  });
});

describe('InferencePool backpressure, cancellation and close', () => {
  it('rejects with QUEUE_FULL at once beyond maxQueue, and serves the admitted requests', async () => {
    const p = await pool('plus_one.pt', { maxQueue: 2, maxBatch: 1 });
    const results = [1, 2, 3, 4].map((i) => outcome(p.run(small(i, 1))));
    const settled = await Promise.all(results);
    expect(settled.map((r) => r.ok)).toEqual([true, true, false, false]);
    for (const r of settled.slice(2)) if (!r.ok) expect(codeOf(r.error)).toBe('QUEUE_FULL');
    expect(p.stats().failed).toBe(2);
  });

  it('rejects an already aborted request with ABORTED without running it', async () => {
    const p = await pool('plus_one.pt');
    const error = await p.run(small(1, 1), { signal: AbortSignal.abort() }).catch((e: unknown) => e);
    expect(codeOf(error)).toBe('ABORTED');
    expect(p.stats().batches).toBe(0);
  });

  it('removes a queued request on abort; the running one is unaffected', async () => {
    const p = await pool('slow.pt', { maxBatch: 1, workers: 1 });
    const x = new Tensor('float32', new Float32Array(512 * 512).fill(0.01), [512, 512]);
    const first = p.run(x);
    const controller = new AbortController();
    const second = outcome(p.run(x, { signal: controller.signal }));
    await until(() => p.stats().running === 1 && p.stats().queued === 1, 'one running and one queued');
    controller.abort();
    const aborted = await second;
    expect(aborted.ok ? 'resolved' : codeOf(aborted.error)).toBe('ABORTED');
    expect(asTensor(await first).shape).toEqual([512, 512]);
    expect(p.stats().batches).toBe(1);
  });

  it('discards the result of a request aborted inside a running batch; its batch mates still resolve', async () => {
    const p = await pool('conv.pt', { maxBatch: 8, maxDelayMs: 0, workers: 1 });
    const model = await loadModel(fixture('conv.pt'));
    const controller = new AbortController();
    const kept = p.run(image(1, 4));
    const dropped = outcome(p.run(image(2, 4), { signal: controller.signal }));
    await until(() => p.stats().running === 2, 'both requests in one running batch');
    controller.abort();
    const result = await dropped;
    expect(result.ok ? 'resolved' : codeOf(result.error)).toBe('ABORTED');
    expect(maxAbsDiff(asTensor(await kept), asTensor(await model.run(image(1, 4))))).toBeLessThan(1e-5);
    model.dispose();
    expect(p.stats().batches).toBe(1);
  });

  it('close() finishes the running forward, rejects queued work with POOL_CLOSED, then refuses new runs', async () => {
    const p = await pool('slow.pt', { maxBatch: 1, workers: 1 });
    const x = new Tensor('float32', new Float32Array(512 * 512).fill(0.01), [512, 512]);
    const runs = [p.run(x), p.run(x), p.run(x)].map(outcome);
    await until(() => p.stats().running === 1, 'the first forward to start');
    await p.close();
    const settled = await Promise.all(runs);
    expect(settled[0].ok).toBe(true);
    expect(settled.slice(1).map((r) => (r.ok ? 'resolved' : codeOf(r.error)))).toEqual(['POOL_CLOSED', 'POOL_CLOSED']);
    expect(codeOf(await p.run(x).catch((e: unknown) => e))).toBe('POOL_CLOSED');
    expect(p.stats()).toMatchObject({ queued: 0, running: 0, completed: 1, batches: 1 });
  });

  it('close({ drain: true }) runs the queued work before closing', async () => {
    const p = await pool('plus_one.pt', { maxBatch: 1, workers: 1 });
    const runs = [1, 2, 3].map((i) => p.run(small(i, 1)));
    await p.close({ drain: true });
    const outputs = (await Promise.all(runs)).map(asTensor);
    expect(outputs.map((o) => Number(o.data[0]))).toEqual([101, 201, 301]);
  });
});

describe('InferencePool failures stay with their request', () => {
  let failing: string;
  beforeAll(() => {
    failing = failsOnNegativeModel();
  });

  it('a request failing validation rejects alone; the rest of the burst resolves', async () => {
    const p = await pool('with_metadata.pt', { workers: 1, maxBatch: 8, maxDelayMs: 5 });
    const good = [image(1), image(2)];
    const wrongSize = new Tensor('float32', new Float32Array(3 * 100 * 100), [1, 3, 100, 100]);
    const results = await Promise.all([p.run(good[0]), p.run(wrongSize), p.run('nope' as unknown as Tensor), p.run(good[1])].map(outcome));
    expect(results.map((r) => r.ok)).toEqual([true, false, false, true]);
    expect(!results[1].ok && codeOf(results[1].error)).toBe('INPUT_SHAPE');
    expect(!results[2].ok && results[2].error).toBeInstanceOf(TypeError);
    expect(maxAbsDiff(asTensor((results[3] as { value: ModelOutput }).value), good[1])).toBe(0);
    expect(p.stats().batches).toBe(1);
  });

  it('a batched forward that fails is retried one by one, so only the faulty request rejects', async () => {
    const p = await pool(failing, { workers: 1, maxBatch: 8, maxDelayMs: 5 });
    const inputs = [small(1, 1), new Tensor('float32', Float32Array.from([1, -2, 3, 4, 5]), [1, 5]), small(2, 2), small(3, 1)];
    const results = await Promise.all(inputs.map((x) => outcome(p.run(x))));
    expect(results.map((r) => r.ok)).toEqual([true, false, true, true]);
    expect(!results[1].ok && codeOf(results[1].error)).toBe('FORWARD_FAILED');
    expect(!results[1].ok && results[1].error.message).toMatch(/negative input/);
    results.forEach((r, i) => {
      if (r.ok) expect(values(asTensor(r.value))).toEqual(values(inputs[i]).map((v) => v * 2));
    });
    expect(p.stats()).toMatchObject({ batches: 5, completed: 3, failed: 1 }); // 1 batched try + 4 alone
  });
});

describe('InferencePool on worker_threads', () => {
  it('loads the weights once for all workers and returns the same results as Model.run', async () => {
    const before = binding().cachedModuleCount();
    const p = await pool('conv.pt', { executor: 'worker-threads', workers: 2, threadsPerWorker: 1, maxBatch: 3, maxDelayMs: 5 });
    expect(binding().cachedModuleCount()).toBe(before + 1);
    const inputs = Array.from({ length: 7 }, (_, i) => image(i + 20));
    const outputs = await Promise.all(inputs.map((x) => p.run(x)));
    const model = await loadModel(fixture('conv.pt'));
    expect(binding().cachedModuleCount()).toBe(before + 1); // this thread's handle shares them too
    for (let i = 0; i < inputs.length; i++) expect(maxAbsDiff(asTensor(outputs[i]), asTensor(await model.run(inputs[i])))).toBeLessThan(1e-5);
    model.dispose();
    expect(p.stats().batches).toBeLessThan(7);
    expect(p.stats().largestBatch).toBeLessThanOrEqual(3);
  });

  it('brings a worker-side failure back with its code, and other requests still succeed', async () => {
    const p = await pool(failsOnNegativeModel(), { executor: 'worker-threads', workers: 1, maxBatch: 4, maxDelayMs: 5 });
    const bad = new Tensor('float32', Float32Array.from([-1, 0, 0, 0, 0]), [1, 5]);
    const results = await Promise.all([small(1, 1), bad, small(2, 1)].map((x) => outcome(p.run(x))));
    expect(results.map((r) => r.ok)).toEqual([true, false, true]);
    expect(!results[1].ok && results[1].error).toBeInstanceOf(LwganetError);
    expect(!results[1].ok && codeOf(results[1].error)).toBe('FORWARD_FAILED');
    expect(values(asTensor((results[2] as { value: ModelOutput }).value))).toEqual([400, 402, 404, 406, 408]);
  });
});

describe('InferencePool and process lifetime', () => {
  it.each(['native', 'worker-threads'] as const)('%s: a pool never closed does not keep the process alive once idle', async (executor) => {
    const { spawn } = await import('node:child_process');
    const path = await import('node:path');
    const dist = path.join(__dirname, '..', 'dist', 'index.js');
    const source = `
      const { createInferencePool, Tensor } = require(${JSON.stringify(dist)});
      (async () => {
        const pool = await createInferencePool(${JSON.stringify(fixture('identity.pt'))}, { executor: '${executor}', workers: 2 });
        const out = await pool.run(new Tensor('float32', new Float32Array([1, 2]), [2]));
        console.log('ran', Array.from(out.data).join(','));
      })();`;
    const ending = await new Promise<{ code: number | null; signal: string | null; stdout: string }>((resolve) => {
      const child = spawn(process.execPath, ['-e', source], { stdio: ['ignore', 'pipe', 'inherit'] });
      let stdout = '';
      child.stdout.on('data', (chunk) => (stdout += chunk));
      const killer = setTimeout(() => child.kill('SIGKILL'), 30_000); // still alive: the pool holds it
      child.on('exit', (code, signal) => {
        clearTimeout(killer);
        resolve({ code, signal, stdout });
      });
    });
    expect(ending).toEqual({ code: 0, signal: null, stdout: 'ran 1,2\n' });
  }, 60_000);
});
