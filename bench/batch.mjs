#!/usr/bin/env node
// lwganet batch throughput and queue overhead.
//  1. Local: runBatch() over the same generated scenes with an InferencePool of 1 and of 2
//     workers (forwards at once; threads per forward = cores / workers) → scenes/s.
//  2. Queue: the same scenes through BullMQ on a private redis-server (started here on a free
//     loopback port, persistence off) and one in-process worker with 2 pool workers → scenes/s,
//     and per job: enqueue → start latency (job.processedOn − job.timestamp).
//  3. Queue overhead alone: --overhead-jobs jobs whose scene is already done (the worker's
//     done-check skips it), so the time per job is the queue's own cost plus the manifest check;
//     Redis commands per job from INFO commandstats (each command is one round trip; BullMQ's
//     Lua scripts count as one command each).
//
//   node bench/batch.mjs [--scenes 8] [--size 768] [--tile 512] [--overlap 64] [--overhead-jobs 200]
//                        [--model FILE] (default: a seeded, frozen unetformer_lwganet_l0 export)
//
// Needs dist/ (npm run build:ts) and redis-server. Writes bench/results/batch-<stamp>.json and
// bench/results/batch-latest.md.

import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const { values: opts } = parseArgs({
  options: {
    scenes: { type: 'string', default: '8' },
    size: { type: 'string', default: '768' },
    tile: { type: 'string', default: '512' },
    overlap: { type: 'string', default: '64' },
    'overhead-jobs': { type: 'string', default: '200' },
    rounds: { type: 'string', default: '2' },
    model: { type: 'string' },
  },
});
const SCENES = Number(opts.scenes);
const SIZE = Number(opts.size);
const OVERHEAD_JOBS = Number(opts['overhead-jobs']);
const taskOptions = { tileSize: Number(opts.tile), overlap: Number(opts.overlap) };
const log = (text) => console.error(`bench/batch: ${text}`);

const { runBatch } = require(join(root, 'dist', 'batch', 'local-runner.js'));
const { enqueueBatch } = require(join(root, 'dist', 'batch', 'queue-producer.js'));
const { startQueueWorker } = require(join(root, 'dist', 'batch', 'queue-worker.js'));
const { parseQueueAddress } = require(join(root, 'dist', 'batch', 'queue-address.js'));
const { makeSpec } = require(join(root, 'dist', 'batch', 'spec.js'));
const { Queue } = require('bullmq');
const { Redis } = require('ioredis');
const sharp = require('sharp');

function exportModel() {
  if (opts.model) return resolve(opts.model);
  const dir = join(root, 'bench', 'results', 'models');
  const file = join(dir, 'unetformer_lwganet_l0-seed0-frozen.pt');
  if (existsSync(file)) return file;
  mkdirSync(dir, { recursive: true });
  log(`exporting unetformer_lwganet_l0 (seeded, frozen) → ${file}`);
  const run = spawnSync(join(root, '.venv', 'bin', 'python'), ['-m', 'lwganet', 'export', 'unetformer_lwganet_l0', '--freeze', '--seed', '0', '--out', `${file}.partial`], { cwd: join(root, 'python'), encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`export failed: ${run.stderr}`);
  renameSync(`${file}.partial`, file);
  return file;
}

async function writeScenes(dir, count, size) {
  mkdirSync(dir, { recursive: true });
  const files = [];
  for (let i = 0; i < count; i++) {
    const file = join(dir, `scene-${String(i).padStart(3, '0')}.png`);
    // Seeded smooth pattern with noise (PNG of realistic size, not a flat image).
    let s = 1234 + i;
    const data = Buffer.alloc(size * size * 3);
    for (let p = 0; p < size * size; p++) {
      s = (s * 1103515245 + 12345) >>> 0;
      const x = p % size;
      const y = Math.floor(p / size);
      data[3 * p] = (x * 7 + (s & 31)) & 255;
      data[3 * p + 1] = (y * 5 + ((s >> 5) & 31)) & 255;
      data[3 * p + 2] = ((x ^ y) + ((s >> 10) & 31)) & 255;
    }
    writeFileSync(file, await sharp(data, { raw: { width: size, height: size, channels: 3 } }).png().toBuffer());
    files.push(file);
  }
  return files;
}

function freePort() {
  return new Promise((res, rej) => {
    const server = createServer();
    server.once('error', rej);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => res(port));
    });
  });
}

async function startRedis(dir) {
  const port = await freePort();
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise((res, rej) => {
    let out = '';
    child.on('error', rej);
    child.stdout.on('data', (c) => {
      out += c;
      if (out.includes('Ready to accept connections')) res();
    });
  });
  return { port, stop: () => new Promise((res) => (child.once('exit', res), child.kill('SIGTERM'))) };
}

// Client-side commands (round trips, pipelined ones counted each) of every ioredis connection in this process.
let clientCommands = 0;
const sendCommand = Redis.prototype.sendCommand;
Redis.prototype.sendCommand = function (...args) {
  clientCommands++;
  return sendCommand.apply(this, args);
};

async function commandCount(client) {
  const text = await client.info('commandstats');
  let calls = 0;
  for (const m of text.matchAll(/calls=(\d+)/g)) calls += Number(m[1]);
  return calls;
}

const work = mkdtempSync(join(os.tmpdir(), 'lwganet-bench-batch-'));
const model = exportModel();
const files = await writeScenes(join(work, 'in'), SCENES, SIZE);
const inputMB = files.reduce((sum, f) => sum + statSync(f).size, 0) / SCENES / 1e6;
const results = { machine: { cpus: os.availableParallelism(), load: os.loadavg(), node: process.version }, scenes: SCENES, size: SIZE, taskOptions, model, local: [], queue: null, overhead: null };

// Warm-up run (page cache, first-load costs), not measured.
await runBatch({ task: 'segment', model, out: join(work, 'warm'), inputs: files.slice(0, 1), options: taskOptions, pool: { workers: 1 } });

let outputMB = 0;
// Rounds in A B B A order, so drift on a shared machine falls on both configurations alike.
const order = [];
for (let r = 0; r < Number(opts.rounds); r++) order.push(...(r % 2 === 0 ? [1, 2] : [2, 1]));
const samples = { 1: [], 2: [] };
for (const [n, workers] of order.entries()) {
  const out = join(work, `local-${n}`);
  const summary = await runBatch({ task: 'segment', model, out, inputs: files, options: taskOptions, pool: { workers } });
  outputMB = files.reduce((sum, f, i) => sum + statSync(join(out, `scene-${String(i).padStart(3, '0')}.png`)).size, 0) / SCENES / 1e6;
  samples[workers].push(summary.done / summary.seconds);
  log(`local, ${workers} pool worker(s): ${(summary.done / summary.seconds).toFixed(3)} scenes/s`);
}
for (const workers of [1, 2]) {
  const xs = samples[workers];
  results.local.push({ workers, samples: xs, scenesPerSecond: xs.reduce((a, b) => a + b, 0) / xs.length });
}

const redis = await startRedis(work);
try {
  const address = parseQueueAddress(`redis://127.0.0.1:${redis.port}/bench`);
  const admin = new Redis({ host: '127.0.0.1', port: redis.port });
  // Full jobs: the same scenes through the queue and one worker (2 pool workers, 2 jobs at once).
  const spec = makeSpec('segment', model, join(work, 'queue-out'), taskOptions);
  const worker = await startQueueWorker(address, { concurrency: 2, pool: { workers: 2 } });
  const began = performance.now();
  await enqueueBatch(address, spec, files.map((f, i) => ({ id: `scene-${String(i).padStart(3, '0')}`, inputs: [f] })));
  const queue = new Queue(address.name, { connection: { host: '127.0.0.1', port: redis.port } });
  for (;;) {
    const c = await queue.getJobCounts('completed', 'failed');
    if (c.completed + c.failed >= SCENES) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const seconds = (performance.now() - began) / 1000;
  const jobs = await queue.getJobs(['completed']);
  const latencies = jobs.map((j) => j.processedOn - j.timestamp).sort((a, b) => a - b);
  results.queue = { workers: 2, concurrency: 2, seconds, scenesPerSecond: SCENES / seconds, firstStartMs: latencies[0] };
  log(`queue, 1 worker × 2 pool workers: ${(SCENES / seconds).toFixed(3)} scenes/s`);

  await worker.close();
  // Overhead alone: jobs whose scene is done (the first scene, already in queue-out) are skipped by the done-check.
  const doneScene = { id: 'scene-000', inputs: [files[0]] };
  const t0 = performance.now();
  const overheadQueue = new Queue('overhead', { connection: { host: '127.0.0.1', port: redis.port } });
  const overheadWorker = await startQueueWorker(parseQueueAddress(`redis://127.0.0.1:${redis.port}/overhead`), { concurrency: 1, pool: { workers: 1 } });
  const { batchKey } = require(join(root, 'dist', 'batch', 'identity.js'));
  const key = await batchKey(spec);
  const before = await commandCount(admin);
  const clientBefore = clientCommands;
  const tEnqueue = performance.now();
  for (let i = 0; i < OVERHEAD_JOBS; i++) await overheadQueue.add('scene', { spec, key, scene: doneScene }, { jobId: `o${i}` });
  const enqueueMs = (performance.now() - tEnqueue) / OVERHEAD_JOBS;
  for (;;) {
    const c = await overheadQueue.getJobCounts('completed', 'failed');
    if (c.completed + c.failed >= OVERHEAD_JOBS) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  const wallMs = performance.now() - t0;
  const clientAfter = clientCommands;
  const overheadJobs = await overheadQueue.getJobs(['completed'], 0, -1);
  const perJob = overheadJobs.map((j) => j.finishedOn - j.processedOn).sort((a, b) => a - b);
  const after = await commandCount(admin);
  const pct = (xs, p) => xs[Math.min(xs.length - 1, Math.floor(p * xs.length))];
  results.overhead = {
    jobs: OVERHEAD_JOBS,
    jobsPerSecond: OVERHEAD_JOBS / (wallMs / 1000),
    enqueueMsPerJob: enqueueMs,
    processMsMedian: pct(perJob, 0.5),
    // Server side, including the commands BullMQ's Lua scripts run inside Redis.
    redisCommandsPerJob: (after - before) / OVERHEAD_JOBS,
    // Client side: what crossed the network, the bench's own polling included (a few per 250 ms).
    roundTripsPerJob: (clientAfter - clientBefore) / OVERHEAD_JOBS,
  };
  // Enqueue → start with the worker idle (blocking-pop wake-up): one job at a time.
  const idle = [];
  for (let i = 0; i < 20; i++) {
    const job = await overheadQueue.add('scene', { spec, key, scene: doneScene }, { jobId: `idle${i}` });
    for (;;) {
      const state = await job.getState();
      if (state === 'completed' || state === 'failed') break;
      await new Promise((r) => setTimeout(r, 5));
    }
    const fresh = await overheadQueue.getJob(job.id);
    idle.push(fresh.processedOn - fresh.timestamp);
  }
  idle.sort((a, b) => a - b);
  results.overhead.idleStartLatencyMs = { p50: pct(idle, 0.5), p90: pct(idle, 0.9), max: idle.at(-1) };
  await overheadWorker.close();
  await overheadQueue.close();
  await queue.close();
  admin.disconnect();
} finally {
  await redis.stop();
}
results.io = { inputMBPerScene: inputMB, outputMBPerScene: outputMB };

const one = results.local[0].scenesPerSecond;
const two = results.local[1].scenesPerSecond;
const o = results.overhead;
const md = `# lwganet batch (${new Date().toISOString()})

${SCENES} generated ${SIZE}² PNG scenes, segment with ${opts.model ? opts.model : 'a seeded frozen unetformer_lwganet_l0'} (tile ${taskOptions.tileSize}, overlap ${taskOptions.overlap}); ${results.machine.cpus} CPUs, load average ${results.machine.load.map((l) => l.toFixed(1)).join(' ')} at the start (shared machine: compare the rows with each other).

| run | scenes/s | relative |
|---|---|---|
| local, 1 pool worker (${results.machine.cpus} threads), mean of ${samples[1].length} | ${one.toFixed(3)} (${samples[1].map((x) => x.toFixed(3)).join(', ')}) | 1.00 |
| local, 2 pool workers (${Math.max(1, results.machine.cpus / 2)} thread each), mean of ${samples[2].length} | ${two.toFixed(3)} (${samples[2].map((x) => x.toFixed(3)).join(', ')}) | ${(two / one).toFixed(2)} |
| queue, 1 worker process, 2 pool workers, 2 jobs at once | ${results.queue.scenesPerSecond.toFixed(3)} | ${(results.queue.scenesPerSecond / one).toFixed(2)} |

| queue overhead per job (done-check skips, no inference) | |
|---|---|
| jobs/s through one worker (concurrency 1) | ${o.jobsPerSecond.toFixed(0)} |
| worker time per job (lock, done-check, ack), median | ${o.processMsMedian} ms |
| enqueue (add), per job | ${o.enqueueMsPerJob.toFixed(2)} ms |
| enqueue → start, idle worker (p50 / p90 / max) | ${o.idleStartLatencyMs.p50} / ${o.idleStartLatencyMs.p90} / ${o.idleStartLatencyMs.max} ms |
| client commands (round trips) per job: add, fetch, finish | ${o.roundTripsPerJob.toFixed(1)} |
| commands Redis executes per job (Lua scripts' inner commands included) | ${o.redisCommandsPerJob.toFixed(1)} |
| input / output per scene | ${inputMB.toFixed(2)} MB / ${outputMB.toFixed(3)} MB |
`;
const outDir = join(root, 'bench', 'results');
mkdirSync(outDir, { recursive: true });
const stamp = new Date().toISOString().replace(/[:.]/g, '-');
writeFileSync(join(outDir, `batch-${stamp}.json`), `${JSON.stringify(results, null, 2)}\n`);
writeFileSync(join(outDir, 'batch-latest.md'), md);
console.log(md);
rmSync(work, { recursive: true, force: true });
