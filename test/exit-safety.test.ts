// Process exit with forwards in flight: the process must end with the code (or signal) it asked
// for, never with a SIGSEGV/SIGABRT from exit() destroying LibTorch's globals under a forward.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { fixture } from './helpers/fixtures.js';

const DIST = path.join(__dirname, '..', 'dist', 'index.js');
const CHILD = path.join(__dirname, 'helpers', 'exit-child.js');

type Mode = 'exit' | 'throw' | 'reject' | 'sigterm-handler' | 'sigterm' | 'exit-on-result';
const EXPECTED: Record<Mode, { code: number | null; signal: NodeJS.Signals | null }> = {
  exit: { code: 3, signal: null },
  throw: { code: 1, signal: null },
  reject: { code: 1, signal: null },
  'sigterm-handler': { code: 143, signal: null },
  sigterm: { code: null, signal: 'SIGTERM' },
  'exit-on-result': { code: 3, signal: null },
};

interface Ending {
  mode: Mode;
  delay: number;
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
}

function runChild(mode: Mode, delay: number): Promise<Ending> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CHILD, DIST, fixture('conv.pt'), mode, String(delay)], {
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      env: { ...process.env, LWGANET_INFERENCE_THREADS: '2' },
    });
    let stderr = '';
    child.stderr!.on('data', (chunk) => (stderr += chunk));
    const killer = setTimeout(() => child.kill('SIGKILL'), 60_000); // a hang shows as SIGKILL
    if (mode === 'sigterm') child.once('message', () => setTimeout(() => child.kill('SIGTERM'), Math.max(0, delay)));
    child.on('exit', (code, signal) => {
      clearTimeout(killer);
      resolve({ mode, delay, code, signal, stderr });
    });
  });
}

/** Runs `work` on every item, four children at a time; the endings in completion order. */
async function runAll<T>(items: T[], work: (item: T) => Promise<Ending>): Promise<Ending[]> {
  const endings: Ending[] = [];
  const todo = [...items];
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      for (let item = todo.shift(); item !== undefined; item = todo.shift()) endings.push(await work(item));
    }),
  );
  return endings;
}

// A seeded sequence of endings, so a failure can be replayed.
function plan(count: number, seed: number): Array<{ mode: Mode; delay: number }> {
  const modes: Mode[] = ['exit', 'throw', 'reject', 'sigterm-handler', 'sigterm'];
  let state = seed >>> 0;
  const next = () => ((state = (Math.imul(state, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  // One in five while the model loads, the rest 0-120 ms into the first forwards (which are the
  // slowest: LibTorch optimises the graph on them).
  return Array.from({ length: count }, (_, i) => {
    const mode = modes[i % modes.length]!;
    const whileLoading = next() < 0.2 && mode !== 'sigterm';
    return { mode, delay: whileLoading ? -1 - Math.floor(next() * 50) : Math.floor(next() * 120) };
  });
}

describe('process exit with forwards in flight', () => {
  it('50 exits (exit, throw, unhandled rejection, SIGTERM with and without a handler) at random points end with the requested code, never a crash signal', async () => {
    const endings = await runAll(plan(50, 12), (job) => runChild(job.mode, job.delay));
    const wrong = endings.filter((e) => e.code !== EXPECTED[e.mode].code || e.signal !== EXPECTED[e.mode].signal);
    expect(
      wrong.map((e) => `${e.mode} after ${e.delay} ms: code ${e.code}, signal ${e.signal}\n${e.stderr.slice(-400)}`),
    ).toEqual([]);
    expect(endings).toHaveLength(50);
  }, 600_000);

  // The exit handler waits for running forwards. A thread that delivered a result lists itself idle
  // first, so the next run() submitted from that result's callback can be handed to it before it
  // is done with the last job; with an exit in between, that job must not be waited for. It is a
  // race: with that bug planted, about 1 child in 6 hung (4 of 24), so a run misses it ~1 % of the time.
  it('24 exits from inside a result callback, right after submitting more runs, end with the requested code', async () => {
    const endings = await runAll(Array.from({ length: 24 }, (_, i) => 1 + ((i * 7) % 20)), (results) => runChild('exit-on-result', results));
    const wrong = endings.filter((e) => e.code !== 3 || e.signal !== null);
    expect(
      wrong.map((e) => `exit after ${e.delay} results: code ${e.code}, signal ${e.signal}\n${e.stderr.slice(-400)}`),
    ).toEqual([]);
    expect(endings).toHaveLength(24);
  }, 600_000);
});
