#!/usr/bin/env node
// What each performance lever gives lwganet-node, measured as an A/B pair in one run: the same
// runtime (lwganet-node Model.run) with the lever off and on, each side in its own process, both
// loaded at once, timing rounds alternating between them. Levers:
//   graph      --graph official vs fast exports (fused MRA strips, SDPA attention, channels-last)
//   cpu-cache  LWGANET_CPU_CACHE=0 vs the addon's block cache (native/cpu_memory.h)
//   threads    1 vs 2 intra-op threads
//   warmup     loadModel without vs with { warmup: true }: first-call latency (and load time)
//   openmp     OMP_WAIT_POLICY=PASSIVE vs the package's OpenMP default (GOMP_SPINCOUNT=1000, lib/native/openmp-env.ts)
//   prepack    the opt-in load-time oneDNN weight packing (LWGANET_PREPACK=1, native/conv_prepack.h)
//
// Every side runs with the package's own defaults except the one lever it flips; the OpenMP
// variables of this shell are not passed on (set them per side through the lever table).
//   node bench/levers.mjs [--levers graph,cpu-cache,threads,warmup,openmp,prepack] [--rounds 4] [--quick]
//
// Writes bench/results/levers-<stamp>.json and levers-latest.md. Speed-up = off median / on median.

import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { CASES } from './compare/cases.mjs';
import { RuntimeChild } from './compare/children.mjs';
import { ensureExports } from './compare/exports.mjs';
import { writeSeededInput } from './compare/inputs.mjs';
import { summarize } from './compare/report.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const modelsDir = join(root, 'out', 'bench', 'compare');
const resultsDir = join(root, 'bench', 'results');
const runner = join(root, 'bench', 'compare', 'lwganet-runner.mjs');
const rel = (p) => relative(process.cwd(), p) || p;
const log = (message) => console.error(message);

const LEVERS = {
  graph: { what: 'fast graph (vs --graph official)', cases: ['l0-224-b1', 'l0-224-b16', 'l2-224-b1', 'l0-features-1024-b1'], off: { graph: 'official' }, on: {} },
  'cpu-cache': { what: 'CPU block cache (vs LWGANET_CPU_CACHE=0)', cases: ['l0-224-b16', 'l0-features-1024-b1', 'l2-features-1024-b1'], off: { env: { LWGANET_CPU_CACHE: '0' } }, on: {} },
  threads: { what: '2 intra-op threads (vs 1)', cases: ['l0-224-b1', 'l0-224-b16', 'l0-features-1024-b1'], off: { threads: 1 }, on: { threads: 2 } },
  warmup: { what: 'warm-up at load (first call)', cases: ['l0-224-b1', 'l0-features-1024-b1'], off: {}, on: { loadWarmup: true }, firstCall: true },
  prepack: { what: 'oneDNN packed convolutions (opt-in LWGANET_PREPACK=1, vs off)', cases: ['l0-224-b1', 'l2-224-b1', 'l0-features-1024-b1'], off: {}, on: { env: { LWGANET_PREPACK: '1' } } },
  openmp: { what: 'OpenMP spin defaults (vs OMP_WAIT_POLICY=PASSIVE)', cases: ['l0-224-b1', 'l2-224-b1', 'l0-224-b16', 'l0-features-1024-b1'], off: { env: { OMP_WAIT_POLICY: 'PASSIVE' } }, on: {} },
};

const { values: opts } = parseArgs({
  options: {
    levers: { type: 'string', default: Object.keys(LEVERS).join(',') },
    rounds: { type: 'string', default: '4' },
    quick: { type: 'boolean', default: false },
    seed: { type: 'string', default: '0' },
  },
});
const chosen = opts.levers.split(',').map((s) => s.trim()).filter(Boolean);
const unknown = chosen.filter((name) => !LEVERS[name]);
if (unknown.length || chosen.length === 0) {
  console.error(`bench/levers: unknown lever ${unknown.join(', ') || '(none)'}; levers: ${Object.keys(LEVERS).join(', ')}`);
  process.exit(1);
}
if (!existsSync(join(root, 'dist', 'index.js'))) {
  console.error('bench/levers: the built package dist/index.js is missing: run `npm run build`');
  process.exit(1);
}
const rounds = opts.quick ? 2 : Math.max(1, Number(opts.rounds));
const seed = Number(opts.seed);
const defaultThreads = Math.min(2, os.availableParallelism());
const env = { ...process.env };
delete env.OMP_WAIT_POLICY;
delete env.GOMP_SPINCOUNT;

function spawnSide(c, side, input, tag) {
  const paths = ensureExports(root, modelsDir, c, seed, log, side.graph ?? 'fast');
  const args = [runner, '--model', paths.torchscript, '--input', input.file, '--shape', input.shape.join(','),
    '--threads', `${side.threads ?? defaultThreads}`, '--warmup', `${c.warmup}`,
    '--save-output', join(modelsDir, `levers-${c.id}-${tag}.bin`), ...(side.loadWarmup ? ['--load-warmup'] : [])];
  return new RuntimeChild(tag, process.execPath, args, { ...env, ...side.env });
}

async function measure(lever, c) {
  const input = writeSeededInput(modelsDir, [c.batch, 3, c.size, c.size]);
  const iterations = opts.quick ? Math.max(1, Math.round(c.iterations / 5)) : c.iterations;
  const sides = {};
  for (const tag of ['off', 'on']) {
    const child = spawnSide(c, lever[tag], input, tag);
    const ready = await child.next();
    if (!ready.ready) throw new Error(`${tag}: ${ready.error ?? JSON.stringify(ready)}`);
    sides[tag] = { child, ready, samples: [] };
  }
  if (!lever.firstCall) {
    for (let r = 0; r < rounds; r++) {
      for (const tag of r % 2 === 0 ? ['off', 'on'] : ['on', 'off']) {
        sides[tag].samples.push(...(await sides[tag].child.request(`time ${iterations}`)).samples_us);
      }
    }
  }
  for (const side of Object.values(sides)) await side.child.quit();
  const view = (s) => {
    if (lever.firstCall) return { ms: s.ready.first_call_ms, loadMs: s.ready.load_ms };
    const stats = summarize(s.samples);
    return { ms: stats.medianMs, p10: stats.p10Ms, p90: stats.p90Ms };
  };
  const off = view(sides.off);
  const on = view(sides.on);
  return { case: c.id, off, on, speedup: off.ms / on.ms };
}

const results = [];
for (const name of chosen) {
  const lever = LEVERS[name];
  for (const id of lever.cases) {
    const c = CASES.find((k) => k.id === id);
    try {
      const row = await measure(lever, c);
      results.push({ lever: name, what: lever.what, firstCall: !!lever.firstCall, ...row });
      log(`${name} ${id}: ${row.off.ms.toFixed(1)} → ${row.on.ms.toFixed(1)} ms (${row.speedup.toFixed(2)}×)`);
    } catch (err) {
      results.push({ lever: name, what: lever.what, case: id, error: err.message });
      log(`${name} ${id}: failed: ${err.message.split('\n')[0]}`);
    }
  }
}

const date = new Date().toISOString();
const fmt = (ms) => (ms >= 100 ? ms.toFixed(0) : ms.toFixed(1));
const lines = [
  `# Levers (${date})`, '',
  `lwganet-node Model.run, each lever off and on in two processes side by side, ${rounds} interleaved rounds, ` +
  `${defaultThreads} threads unless the lever is threads; median ms per forward (first call for warm-up). ` +
  `Machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'CPU'}, load ${os.loadavg()[0].toFixed(2)} at the end.`, '',
  '| lever | case | off ms | on ms | speed-up |', '|---|---|---:|---:|---:|',
  ...results.map((r) => (r.error
    ? `| ${r.what} | ${r.case} | failed: ${r.error.split('\n')[0]} | | |`
    : `| ${r.what} | ${r.case} | ${fmt(r.off.ms)}${r.firstCall ? ` (load ${fmt(r.off.loadMs)})` : ''} | ${fmt(r.on.ms)}${r.firstCall ? ` (load ${fmt(r.on.loadMs)})` : ''} | ${r.speedup.toFixed(2)}× |`)),
  '',
];
const md = lines.join('\n');
console.log(md);
mkdirSync(resultsDir, { recursive: true });
const jsonPath = join(resultsDir, `levers-${date.replace(/[:.]/g, '-')}.json`);
writeFileSync(jsonPath, `${JSON.stringify({ date, rounds, threads: defaultThreads, results }, null, 2)}\n`);
writeFileSync(join(resultsDir, 'levers-latest.md'), md);
console.error(`wrote ${rel(jsonPath)} and ${rel(join(resultsDir, 'levers-latest.md'))}`);
process.exit(results.some((r) => r.error) ? 1 : 0);
