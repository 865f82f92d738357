import fs from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { Tensor, loadModel, type ModelOutput } from '../lib/index.js';
import { fixture } from './helpers/fixtures.js';

const slowInput = () => new Tensor('float32', Float32Array.from({ length: 512 * 512 }, (_, i) => ((i % 97) - 48) / 512), [512, 512]);
const asTensor = (value: ModelOutput) => value as Tensor;

describe('run() is asynchronous for real', () => {
  it('keeps the event loop ticking during a long forward', async () => {
    const model = await loadModel(fixture('slow.pt'), { threads: 2 });
    const x = slowInput();
    const started = performance.now();
    model.runSync(x); // reference duration of one forward on this machine
    const forwardMs = performance.now() - started;

    let ticks = 0;
    const timer = setInterval(() => ticks++, 5);
    const running = model.run(x);
    await running;
    clearInterval(timer);
    // A forward blocking the JS thread would allow at most one tick; the loop ran freely instead.
    expect(ticks).toBeGreaterThanOrEqual(Math.min(5, Math.floor(forwardMs / 20)));
  });

  it('does not starve the libuv pool: file reads finish while forwards run', async () => {
    const model = await loadModel(fixture('slow.pt'), { threads: 1 });
    const x = slowInput();
    let forwardsDone = 0;
    // More concurrent forwards than libuv has threads (4): none of them may occupy libuv.
    const runs = Array.from({ length: 6 }, () => model.run(x).then(() => forwardsDone++));
    const read = await fs.readFile(fixture('manifest.json'));
    const doneWhenRead = forwardsDone;
    await Promise.all(runs);
    expect(read.length).toBeGreaterThan(0);
    expect(doneWhenRead).toBeLessThan(6);
  });

  it('resolves many concurrent runs on one model with the right results', async () => {
    const model = await loadModel(fixture('add.pt'));
    const results = await Promise.all(
      Array.from({ length: 64 }, (_, i) =>
        model.run([new Tensor('float32', new Float32Array([i]), [1]), new Tensor('float32', new Float32Array([1000]), [1])]),
      ),
    );
    results.forEach((out, i) => expect(asTensor(out).data[0]).toBe(1000 + i));
    expect(model.pendingRuns).toBe(0);
  });

  it('dispose() while runs are in flight: they finish, later runs reject with DISPOSED', async () => {
    const model = await loadModel(fixture('slow.pt'), { threads: 1 });
    const x = slowInput();
    const inFlight = [model.run(x), model.run(x)];
    expect(model.pendingRuns).toBe(2);
    model.dispose();
    const outs = await Promise.all(inFlight);
    expect(outs.map((o) => asTensor(o).shape)).toEqual([[512, 512], [512, 512]]);
    await expect(model.run(x)).rejects.toMatchObject({ code: 'DISPOSED' });
  });

  it('a failing run does not disturb concurrent ones', async () => {
    const good = await loadModel(fixture('plus_one.pt'));
    const bad = await loadModel(fixture('raises.pt'));
    const x = new Tensor('float32', new Float32Array([1]), [1]);
    const settled = await Promise.allSettled([good.run(x), bad.run(x), good.run(x)]);
    expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
  });

  it('loads asynchronously too, and a failed load leaves nothing pending', async () => {
    const results = await Promise.allSettled([loadModel(fixture('conv.pt')), loadModel(fixture('garbage.pt')), loadModel(fixture('identity.pt'))]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
  });
});

describe('run() takes an AbortSignal', () => {
  it('rejects ABORTED at once for an aborted signal, and as soon as it fires during a forward', async () => {
    const model = await loadModel(fixture('slow.pt'), { threads: 1 });
    try {
      const x = slowInput();
      await expect(model.run(x, { signal: AbortSignal.abort('stop') })).rejects.toMatchObject({ code: 'ABORTED', cause: 'stop' });
      expect(model.pendingRuns).toBe(0); // nothing was started
      const controller = new AbortController();
      const running = model.run(x, { signal: controller.signal });
      setTimeout(() => controller.abort(), 5);
      await expect(running).rejects.toMatchObject({ code: 'ABORTED' });
      // The promise settled without waiting for the forward, which runs on to its end.
      expect(model.pendingRuns).toBe(1);
      while (model.pendingRuns > 0) await new Promise((resolve) => setTimeout(resolve, 10));
      // A signal that never fires changes nothing.
      const output = asTensor(await model.run(x, { signal: new AbortController().signal }));
      expect(output.shape).toEqual([512, 512]);
    } finally {
      model.dispose();
    }
  });

  it('rejects a signal that is not an AbortSignal and unknown run options', async () => {
    const model = await loadModel(fixture('slow.pt'), { threads: 1 });
    try {
      await expect(model.run(slowInput(), { signal: 'stop' } as never)).rejects.toThrow(TypeError);
      await expect(model.run(slowInput(), { sigal: new AbortController().signal } as never)).rejects.toThrow(/^Unknown option "sigal" in options; did you mean "signal"\?/);
    } finally {
      model.dispose();
    }
  });
});

