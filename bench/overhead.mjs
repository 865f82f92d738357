#!/usr/bin/env node
// Per-call overhead of the Node API against the native ceiling (bench/native-ceiling.cc): the same
// TorchScript file, the same input shape and thread count, forward timed in a plain C++ loop.
// Targets (issue 2): run() within 3% of the ceiling on conv.pt (>= 5 ms), and < 50 µs overhead per
// call on identity.pt. Ceiling and Node are measured in interleaved rounds so that drift on a
// shared machine (thermal, neighbours) hits both sides alike instead of biasing one.
//
//   node bench/overhead.mjs [--threads 2] [--rounds 5] [--quick] [--check] [--omp-wait-policy passive]
//                           [--ceiling build/Release/lwganet-native-ceiling] [--package dist/index.js]

import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const fixtures = join(root, 'test', 'fixtures', 'generated');

const { values: opts } = parseArgs({
  options: {
    threads: { type: 'string', default: '2' },
    rounds: { type: 'string', default: '5' },
    quick: { type: 'boolean', default: false },
    check: { type: 'boolean', default: false },
    'omp-wait-policy': { type: 'string', default: 'passive' },
    ceiling: { type: 'string', default: join(root, 'build', 'Release', 'lwganet-native-ceiling') },
    package: { type: 'string', default: join(root, 'dist', 'index.js') },
  },
});
const threads = Number(opts.threads);
const rounds = Number(opts.rounds);
const scale = opts.quick ? 0.2 : 1;

// iters are per round and per side; warm-up also runs once per ceiling process, since every
// process starts cold (TorchScript's profiling executor optimises the graph on the first calls).
const cases = [
  { name: 'identity [1,3,224,224]', model: 'identity.pt', shape: [1, 3, 224, 224], iters: 2000, warmup: 200, target: { overheadUs: 50 } },
  { name: 'identity [1]', model: 'identity.pt', shape: [1], iters: 2000, warmup: 200, target: { overheadUs: 50 } },
  { name: 'conv [1,3,224,224]', model: 'conv.pt', shape: [1, 3, 224, 224], iters: 40, warmup: 5, target: { ratio: 1.03 } },
];
for (const c of cases) c.iters = Math.max(5, Math.round(c.iters * scale));

// ------------------------------------------------------------------ preflight

const missing = [];
if (!existsSync(opts.package)) missing.push(`the built package ${rel(opts.package)}: run \`npm run build\``);
if (!existsSync(opts.ceiling)) {
  missing.push(
    `the ceiling program ${rel(opts.ceiling)}: run \`npm run build:native\` ` +
      '(CMake target lwganet_native_ceiling), or pass --ceiling PATH',
  );
}
for (const m of new Set(cases.map((c) => c.model))) {
  if (!existsSync(join(fixtures, m))) missing.push(`fixture ${rel(join(fixtures, m))}: run \`npm run fixtures\``);
}
if (missing.length) {
  console.error(`bench/overhead: missing\n  - ${missing.join('\n  - ')}`);
  process.exit(1);
}

// libgomp spins idle OpenMP threads at full speed only while it manages no more threads than there
// are CPUs. The Node process (addon inference threads, each with its own OpenMP team) crosses that
// line and the single-threaded ceiling does not, so with the default policy the two sides would wait
// differently: on a busy machine the ceiling's spinning makes it several times slower than Node, on
// an idle one slightly faster. Pinning the same policy on both sides compares only per-call work.
// It must be set before the addon (and with it libgomp, which reads it once) is loaded.
const ompPolicy = opts['omp-wait-policy'];
if (!['passive', 'active', 'inherit'].includes(ompPolicy)) {
  console.error(`bench/overhead: --omp-wait-policy must be passive, active or inherit, not '${ompPolicy}'`);
  process.exit(1);
}
if (ompPolicy !== 'inherit') process.env.OMP_WAIT_POLICY = ompPolicy.toUpperCase();
const pkg = createRequire(import.meta.url)(opts.package);
const { loadModel, Tensor } = pkg;

// ------------------------------------------------------------------ helpers

function rel(p) {
  return relative(process.cwd(), p) || p;
}

function summarize(samplesUs) {
  const s = Float64Array.from(samplesUs).sort();
  const at = (p) => s[Math.min(s.length - 1, Math.round((p / 100) * (s.length - 1)))];
  const mean = s.reduce((a, b) => a + b, 0) / s.length;
  return { n: s.length, median: at(50), p10: at(10), p90: at(90), mean };
}

// Seeded values (xorshift) so every run feeds the same data; the numbers themselves do not matter.
function input(shape) {
  const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
  let x = 0x2545f491;
  for (let i = 0; i < data.length; i++) {
    x ^= x << 13; x ^= x >>> 17; x ^= x << 5;
    data[i] = (x >>> 0) / 2 ** 32;
  }
  return new Tensor('float32', data, shape);
}

function ceilingRound(c, iters, warmup) {
  const args = [join(fixtures, c.model), '--shape', c.shape.join(','), '--iters', `${iters}`,
    '--warmup', `${warmup}`, '--threads', `${threads}`, '--samples'];
  const r = spawnSync(opts.ceiling, args, { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) {
    throw new Error(`${rel(opts.ceiling)} ${args.join(' ')} failed (${r.status ?? r.signal}):\n${r.stderr || r.error}`);
  }
  return JSON.parse(r.stdout).samples_us;
}

const nowUs = () => Number(process.hrtime.bigint()) / 1e3;

async function nodeRound(model, inputs, iters, sync) {
  const samples = new Array(iters);
  for (let i = 0; i < iters; i++) {
    const t0 = nowUs();
    if (sync) model.runSync(inputs);
    else await model.run(inputs);
    samples[i] = nowUs() - t0;
  }
  return samples;
}

// ------------------------------------------------------------------ overhead

const loadStart = os.loadavg()[0];
const results = [];
for (const c of cases) {
  const model = await loadModel(join(fixtures, c.model), { threads });
  const inputs = [input(c.shape)];
  for (let i = 0; i < c.warmup; i++) {
    await model.run(inputs);
    model.runSync(inputs);
  }
  const samples = { ceiling: [], run: [], runSync: [] };
  for (let r = 0; r < rounds; r++) {
    // Alternate who goes first, so neither side always gets the warmer (or noisier) slot.
    const steps = [
      () => samples.ceiling.push(...ceilingRound(c, c.iters, c.warmup)),
      async () => samples.run.push(...(await nodeRound(model, inputs, c.iters, false))),
      async () => samples.runSync.push(...(await nodeRound(model, inputs, c.iters, true))),
    ];
    if (r % 2) steps.reverse();
    for (const step of steps) await step();
    process.stderr.write(`\r${c.name}: round ${r + 1}/${rounds}   `);
  }
  process.stderr.write('\n');
  model.dispose?.();

  const ceiling = summarize(samples.ceiling);
  for (const api of ['run', 'runSync']) {
    const node = summarize(samples[api]);
    const overheadUs = node.median - ceiling.median;
    const ratio = node.median / ceiling.median;
    const pass = c.target.ratio !== undefined ? ratio <= c.target.ratio : overheadUs < c.target.overheadUs;
    results.push({
      case: c.name, model: c.model, shape: c.shape, api, threads, ceiling, node, overheadUs, ratio,
      target: c.target.ratio !== undefined ? `ratio ≤ ${c.target.ratio}` : `overhead < ${c.target.overheadUs} µs`,
      pass,
    });
  }
}

// ------------------------------------------------------------------ event-loop lag
// run() should leave the loop free while conv runs on the addon's threads; runSync() blocks it for
// a whole forward. The histogram's timer only fires when the loop turns, so runSync() calls are
// separated by a setImmediate hop (otherwise a tight loop would record a single huge sample).

async function loopDelay(label, body) {
  const h = monitorEventLoopDelay({ resolution: 1 });
  h.enable();
  await body();
  h.disable();
  const ms = (ns) => ns / 1e6;
  return { label, samples: h.count, p50_ms: ms(h.percentile(50)), p99_ms: ms(h.percentile(99)), max_ms: ms(h.max) };
}

const lagIters = Math.max(10, Math.round(50 * scale));
const conv = await loadModel(join(fixtures, 'conv.pt'), { threads });
const convInputs = [input([1, 3, 224, 224])];
for (let i = 0; i < 5; i++) await conv.run(convInputs);
const lagStart = nowUs();
const lag = [await loopDelay('run() on conv', async () => {
  for (let i = 0; i < lagIters; i++) await conv.run(convInputs);
})];
const lagMs = (nowUs() - lagStart) / 1e3;
lag.push(await loopDelay('runSync() on conv', async () => {
  for (let i = 0; i < lagIters; i++) {
    conv.runSync(convInputs);
    await new Promise(setImmediate);
  }
}));
// Baseline: the same 1 ms timer on an idle loop, for as long as the run() phase took.
lag.push(await loopDelay('idle (baseline)', () => new Promise((r) => setTimeout(r, lagMs))));
conv.dispose?.();

// ------------------------------------------------------------------ report

const f = (x, d = 1) => x.toFixed(d);
const lines = [
  `## Node overhead vs native ceiling (${threads} threads, ${rounds} rounds)`,
  '',
  '| case | api | ceiling median µs (p10–p90) | node median µs (p10–p90) | overhead µs | ratio | target | |',
  '|---|---|---|---|---|---|---|---|',
  ...results.map((r) =>
    `| ${r.case} | ${r.api} | ${f(r.ceiling.median)} (${f(r.ceiling.p10)}–${f(r.ceiling.p90)}) | ` +
    `${f(r.node.median)} (${f(r.node.p10)}–${f(r.node.p90)}) | ${f(r.overheadUs)} | ${f(r.ratio, 3)} | ` +
    `${r.target} | ${r.pass ? 'pass' : 'FAIL'} |`),
  '',
  `### Event-loop delay during conv (${lagIters} calls, 1 ms timer: an idle loop reads ≈ 1 ms)`,
  '',
  '| phase | p50 ms | p99 ms | max ms |',
  '|---|---|---|---|',
  ...lag.map((l) => `| ${l.label} | ${f(l.p50_ms, 2)} | ${f(l.p99_ms, 2)} | ${f(l.max_ms, 2)} |`),
  '',
  `Node ${process.version}, ${os.cpus()[0]?.model ?? 'unknown CPU'} × ${os.cpus().length}, ` +
    `OMP_WAIT_POLICY=${process.env.OMP_WAIT_POLICY ?? '(unset)'}, ` +
    `${os.platform()} ${os.arch()}${pkg.devices ? `, LibTorch ${pkg.devices().libtorchVersion}` : ''}, ` +
    `load average ${os.loadavg().map((x) => f(x, 2)).join(' ')}.`,
];
// Other processes competing for the cores distort millisecond forwards far more than µs overheads.
const busiest = Math.max(loadStart, os.loadavg()[0]);
if (busiest > os.cpus().length * 0.5) {
  lines.push('', `**Warning:** the machine was busy (1-min load average up to ${f(busiest, 2)} on ${os.cpus().length} CPUs); ` +
    'the conv rows are not trustworthy, rerun on an idle machine.');
}
const markdown = lines.join('\n') + '\n';
console.log(markdown);

const outDir = join(root, 'bench', 'results');
mkdirSync(outDir, { recursive: true });
const stamp = new Date().toISOString().replace(/[:.]/g, '-');
const jsonPath = join(outDir, `overhead-${stamp}.json`);
writeFileSync(jsonPath, JSON.stringify({
  date: new Date().toISOString(), node: process.version, platform: `${os.platform()} ${os.arch()}`,
  cpu: os.cpus()[0]?.model, cpus: os.cpus().length, loadavg: os.loadavg(), threads, rounds, quick: opts.quick,
  ompWaitPolicy: process.env.OMP_WAIT_POLICY ?? null,
  results, eventLoop: lag,
}, null, 2) + '\n');
writeFileSync(join(outDir, 'overhead-latest.md'), markdown);
console.log(`wrote ${rel(jsonPath)} and ${rel(join(outDir, 'overhead-latest.md'))}`);
// --check turns a missed target into a failing exit code (for CI); by default it is informational.
process.exit(opts.check && !results.every((r) => r.pass) ? 1 : 0);
