// loadModel's warmup option: forwards at load on a zero image shaped from the metadata, failures
// reported as load failures, and the same through InferencePool.
import { afterEach, describe, expect, it } from 'vitest';
import { InferencePool, LwganetError, Tensor, createInferencePool, loadModel, loadModelSync } from '../lib/index.js';
import { WARMUP_CALLS } from '../lib/model/warmup.js';
import { fixture } from './helpers/fixtures.js';

const probeInput = () => new Tensor('float32', new Float32Array(3 * 40 * 50), [1, 3, 40, 50]);
const probe = (value: unknown) => Array.from((value as Tensor).data as BigInt64Array, Number);
const codeOf = (error: unknown) => (error instanceof LwganetError ? error.code : String(error));

describe('loadModel warmup', () => {
  it('runs the model at load on a zero image of its metadata input size, asynchronously and synchronously', async () => {
    // warmup_probe.pt counts its calls and reports the last input shape; its metadata takes any
    // size. Loads of one file share one module (the weight cache), so its count is process-wide.
    const cold = await loadModel(fixture('warmup_probe.pt'));
    const [start, ...shape] = probe(await cold.run(probeInput()));
    expect(shape).toEqual([1, 3, 40, 50]);
    const warm = await loadModel(fixture('warmup_probe.pt'), { warmup: true });
    expect(probe(await warm.run(probeInput()))).toEqual([start + WARMUP_CALLS + 1, 1, 3, 40, 50]);
    const warmSync = loadModelSync(fixture('warmup_probe.pt'), { warmup: true });
    expect(probe(warmSync.runSync(probeInput()))).toEqual([start + 2 * (WARMUP_CALLS + 1), 1, 3, 40, 50]);
    // The warm-up image: 224² (a features model has no tile of its own), one zero image.
    expect(probe(await cold.run(new Tensor('float32', new Float32Array(3 * 224 * 224), [1, 3, 224, 224])))).toEqual([start + 2 * (WARMUP_CALLS + 1) + 1, 1, 3, 224, 224]);
  });

  it('warms a fixed-size model up at its declared size', async () => {
    // with_metadata.pt is an identity declaring a fixed 224×224 input.
    const model = await loadModel(fixture('with_metadata.pt'), { warmup: true });
    const out = (await model.run(new Tensor('float32', new Float32Array(3 * 224 * 224).fill(2), [1, 3, 224, 224]))) as Tensor;
    expect(out.shape).toEqual([1, 3, 224, 224]);
  });

  it('refuses warmup for an archive without metadata, and a non-boolean warmup, before loading', async () => {
    await expect(loadModel(fixture('identity.pt'), { warmup: true })).rejects.toMatchObject({ code: 'METADATA_INVALID', message: expect.stringMatching(/warmup needs the model's metadata/) });
    expect(() => loadModelSync(fixture('identity.pt'), { warmup: true })).toThrow(/warmup needs the model's metadata/);
    await expect(loadModel(fixture('identity.pt'), { warmup: 'yes' as unknown as boolean })).rejects.toThrow(TypeError);
    // Checked before anything is read: a missing file with a bad warmup reports the warmup.
    await expect(loadModel('/nonexistent/model.pt', { warmup: 1 as unknown as boolean })).rejects.toThrow(/warmup/);
  });

  it('reports a forward that fails during warm-up as the load failure', async () => {
    await expect(loadModel(fixture('raises_metadata.pt'))).resolves.toBeDefined();
    const error = await loadModel(fixture('raises_metadata.pt'), { warmup: true }).catch((e: unknown) => e);
    expect(codeOf(error)).toBe('FORWARD_FAILED');
    expect(String((error as Error).message)).toMatch(/fixture failure/);
  });
});

describe('InferencePool warmup', () => {
  const open: InferencePool[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((p) => p.close()));
  });

  it.each(['native', 'worker-threads'] as const)('%s: warms every model up before taking requests', async (executor) => {
    const direct = await loadModel(fixture('warmup_probe.pt'));
    const [start] = probe(await direct.run(probeInput()));
    const pool = await createInferencePool(fixture('warmup_probe.pt'), { executor, workers: 1, maxBatch: 1, warmup: true });
    open.push(pool);
    expect(probe(await pool.run(probeInput()))).toEqual([start + WARMUP_CALLS + 1, 1, 3, 40, 50]);
  });

  it('validates the option and fails creation when warm-up fails', async () => {
    await expect(createInferencePool(fixture('warmup_probe.pt'), { warmup: 'no' as unknown as boolean })).rejects.toThrow(TypeError);
    const error = await createInferencePool(fixture('raises_metadata.pt'), { executor: 'native', warmup: true }).catch((e: unknown) => e);
    expect(codeOf(error)).toBe('FORWARD_FAILED');
  });
});
