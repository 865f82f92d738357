// Memory under sustained use: a synchronous runSync() loop with 4 MB outputs must not pile up
// the dropped outputs (they were external buffers freed only once the loop yields), and 10,000
// run() calls must not grow resident memory beyond a small bound. Bounds, not timings.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { Tensor, loadModel } from '../lib/index.js';
import { binding } from '../lib/native/binding.js';
import { fixture } from './helpers/fixtures.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const MiB = 1024 * 1024;
const rss = () => process.memoryUsage().rss;

describe('memory under sustained use', () => {
  it('runSync() in a synchronous loop: 300 calls with 4 MiB outputs stay within 200 MiB of resident growth', async () => {
    const model = await loadModel(fixture('plus_one.pt'), { threads: 1 });
    const input = new Tensor('float32', new Float32Array(MiB), [MiB]); // 4 MiB in, 4 MiB out
    for (let i = 0; i < 5; i++) model.runSync(input);
    gc();
    const before = rss();
    let peak = before;
    let checksum = 0;
    for (let i = 0; i < 300; i++) {
      const out = model.runSync(input) as Tensor;
      checksum += (out.data as Float32Array)[i]!;
      if (i % 25 === 0) peak = Math.max(peak, rss());
    }
    peak = Math.max(peak, rss());
    expect(checksum).toBe(300);
    console.log(`runSync() loop: ${((peak - before) / MiB).toFixed(1)} MiB peak resident growth over 300 calls with 4 MiB outputs`);
    // 300 outputs kept until the loop yields would be 1.2 GiB.
    expect((peak - before) / MiB).toBeLessThan(200);
    model.dispose();
  });

  it('the CPU block cache never holds more free memory than the most ever in use at once (floor 64 MiB)', async () => {
    const model = await loadModel(fixture('plus_one.pt'), { threads: 1 });
    binding().releaseCpuCache();
    // Outputs of growing sizes (each 1.2× the last): no freed block fits the next output, so
    // without a working-set bound the cache keeps every one (about 280 MiB in all).
    let largest = 0;
    for (let k = 0, n = 393_216; k < 20; k++, n = Math.ceil(n * 1.2)) {
      const out = model.runSync(new Tensor('float32', new Float32Array(n), [n])) as Tensor;
      expect((out.data as Float32Array)[n - 1]).toBe(1);
      largest = Math.max(largest, n * 4);
      await new Promise((resolve) => setImmediate(resolve));
    }
    gc();
    await new Promise((resolve) => setImmediate(resolve));
    const cached = binding().devices().cpuCache.cachedBytes;
    console.log(`CPU block cache after growing outputs: ${(cached / MiB).toFixed(1)} MiB cached (largest output ${(largest / MiB).toFixed(1)} MiB)`);
    expect(cached).toBeLessThanOrEqual(Math.max(64 * MiB, 2 * largest));
    model.dispose();
  });

  it('10,000 run() calls: resident memory grows by less than 40 MiB after warm-up', async () => {
    const model = await loadModel(fixture('plus_one.pt'), { threads: 1 });
    const input = new Tensor('float32', new Float32Array(4096).fill(1), [4096]); // 16 KiB
    const round = async (calls: number) => {
      for (let i = 0; i < calls; i += 8) {
        const outs = await Promise.all(Array.from({ length: 8 }, () => model.run(input)));
        expect(((outs[7] as Tensor).data as Float32Array)[4095]).toBe(2);
      }
    };
    await round(1000);
    gc();
    const before = rss();
    await round(10_000);
    gc();
    await new Promise((resolve) => setImmediate(resolve)); // let N-API finalizers run
    gc();
    const grown = (rss() - before) / MiB;
    console.log(`run() soak: ${grown.toFixed(1)} MiB resident growth over 10,000 calls`);
    expect(grown).toBeLessThan(40);
    model.dispose();
  }, 120_000);
});
