import { describe, expect, it } from 'vitest';
import { Tensor, devices, loadModel, type ModelOutput } from '../lib/index.js';
import { fixture } from './helpers/fixtures.js';

const info = devices();
const cudaReason = info.cudaUnavailableReason ?? '';

describe('devices()', () => {
  it('reports LibTorch and CUDA availability with a reason', () => {
    expect(info.available[0]).toBe('cpu');
    expect(info.available.length).toBe(1 + info.cudaDeviceCount);
    expect(info.cpuCount).toBeGreaterThanOrEqual(1);
    if (info.cudaDeviceCount === 0) expect(info.cudaUnavailableReason).toMatch(/CPU-only LibTorch|no CUDA device/);
  });
});

describe.runIf(info.cudaDeviceCount === 0)('CUDA requested on a machine without it', () => {
  it.each(['cuda', 'cuda:0', 'cuda:1'])('%s → CUDA_UNAVAILABLE saying why', async (device) => {
    await expect(loadModel(fixture('identity.pt'), { device })).rejects.toMatchObject({
      code: 'CUDA_UNAVAILABLE',
      message: expect.stringContaining(cudaReason),
    });
  });
});

describe.skipIf(info.cudaDeviceCount === 0)(`on CUDA (skipped: ${cudaReason || 'CUDA available'})`, () => {
  it('runs float32 and float16 on the GPU and returns CPU tensors', async () => {
    const x = new Tensor('float32', new Float32Array(3 * 224 * 224).fill(0.25), [1, 3, 224, 224]);
    const cpu = (await (await loadModel(fixture('conv.pt'))).run(x)) as Tensor;
    const gpu = await loadModel(fixture('conv.pt'), { device: 'cuda' });
    expect(gpu.device).toBe('cuda:0');
    const out = (await gpu.run(x)) as Tensor;
    let maxDiff = 0;
    out.data.forEach((v, i) => (maxDiff = Math.max(maxDiff, Math.abs((v as number) - (cpu.data[i] as number)))));
    expect(maxDiff).toBeLessThan(1e-3);
    const half = await loadModel(fixture('conv.pt'), { device: 'cuda', dtype: 'float16' });
    const halfOut = (await half.run(x)) as ModelOutput as Tensor;
    expect(halfOut.dtype).toBe('float32');
    expect(halfOut.shape).toEqual(cpu.shape);
  });
});
