/**
 * How many intra-op threads each forward of a model uses.
 *
 * 'fixed': always `threads`. 'adaptive' (the default when threads > 1): each forward uses either
 * `threads` or 1, whichever has recently been faster for that input shape. On an idle machine
 * the team of `threads` wins; when another process keeps a core busy, an OpenMP team waits at
 * every parallel region for its descheduled member (LWGANet runs hundreds of regions per
 * forward), and a single thread, which never waits for anyone, wins by a wide margin.
 *
 * The choice is measured, not guessed: every shape starts with a few forwards of each count;
 * after that the faster count runs, and every EXPLORE_EVERY-th forward runs the other one to
 * notice when the machine changed. Only forwards that ran alone (no other forward of the model in
 * flight when they started and ended) are measured, so queueing never counts as compute.
 */

export type ThreadPolicy = 'adaptive' | 'fixed';

export const THREAD_POLICIES: readonly ThreadPolicy[] = ['adaptive', 'fixed'];

/** Forwards of each count before the first choice. */
const PROBES = 3;
/** One forward of the other count every this many (times how much slower it was, up to MAX_EXPLORE_SCALE). */
const EXPLORE_EVERY = 16;
const MAX_EXPLORE_SCALE = 16;
/** Weight of a new duration in a count's running estimate: slower ones move it a little (one
 *  preempted forward is noise), faster ones a lot (the machine got quieter: believe it soon). */
const SLOWER_WEIGHT = 0.3;
const FASTER_WEIGHT = 0.7;

interface ShapeStats {
  estimateMs: [number, number]; // [threads, 1 thread]
  samples: [number, number];
  /** The last RECENT durations of each count, newest last. */
  recentMs: [number[], number[]];
  calls: number;
}

/** A slower duration moves an estimate only as far as the median of this many recent ones. */
const RECENT = 3;

export class ThreadChooser {
  readonly #threads: number;
  readonly #adaptive: boolean;
  readonly #shapes = new Map<string, ShapeStats>();

  constructor(threads: number, policy: ThreadPolicy) {
    this.#threads = threads;
    this.#adaptive = policy === 'adaptive' && threads > 1;
  }

  /** Threads for the next forward on inputs of this shape key. */
  choose(key: string): number {
    if (!this.#adaptive) return this.#threads;
    const stats = this.#stats(key);
    stats.calls++;
    const [many, one] = stats.samples;
    if (many < PROBES || one < PROBES) return many <= one ? this.#threads : 1; // alternate while probing
    const best = stats.estimateMs[0] <= stats.estimateMs[1] ? 0 : 1;
    // A look at the other count costs its time: the slower it was, the rarer the look, so
    // exploring costs at most ~1/EXPLORE_EVERY of the forwards' time.
    const ratio = stats.estimateMs[1 - best] / stats.estimateMs[best];
    const every = EXPLORE_EVERY * Math.min(MAX_EXPLORE_SCALE, Math.max(1, Math.round(ratio)));
    const pick = stats.calls % every === 0 ? 1 - best : best;
    return pick === 0 ? this.#threads : 1;
  }

  /** Records how long a forward with `threads` threads took (ms). */
  record(key: string, threads: number, ms: number): void {
    if (!this.#adaptive || !(ms >= 0)) return;
    const stats = this.#stats(key);
    const slot = threads === 1 ? 1 : 0;
    const n = stats.samples[slot]++;
    const recent = stats.recentMs[slot];
    recent.push(ms);
    if (recent.length > RECENT) recent.shift();
    // While probing, a count's estimate is its fastest probe: the first forwards of a count carry
    // one-time costs (kernel selection, page faults, a new OpenMP team) that say nothing about it.
    const estimate = stats.estimateMs[slot];
    if (n < PROBES) {
      stats.estimateMs[slot] = Math.min(estimate, ms);
      return;
    }
    if (ms < estimate) {
      stats.estimateMs[slot] = estimate + FASTER_WEIGHT * (ms - estimate);
      return;
    }
    // Slower: one forward slowed by a passing burst elsewhere (another process's threads still
    // spinning, a page-cache flush) must not switch the count; slowness that lasts moves the
    // median of the recent durations, and with it the estimate.
    const median = [...recent].sort((a, b) => a - b)[Math.floor(recent.length / 2)];
    if (median > estimate) stats.estimateMs[slot] = estimate + SLOWER_WEIGHT * (median - estimate);
  }

  /** What the chooser currently believes, for tests and monitoring. */
  snapshot(key: string): { threadsMs: number; oneThreadMs: number; samples: [number, number] } | null {
    const stats = this.#shapes.get(key);
    return stats ? { threadsMs: stats.estimateMs[0], oneThreadMs: stats.estimateMs[1], samples: [...stats.samples] } : null;
  }

  #stats(key: string): ShapeStats {
    let stats = this.#shapes.get(key);
    if (!stats) {
      stats = { estimateMs: [Infinity, Infinity], samples: [0, 0], recentMs: [[], []], calls: 0 };
      this.#shapes.set(key, stats);
    }
    return stats;
  }
}

/** The shape key of one call's inputs: forwards of equal keys cost the same. */
export function shapeKey(inputs: ReadonlyArray<{ shape: readonly number[] } | null>): string {
  return inputs.map((input) => (input === null ? '-' : input.shape.join('x'))).join('|');
}
