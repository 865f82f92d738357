// The adaptive thread count: it must probe both counts, then follow whichever is faster for a
// shape, notice when that changes (a busy machine), and never adapt under 'fixed'.
import { describe, expect, it } from 'vitest';
import { ThreadChooser, shapeKey } from '../lib/model/thread-policy.js';
import { loadModel } from '../lib/index.js';
import { fixture } from './helpers/fixtures.js';

/** Runs `calls` forwards whose duration depends on the thread count; returns the counts chosen. */
function drive(chooser: ThreadChooser, key: string, calls: number, msFor: (threads: number) => number): number[] {
  const chosen: number[] = [];
  for (let i = 0; i < calls; i++) {
    const threads = chooser.choose(key);
    chosen.push(threads);
    chooser.record(key, threads, msFor(threads));
  }
  return chosen;
}

describe('ThreadChooser', () => {
  it('probes both counts, then runs the faster one with an occasional look at the other', () => {
    const chooser = new ThreadChooser(2, 'adaptive');
    const chosen = drive(chooser, 'k', 64, (t) => (t === 2 ? 5 : 9));
    expect(chosen.slice(0, 6).sort()).toEqual([1, 1, 1, 2, 2, 2]);
    const settled = chosen.slice(6);
    expect(settled.filter((t) => t === 2).length).toBeGreaterThan(settled.length * 0.85);
    expect(settled).toContain(1); // still explores
  });

  it('moves to one thread when the team gets slow (another process took a core) and back when it recovers', () => {
    const chooser = new ThreadChooser(2, 'adaptive');
    drive(chooser, 'k', 32, (t) => (t === 2 ? 5 : 9));
    const busy = drive(chooser, 'k', 64, (t) => (t === 2 ? 90 : 10)).slice(16);
    expect(busy.filter((t) => t === 1).length).toBeGreaterThan(busy.length * 0.85);
    const idle = drive(chooser, 'k', 128, (t) => (t === 2 ? 5 : 9)).slice(64);
    expect(idle.filter((t) => t === 2).length).toBeGreaterThan(idle.length * 0.85);
  });

  it('judges a count by its fastest probe: a team warming up on its first forwards does not lose to one thread', () => {
    const chooser = new ThreadChooser(2, 'adaptive');
    const team = [20, 12, 5];
    let k = 0;
    const chosen = drive(chooser, 'k', 40, (t) => (t === 2 ? team[k++] ?? 5 : 6));
    expect(chosen.slice(6).filter((t) => t === 2).length).toBeGreaterThan(34 * 0.85);
  });

  it('does not switch on one slow forward among fast ones (a passing burst), only on slowness that lasts', () => {
    const chooser = new ThreadChooser(2, 'adaptive');
    drive(chooser, 'k', 32, (t) => (t === 2 ? 5 : 6));
    // Every 8th forward of the team is slowed 6× by something passing.
    let i = 0;
    const bursts = drive(chooser, 'k', 96, (t) => (t === 2 ? (++i % 8 === 0 ? 30 : 5) : 6));
    expect(bursts.filter((t) => t === 2).length).toBeGreaterThan(bursts.length * 0.85);
    // Two slow forwards in a row are not passing: the count changes.
    const lasting = drive(chooser, 'k', 8, (t) => (t === 2 ? 30 : 6));
    expect(lasting.slice(2)).toContain(1);
  });

  it('keeps separate estimates per input shape', () => {
    const chooser = new ThreadChooser(4, 'adaptive');
    drive(chooser, 'small', 40, (t) => (t === 4 ? 9 : 3));
    drive(chooser, 'large', 40, (t) => (t === 4 ? 30 : 100));
    expect(chooser.snapshot('small')!.oneThreadMs).toBeLessThan(chooser.snapshot('small')!.threadsMs);
    expect(chooser.snapshot('large')!.threadsMs).toBeLessThan(chooser.snapshot('large')!.oneThreadMs);
  });

  it("'fixed', or a single thread, never changes the count", () => {
    expect(new Set(drive(new ThreadChooser(2, 'fixed'), 'k', 40, (t) => (t === 2 ? 90 : 1)))).toEqual(new Set([2]));
    expect(new Set(drive(new ThreadChooser(1, 'adaptive'), 'k', 10, () => 1))).toEqual(new Set([1]));
  });

  it('keys shapes by every input', () => {
    expect(shapeKey([{ shape: [1, 3, 8, 8] }, null])).toBe('1x3x8x8|-');
  });
});

describe('loadModel threadPolicy option', () => {
  it('is reported on the model and checked', async () => {
    const model = await loadModel(fixture('conv.pt'), { threadPolicy: 'fixed', threads: 2 });
    expect(model.threadPolicy).toBe('fixed');
    model.dispose();
    expect((await loadModel(fixture('conv.pt'))).threadPolicy).toBe('adaptive');
    await expect(loadModel(fixture('conv.pt'), { threadPolicy: 'sometimes' as never })).rejects.toThrow(RangeError);
  });
});
