#!/usr/bin/env node
// Throughput (images/s) against concurrency: N clients each issue back-to-back requests for a
// fixed time, on an exported LWGANet-L0 classifier at 224². Compared: plain Model.run (forwards
// on the addon's native threads, no batching), InferencePool with dynamic batching in its
// executor/thread layouts, and onnxruntime-node on the ONNX export of the same weights (one
// session with all cores, or one session per core), whose best is the bar. For each concurrency
// level the configurations run one after the other in the same process, so drift on a shared
// machine spreads over all of them.
//
//   node bench/throughput.mjs [--duration 3] [--rounds 2] [--warmup 0.5] [--initial-warmup 2] [--clients 1,2,4,8,16]
//                             [--max-batch 16] [--max-delay 2] [--only NAME,...] [--model FILE --onnx FILE]
//                             [--package dist/index.js]
//
// Default models: bench/compare's seeded L0 exports (frozen fast-graph TorchScript, ONNX at 224²).
//
// Writes bench/results/throughput-<stamp>.json and bench/results/throughput-latest.md.

import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { CASES } from './compare/cases.mjs';
import { ensureExports } from './compare/exports.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { values: opts } = parseArgs({
  options: {
    duration: { type: 'string', default: '3' },
    rounds: { type: 'string', default: '2' },
    only: { type: 'string', default: '' },
    warmup: { type: 'string', default: '0.5' },
    'initial-warmup': { type: 'string', default: '2' },
    clients: { type: 'string', default: '1,2,4,8,16' },
    'max-batch': { type: 'string', default: '16' },
    'max-delay': { type: 'string', default: '2' },
    model: { type: 'string' },
    onnx: { type: 'string' },
    package: { type: 'string', default: join(root, 'dist', 'index.js') },
  },
});
const durationMs = Number(opts.duration) * 1000;
const rounds = Math.max(1, Number(opts.rounds));
const warmupMs = Number(opts.warmup) * 1000;
const initialWarmupMs = Number(opts['initial-warmup']) * 1000;
const clientCounts = opts.clients.split(',').map(Number);
const maxBatch = Number(opts['max-batch']);
const maxDelayMs = Number(opts['max-delay']);
const cores = os.availableParallelism();

if (!existsSync(opts.package)) fail(`missing the built package ${rel(opts.package)}: run \`npm run build:ts\``);
const require = createRequire(import.meta.url);
const { loadModel, createInferencePool, Tensor } = require(opts.package);
let ort = null;
try {
  ort = require('onnxruntime-node');
} catch {
  console.error('bench/throughput: onnxruntime-node is not installed (a devDependency: npm ci); its rows are left out');
}
if (!opts.model) {
  const exported = ensureExports(root, join(root, 'out', 'bench', 'compare'), CASES.find((c) => c.id === 'l0-224-b1'), 0, console.error);
  opts.model = exported.torchscript;
  opts.onnx ??= exported.onnx;
}
if (!existsSync(opts.model)) fail(`no model at ${rel(opts.model)}`);

// Every layout keeps threads × concurrent forwards = cores (the pool's own default rule).
const half = Math.max(1, Math.floor(cores / 2));
const allConfigs = [
  { name: 'Model.run', kind: 'model', threads: cores },
  { name: `pool native 1×${cores}`, kind: 'pool', options: { executor: 'native', workers: 1, threadsPerWorker: cores } },
  { name: `pool native 2×${half}`, kind: 'pool', options: { executor: 'native', workers: 2, threadsPerWorker: half } },
  { name: `pool workers 2×${half}`, kind: 'pool', options: { executor: 'worker-threads', workers: 2, threadsPerWorker: half } },
  ...(ort && opts.onnx ? [
    { name: `ort 1×${cores}`, kind: 'ort', sessions: 1, threads: cores },
    { name: `ort ${cores}×1`, kind: 'ort', sessions: cores, threads: 1 },
  ] : []),
];

// --only 'native 2,workers' keeps the configurations whose name contains one of the parts.
const configs = opts.only ? allConfigs.filter((c) => opts.only.split(',').some((part) => c.name.includes(part))) : allConfigs;
if (configs.length === 0) fail(`--only ${opts.only} matches none of: ${allConfigs.map((c) => c.name).join(', ')}`);

const image = (seed) => new Tensor('float32', Float32Array.from({ length: 3 * 224 * 224 }, (_, i) => Math.sin(i * 0.001 + seed)), [1, 3, 224, 224]);

async function open(config) {
  if (config.kind === 'model') {
    const model = await loadModel(opts.model, { threads: config.threads });
    return { run: (x) => model.run(x), stats: () => null, close: async () => model.dispose() };
  }
  if (config.kind === 'ort') {
    // Requests go round-robin over the sessions; one session also takes concurrent runs.
    const sessions = [];
    for (let i = 0; i < config.sessions; i++) {
      sessions.push(await ort.InferenceSession.create(opts.onnx, {
        executionProviders: ['cpu'], graphOptimizationLevel: 'all', intraOpNumThreads: config.threads,
        interOpNumThreads: 1, executionMode: 'sequential',
      }));
    }
    let next = 0;
    const name = sessions[0].inputNames[0];
    return {
      run: (x) => sessions[next++ % sessions.length].run({ [name]: new ort.Tensor('float32', x.data, x.shape) }),
      stats: () => null,
      close: async () => { for (const s of sessions) await s.release(); },
    };
  }
  const pool = await createInferencePool(opts.model, { ...config.options, maxBatch, maxDelayMs, maxQueue: 1024 });
  return { run: (x) => pool.run(x), stats: () => pool.stats(), close: () => pool.close() };
}

/** N clients, each awaiting its previous request before sending the next, until the deadline. */
async function drive(target, clients, ms) {
  const inputs = Array.from({ length: clients }, (_, i) => image(i));
  const latencies = [];
  const end = performance.now() + ms;
  const started = performance.now();
  await Promise.all(inputs.map(async (x) => {
    while (performance.now() < end) {
      const t0 = performance.now();
      await target.run(x);
      latencies.push(performance.now() - t0);
    }
  }));
  return { images: latencies.length, seconds: (performance.now() - started) / 1000, latencies };
}

const quantile = (sorted, q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];

// TorchScript's profiling executor re-optimises on the first calls of each input shape, and
// batching produces many batch sizes: every target first serves a burst of mixed batch sizes.
const targets = [];
for (const config of configs) {
  const target = await open(config);
  await drive(target, maxBatch, initialWarmupMs);
  targets.push({ config, target });
}

// Each cell is measured in `rounds` slices, the configurations alternating (reversed order every
// other round), so load from neighbours on a shared machine spreads over all of them.
const rows = [];
for (const clients of clientCounts) {
  const cells = new Map(targets.map(({ config }) => [config.name, { images: 0, seconds: 0, forwards: 0, latencies: [] }]));
  for (let pass = 0; pass < rounds; pass++) {
    const order = pass % 2 === 0 ? targets : [...targets].reverse();
    for (const { config, target } of order) {
      await drive(target, clients, warmupMs);
      const before = target.stats();
      const slice = await drive(target, clients, durationMs / rounds);
      const after = target.stats();
      const cell = cells.get(config.name);
      cell.images += slice.images;
      cell.seconds += slice.seconds;
      cell.forwards += after ? after.batches - before.batches : slice.images;
      cell.latencies.push(...slice.latencies);
    }
  }
  for (const { config } of targets) {
    const { images, seconds, forwards, latencies } = cells.get(config.name);
    latencies.sort((a, b) => a - b);
    const row = {
      config: config.name, clients, images, seconds: round(seconds, 3),
      imagesPerSecond: round(images / seconds, 1),
      p50Ms: round(quantile(latencies, 0.5), 2), p95Ms: round(quantile(latencies, 0.95), 2),
      meanBatch: round(images / Math.max(1, forwards), 2),
    };
    rows.push(row);
    console.error(`${String(clients).padStart(2)} clients  ${config.name.padEnd(22)} ${String(row.imagesPerSecond).padStart(7)} img/s  p50 ${row.p50Ms} ms  batch ${row.meanBatch}`);
  }
}
for (const { target } of targets) await target.close();

const markdown = table(rows);
console.log(markdown);
console.log(versusOrt(rows));
const stamp = new Date().toISOString().replace(/[:.]/g, '-');
const outDir = join(root, 'bench', 'results');
mkdirSync(outDir, { recursive: true });
const meta = { stamp, model: rel(opts.model), input: [1, 3, 224, 224], cores, node: process.version, durationS: durationMs / 1000, rounds, loadAverage: os.loadavg(), warmupS: warmupMs / 1000, maxBatch, maxDelayMs };
writeFileSync(join(outDir, `throughput-${stamp}.json`), JSON.stringify({ ...meta, configs, rows }, null, 2));
writeFileSync(join(outDir, 'throughput-latest.md'),
  `# Throughput vs concurrency (${stamp})\n\n${rel(opts.model)}, [1,3,224,224] float32 per request, ${cores} cores, ` +
  `${durationMs / 1000} s per cell in ${rounds} interleaved rounds (each after ${warmupMs / 1000} s warm-up), load average ${os.loadavg()[0].toFixed(1)}, pool maxBatch ${maxBatch}, maxDelayMs ${maxDelayMs}. ` +
  'Cells: images/s (mean images per forward).\n\n' + markdown + '\n' + versusOrt(rows) + '\n');
console.error(`wrote ${rel(join(outDir, `throughput-${stamp}.json`))} and bench/results/throughput-latest.md`);

function table(results) {
  const names = configs.map((c) => c.name);
  const lines = [`| clients | ${names.join(' | ')} |`, `|---:|${names.map(() => '---:').join('|')}|`];
  for (const clients of clientCounts) {
    const cells = names.map((name) => {
      const r = results.find((x) => x.config === name && x.clients === clients);
      return `${r.imagesPerSecond} (${r.meanBatch})`;
    });
    lines.push(`| ${clients} | ${cells.join(' | ')} |`);
  }
  return lines.join('\n');
}

/** Best lwganet-node configuration against onnxruntime-node's best, per concurrency and overall. */
function versusOrt(results) {
  const isOrt = (r) => r.config.startsWith('ort ');
  if (!results.some(isOrt)) return '';
  const best = (list) => list.reduce((a, b) => (b.imagesPerSecond > a.imagesPerSecond ? b : a));
  const lines = ['', '| clients | best lwganet-node | best onnxruntime-node | ratio |', '|---:|---|---|---:|'];
  const row = (label, list) => {
    const ours = best(list.filter((r) => !isOrt(r)));
    const theirs = best(list.filter(isOrt));
    lines.push(`| ${label} | ${ours.config}: ${ours.imagesPerSecond} | ${theirs.config}: ${theirs.imagesPerSecond} | ${(ours.imagesPerSecond / theirs.imagesPerSecond).toFixed(2)}× |`);
  };
  for (const clients of clientCounts) row(clients, results.filter((r) => r.clients === clients));
  row('any', results);
  return lines.join('\n');
}

function round(value, digits) {
  return Number(value.toFixed(digits));
}

function rel(file) {
  return relative(process.cwd(), file) || '.';
}

function fail(message) {
  console.error(`bench/throughput: ${message}`);
  process.exit(1);
}
