// The addon's CPU block cache (native/cpu_memory.cc): reused blocks give the same results, the
// stats report it, releaseCpuCache() empties it, and LWGANET_CPU_CACHE=0 turns it off.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Tensor, devices, loadModel, releaseCpuCache } from '../lib/index.js';
import { fixture } from './helpers/fixtures.js';
import { ROOT } from './helpers/image-python.js';

const io = JSON.parse(fs.readFileSync(fixture('conv_io.json'), 'utf8'));
const input = () => {
  const bytes = fs.readFileSync(fixture(io.input.file));
  return new Tensor('float32', new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)), io.input.shape);
};

describe('CPU block cache', () => {
  it('serves repeated forwards from reused blocks with identical results, and releases them on request', async () => {
    const before = devices().cpuCache;
    expect(before).toMatchObject({ enabled: true, limitBytes: 2048 * 2 ** 20 });
    // conv.pt's activations at 224² (32-64 channels) are MiB-sized: the cache's range.
    const model = await loadModel(fixture('conv.pt'), { threads: 2 });
    const first = (await model.run(input())) as Tensor;
    const again = [];
    for (let i = 0; i < 3; i++) again.push((await model.run(input())) as Tensor);
    const after = devices().cpuCache;
    expect(after.hits).toBeGreaterThan(before.hits);
    expect(after.misses).toBeGreaterThan(0);
    expect(after.cachedBytes).toBeGreaterThan(0);
    for (const out of again) expect(out.data).toEqual(first.data);
    releaseCpuCache();
    expect(devices().cpuCache.cachedBytes).toBe(0);
    // Blocks in use survive a release: the outputs are still readable and a new forward still agrees.
    expect(((await model.run(input())) as Tensor).data).toEqual(first.data);
  });

  it('is off with LWGANET_CPU_CACHE=0, and forwards still work', () => {
    const script = `const l = require(${JSON.stringify(join(ROOT, 'dist', 'index.js'))});
      const m = l.loadModelSync(${JSON.stringify(fixture('plus_one.pt'))});
      const out = m.runSync(new l.Tensor('float32', new Float32Array(1 << 20).fill(1), [1 << 20]));
      console.log(JSON.stringify({ cache: l.devices().cpuCache, value: out.data[7] }));`;
    const stdout = execFileSync(process.execPath, ['-e', script], { env: { ...process.env, LWGANET_CPU_CACHE: '0' }, encoding: 'utf8' });
    const report = JSON.parse(stdout.trim().split('\n').pop()!);
    expect(report.cache).toEqual({ enabled: false, limitBytes: 0, cachedBytes: 0, inUseBytes: 0, hits: 0, misses: 0 });
    expect(report.value).toBe(2);
  });
});
