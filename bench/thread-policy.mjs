#!/usr/bin/env node
// Thread policies side by side, idle and with one CPU-bound process beside them: each policy is a
// lwganet-node child (its own process, since libgomp reads OMP_WAIT_POLICY / GOMP_SPINCOUNT once
// at load) on L0 224² b1, plus onnxruntime-node as the yardstick. Rounds alternate idle / busy and
// rotate the order of the policies, so drift on a shared machine hits every policy alike; read
// the ratios, not the absolute times.
//
//   node bench/thread-policy.mjs [--model pt2|torchscript] [--rounds 4] [--iterations 20] [--threads 2]
//
// Needs the exports of bench/compare.mjs (made here if missing: out/bench/compare/).

import { spawn } from 'node:child_process';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { CASES } from './compare/cases.mjs';
import { RuntimeChild } from './compare/children.mjs';
import { ensureExports } from './compare/exports.mjs';
import { writeSeededInput } from './compare/inputs.mjs';
import { summarize } from './compare/report.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const here = join(root, 'bench', 'compare');
const modelsDir = join(root, 'out', 'bench', 'compare');
const { values: opts } = parseArgs({
  options: {
    model: { type: 'string', default: 'pt2' },
    file: { type: 'string' }, // a model file to time instead of the export (same seeded L0 224² b1)
    rounds: { type: 'string', default: '4' },
    iterations: { type: 'string', default: '20' },
    threads: { type: 'string', default: `${Math.min(2, os.availableParallelism())}` },
  },
});
const rounds = Number(opts.rounds);
const iterations = Number(opts.iterations);
const threads = Number(opts.threads);

const c = CASES.find((k) => k.id === 'l0-224-b1');
const paths = ensureExports(root, modelsDir, c, 0, console.error, 'fast', opts.model === 'pt2' && !opts.file);
const modelFile = opts.file ?? (opts.model === 'pt2' ? paths.pt2 : paths.torchscript);
const input = writeSeededInput(modelsDir, [1, 3, 224, 224]);

const base = { ...process.env };
delete base.OMP_WAIT_POLICY;
delete base.GOMP_SPINCOUNT;
// name → [environment additions ({}: lwganet-node's own default), loadModel threadPolicy, threads]
const POLICIES = {
  'ACTIVE + GOMP_SPINCOUNT=300000, fixed': [{ OMP_WAIT_POLICY: 'ACTIVE', GOMP_SPINCOUNT: '300000' }, 'fixed', threads],
  // GOMP_SPINCOUNT=300000 alone is exactly libgomp's default (300000 spins, 100 when throttled),
  // and being set it stops lwganet-node from applying its own (lib/native/openmp-env.ts).
  'libgomp default, fixed': [{ GOMP_SPINCOUNT: '300000' }, 'fixed', threads],
  'PASSIVE, fixed': [{ OMP_WAIT_POLICY: 'PASSIVE' }, 'fixed', threads],
  'GOMP_SPINCOUNT=10000, fixed': [{ GOMP_SPINCOUNT: '10000' }, 'fixed', threads],
  'GOMP_SPINCOUNT=1000, fixed': [{ GOMP_SPINCOUNT: '1000' }, 'fixed', threads],
  'GOMP_SPINCOUNT=30000, fixed': [{ GOMP_SPINCOUNT: '30000' }, 'fixed', threads],
  'GOMP_SPINCOUNT=1000, adaptive': [{ GOMP_SPINCOUNT: '1000' }, 'adaptive', threads],
  'GOMP_SPINCOUNT=30000, adaptive': [{ GOMP_SPINCOUNT: '30000' }, 'adaptive', threads],
  '1 thread': [{}, 'fixed', 1],
  'package default (adaptive)': [{}, 'adaptive', threads],
};

function child(name) {
  const common = ['--input', input.file, '--shape', input.shape.join(','), '--warmup', '5', '--save-output', join(modelsDir, `tp-${name.replace(/\W+/g, '_')}.bin`)];
  if (name === 'onnxruntime-node') {
    return new RuntimeChild(name, process.execPath, [join(here, 'ort-runner.mjs'), '--model', paths.onnx, '--threads', `${threads}`, ...common], base);
  }
  const [env, policy, count] = POLICIES[name];
  const childEnv = { ...base, ...env };
  return new RuntimeChild(name, process.execPath, [join(here, 'lwganet-runner.mjs'), '--model', modelFile, '--threads', `${count}`, '--thread-policy', policy, ...common], childEnv);
}

const names = [...Object.keys(POLICIES), 'onnxruntime-node'];
const children = {};
for (const name of names) {
  children[name] = child(name);
  const ready = await children[name].next();
  if (!ready.ready) throw new Error(`${name}: ${JSON.stringify(ready)}`);
  console.error(`${name}: ready`);
}
const samples = Object.fromEntries(names.map((n) => [n, { idle: [], busy: [] }]));
for (let r = 0; r < rounds; r++) {
  for (const state of ['idle', 'busy']) {
    const burner = state === 'busy' ? spawn(process.execPath, ['-e', 'for(;;){}'], { stdio: 'ignore' }) : null;
    const order = names.map((_, i) => names[(i + r) % names.length]);
    for (const name of order) samples[name][state].push(...(await children[name].request(`time ${iterations}`)).samples_us);
    burner?.kill('SIGKILL');
    console.error(`round ${r + 1}/${rounds} ${state} done`);
  }
}
for (const name of names) await children[name].quit();

const ort = { idle: summarize(samples['onnxruntime-node'].idle).medianMs, busy: summarize(samples['onnxruntime-node'].busy).medianMs };
const lines = [
  `# Thread policies, L0 224² b1 (${opts.model}), ${threads} threads, ${rounds} rounds × ${iterations} forwards per state (${new Date().toISOString()})`, '',
  '| policy | idle median ms | busy median ms | busy ÷ idle | idle ÷ onnxruntime-node | busy ÷ onnxruntime-node |',
  '|---|---:|---:|---:|---:|---:|',
];
for (const name of names) {
  const idle = summarize(samples[name].idle).medianMs;
  const busy = summarize(samples[name].busy).medianMs;
  lines.push(`| ${name} | ${idle.toFixed(2)} | ${busy.toFixed(2)} | ${(busy / idle).toFixed(2)}× | ${(idle / ort.idle).toFixed(2)}× | ${(busy / ort.busy).toFixed(2)}× |`);
}
lines.push('', `"busy": one \`node -e 'for(;;){}'\` running beside the timed process. Load average at the end: ${os.loadavg().map((x) => x.toFixed(2)).join(' ')} on ${os.cpus().length} CPUs (a shared machine is never idle: compare ratios within this table).`);
console.log(lines.join('\n'));
