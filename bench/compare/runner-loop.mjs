// The timing protocol every runtime child of bench/compare.mjs speaks (the C++ ceiling's --serve
// and torchscript_runner.py implement the same lines): one JSON object per stdout line.
//   startup   → {"ready":true,"load_ms","first_call_ms","output_shapes","rss_before_load_kb"}
//   "time N"  → {"samples_us":[…]}  (N forwards, each timed alone)
//   "quit"    → {"peak_rss_kb", "event_loop":{…}}  and exit
// This file is the Node side, shared by the lwganet-node and onnxruntime-node runners.

import { readFileSync, writeFileSync } from 'node:fs';
import { createHistogram, performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';

/** --model, --input (raw float32), --shape, --threads, --warmup, --save-output, --load-warmup
 *  (lwganet-node only: loadModel's own warm-up before the first call is timed), --thread-policy
 *  (lwganet-node only: loadModel's threadPolicy, default adaptive). */
export function runnerArgs() {
  const { values } = parseArgs({
    options: {
      model: { type: 'string' },
      input: { type: 'string' },
      shape: { type: 'string' },
      threads: { type: 'string', default: '1' },
      warmup: { type: 'string', default: '2' },
      'save-output': { type: 'string' },
      'load-warmup': { type: 'boolean', default: false },
      'thread-policy': { type: 'string', default: 'adaptive' },
    },
  });
  for (const key of ['model', 'input', 'shape', 'save-output']) {
    if (!values[key]) throw new Error(`runner: --${key} is required`);
  }
  const shape = values.shape.split(',').map(Number);
  const bytes = readFileSync(values.input);
  const data = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
  if (data.length !== shape.reduce((a, b) => a * b, 1)) throw new Error(`runner: ${values.input} does not hold [${shape}] float32`);
  return {
    model: values.model, shape, data, threads: Number(values.threads),
    warmup: Math.max(1, Number(values.warmup)), saveOutput: values['save-output'], loadWarmup: values['load-warmup'],
    threadPolicy: values['thread-policy'],
  };
}

/** VmRSS or VmHWM of this process in KiB (Linux), or null. */
export function statusKb(field) {
  try {
    const match = readFileSync('/proc/self/status', 'utf8').match(new RegExp(`^${field}:\\s+(\\d+)`, 'm'));
    return match ? Number(match[1]) : null;
  } catch {
    return null;
  }
}

const say = (object) => process.stdout.write(`${JSON.stringify(object)}\n`);

/**
 * Event-loop lag: a 1 ms timer chain recording the time between its firings (≈ 1 ms on a free
 * loop). Not monitorEventLoopDelay: re-enabled between rounds, that records the idle gap since
 * it was disabled as one huge delay, and it misses a block right after enable().
 */
function lagProbe(histogram) {
  let timer = null;
  let last = 0;
  const tick = () => {
    const now = performance.now();
    histogram.record(Math.max(1, Math.round((now - last) * 1e6)));
    last = now;
    timer = setTimeout(tick, 1);
  };
  return {
    start() {
      last = performance.now();
      timer = setTimeout(tick, 1);
    },
    stop() {
      clearTimeout(timer);
    },
  };
}
const nowUs = () => Number(process.hrtime.bigint()) / 1e3;

/**
 * Runs the protocol. `load()` resolves to { forward, version }: `forward()` runs one inference on
 * the runner's input and resolves to its outputs as [{ shape, data: Float32Array }].
 */
export async function serve(args, load) {
  const rssBeforeLoadKb = statusKb('VmRSS');
  const loadStart = nowUs();
  const { forward, version } = await load();
  const loadMs = (nowUs() - loadStart) / 1e3;

  const firstStart = nowUs();
  const outputs = await forward();
  const firstCallMs = (nowUs() - firstStart) / 1e3;
  writeFileSync(args.saveOutput, Buffer.concat(outputs.map((o) => Buffer.from(o.data.buffer, o.data.byteOffset, o.data.byteLength))));
  for (let i = 1; i < args.warmup; i++) await forward();
  say({ ready: true, version, load_ms: loadMs, first_call_ms: firstCallMs, output_shapes: outputs.map((o) => o.shape), rss_before_load_kb: rssBeforeLoadKb });

  // Event-loop lag while inference runs (lagProbe), in untimed calls after each round's timed ones.
  // One setImmediate hop between calls (outside the timed span) lets the loop turn even when a
  // runtime resolves its promise without yielding.
  const lag = createHistogram();
  const probe = lagProbe(lag);
  const lines = createInterface({ input: process.stdin });
  for await (const line of lines) {
    const [verb, count] = line.trim().split(/\s+/);
    if (verb === 'quit') break;
    const n = Number(count);
    if (verb !== 'time' || !Number.isInteger(n) || n < 1) {
      say({ error: `unknown command: ${line}` });
      continue;
    }
    const samples = [];
    for (let i = 0; i < n; i++) {
      const t0 = nowUs();
      await forward();
      samples.push(nowUs() - t0);
      await new Promise(setImmediate);
    }
    // The lag is read in calls of its own, after the timed ones: a timer firing every 1 ms wakes
    // the JS thread in the middle of a forward that does not block it (lwganet-node's), which on
    // a 2-core machine takes a core from that forward's OpenMP team, but never in the middle of
    // one that blocks the loop (onnxruntime-node's); timing with it running slowed lwganet-node's
    // L0 224² b1 from ~5 to ~7.5 ms and not onnxruntime-node's.
    probe.start();
    for (let i = 0; i < Math.ceil(n / 4); i++) {
      await forward();
      await new Promise(setImmediate);
    }
    probe.stop();
    say({ samples_us: samples });
  }
  const ms = (ns) => (lag.count && Number.isFinite(ns) ? ns / 1e6 : null);
  say({
    peak_rss_kb: statusKb('VmHWM'),
    event_loop: { count: lag.count, p50_ms: ms(lag.percentile(50)), p99_ms: ms(lag.percentile(99)), max_ms: ms(lag.max) },
  });
  lines.close();
}
