#!/usr/bin/env node
// Runtimes side by side on the same weights: lwganet-node Model.run() (on the frozen TorchScript
// export and on the compiled .pt2 package of the case's shape), the C++ LibTorch ceiling
// (native-ceiling.cc), Python TorchScript (the pinned torch) on one frozen TorchScript export, and
// onnxruntime-node on an ONNX export of the same seeded model; where Debian's LibTorch is installed,
// also the ceiling built against it on an export made with Debian's torch (compare/debian.mjs).
// Each runtime runs in its own child process (so peak RSS is its own), all of them stay loaded, and
// timing rounds alternate between them so drift on a shared machine hits every runtime alike.
// Outputs are compared on one input.
//
//   node bench/compare.mjs [--cases all|ID,...] [--runtimes lwganet,ceiling,debian-ceiling,python,ort] [--rounds 5]
//                          [--iterations N] [--warmup N] [--threads N] [--seed 0] [--quick]
//                          [--omp-wait-policy default|passive|active] [--gomp-spincount N] [--thread-policy adaptive|fixed] [--ceiling PATH]
//
// Writes bench/results/compare-<stamp>.json, compare-latest.md, compare-latest.svg/.png.

import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { CASES, QUICK_CASES, selectCases } from './compare/cases.mjs';
import { writeChart } from './compare/chart.mjs';
import { RuntimeChild } from './compare/children.mjs';
import { DEBIAN_INSTALL, debianLibtorchVersion, debianMissing, ensureDebianCeiling, ensureDebianExport } from './compare/debian.mjs';
import { ensureExports } from './compare/exports.mjs';
import { writeSeededInput } from './compare/inputs.mjs';
import { agreement, markdown, outputDiff, ratios, REFERENCE, refScale, RUNTIMES, summarize } from './compare/report.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const here = join(root, 'bench', 'compare');
const modelsDir = join(root, 'out', 'bench', 'compare');
const resultsDir = join(root, 'bench', 'results');

function fail(message) {
  console.error(`bench/compare: ${message}`);
  process.exit(1);
}

const rel = (p) => relative(process.cwd(), p) || p;
const log = (message) => console.error(message);

// ------------------------------------------------------------------ options

let opts;
try {
  ({ values: opts } = parseArgs({
    options: {
      cases: { type: 'string' },
      runtimes: { type: 'string' }, // default: every runtime, debian-ceiling only where installed
      rounds: { type: 'string' },
      iterations: { type: 'string' },
      warmup: { type: 'string' },
      threads: { type: 'string', default: `${os.availableParallelism()}` },
      seed: { type: 'string', default: '0' },
      quick: { type: 'boolean', default: false },
      'omp-wait-policy': { type: 'string', default: 'default' },
      'thread-policy': { type: 'string', default: 'adaptive' }, // lwganet-node's threadPolicy (adaptive|fixed)
      'gomp-spincount': { type: 'string' }, // one GOMP_SPINCOUNT for every runtime (libgomp's spin between regions)
      ceiling: { type: 'string', default: join(root, 'build', 'Release', 'lwganet-native-ceiling') },
      help: { type: 'boolean', short: 'h', default: false },
    },
  }));
} catch (err) {
  fail(err.message);
}
if (opts.help) {
  console.log(`usage: node bench/compare.mjs [--cases all|ID,...] [--runtimes ${Object.keys(RUNTIMES).join(',')}] [--rounds N]
       [--iterations N] [--warmup N] [--threads N] [--seed N] [--quick] [--omp-wait-policy default|passive|active] [--gomp-spincount N] [--thread-policy adaptive|fixed] [--ceiling PATH]
cases: ${CASES.map((c) => c.id).join(', ')} (--quick: ${QUICK_CASES.join(', ')})`);
  process.exit(0);
}

function count(name, value, min) {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) fail(`--${name} needs an integer >= ${min}, got '${value}'`);
  return n;
}

let cases;
try {
  cases = selectCases(opts.cases ?? (opts.quick ? QUICK_CASES.join(',') : 'all'));
} catch (err) {
  fail(err.message);
}
let runtimeNames = (opts.runtimes ?? Object.keys(RUNTIMES).join(',')).split(',').map((s) => s.trim()).filter(Boolean);
const unknownRuntime = runtimeNames.filter((n) => !RUNTIMES[n]);
if (unknownRuntime.length || !runtimeNames.includes(REFERENCE)) {
  fail(`--runtimes must include ${REFERENCE} and name only ${Object.keys(RUNTIMES).join(', ')}; got '${opts.runtimes}'`);
}
const debianAbsent = debianMissing();
if (opts.runtimes === undefined && debianAbsent.length) {
  runtimeNames = runtimeNames.filter((n) => n !== 'debian-ceiling');
  log(`bench/compare: no debian-ceiling column (${debianAbsent.join(' and ')} not installed); to add it: ${DEBIAN_INSTALL}`);
}
const rounds = count('rounds', opts.rounds, 1) ?? (opts.quick ? 2 : 5);
const iterationsOverride = count('iterations', opts.iterations, 1);
const warmupOverride = count('warmup', opts.warmup, 1);
const threads = count('threads', opts.threads, 1);
const seed = count('seed', opts.seed, 0);
const ompPolicy = opts['omp-wait-policy'];
if (!['default', 'passive', 'active'].includes(ompPolicy)) fail(`--omp-wait-policy must be default, passive or active, not '${ompPolicy}'`);

for (const c of cases) {
  // --quick: a fifth of the iterations, the least warm-up TorchScript needs (profiling run + optimised run).
  c.iterations = iterationsOverride ?? (opts.quick ? Math.max(1, Math.round(c.iterations / 5)) : c.iterations);
  c.warmup = warmupOverride ?? (opts.quick ? 2 : c.warmup);
}

// ------------------------------------------------------------------ preflight

const python = join(root, '.venv', 'bin', 'python');
const missing = [];
if (!existsSync(python)) missing.push(`the project venv ${rel(python)} (exports the models, runs Python TorchScript): run \`bash scripts/setup.sh\``);
if (!existsSync(join(root, 'dist', 'index.js'))) missing.push('the built package dist/index.js: run `npm run build`');
if (runtimeNames.includes('ceiling') && !existsSync(opts.ceiling)) {
  missing.push(`the ceiling program ${rel(opts.ceiling)}: run \`npm run build:native\` (CMake target lwganet_native_ceiling), pass --ceiling PATH, or leave it out of --runtimes`);
}
if (runtimeNames.includes('debian-ceiling') && debianAbsent.length) {
  missing.push(`Debian's LibTorch for debian-ceiling (${debianAbsent.join(' and ')}): \`${DEBIAN_INSTALL}\` (Debian 12, as root), or leave it out of --runtimes`);
}
if (runtimeNames.includes('ort')) {
  try {
    createRequire(import.meta.url).resolve('onnxruntime-node');
  } catch {
    missing.push('onnxruntime-node (a devDependency): run `npm ci` (without --omit=dev), or leave ort out of --runtimes');
  }
}
if (missing.length) fail(`missing\n  - ${missing.join('\n  - ')}`);

// "default": every runtime with its own OpenMP behaviour, as users get it (lwganet-node applies
// lib/native/openmp-env.ts; the ceiling and Python run libgomp's defaults; onnxruntime has its own
// spinning thread pool), so the shell's OpenMP variables are not passed on. passive/active
// force one OMP_WAIT_POLICY on every runtime.
const childEnv = { ...process.env };
delete childEnv.OMP_WAIT_POLICY;
delete childEnv.GOMP_SPINCOUNT;
if (ompPolicy !== 'default') childEnv.OMP_WAIT_POLICY = ompPolicy.toUpperCase();
if (!['adaptive', 'fixed'].includes(opts['thread-policy'])) fail(`--thread-policy must be adaptive or fixed, not '${opts['thread-policy']}'`);
const spinCount = opts['gomp-spincount'];
if (spinCount !== undefined && !/^\d+$/.test(spinCount)) fail(`--gomp-spincount must be a whole number, not '${spinCount}'`);
if (spinCount !== undefined) childEnv.GOMP_SPINCOUNT = spinCount;

// ------------------------------------------------------------------ models and inputs

const files = new Map();
// A failed build or export of the optional Debian column fails that column only (its row says why).
let debianCeiling = null;
let debianError = null;
if (runtimeNames.includes('debian-ceiling')) {
  try {
    debianCeiling = ensureDebianCeiling(root, log);
  } catch (err) {
    debianError = err.message;
  }
}
try {
  for (const c of cases) {
    const paths = ensureExports(root, modelsDir, c, seed, log, 'fast', runtimeNames.includes('pt2'));
    if (debianCeiling) {
      try {
        paths.debianTorchscript = ensureDebianExport(root, modelsDir, c, seed, log);
      } catch (err) {
        paths.debianError = err.message;
      }
    }
    files.set(c.id, paths);
  }
} catch (err) {
  fail(err.message);
}


function readOutputs(file, shapes) {
  const bytes = readFileSync(file);
  return { shapes, data: new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4) };
}

function spawnRuntime(name, c, modelFile, input, outputFile) {
  const common = ['--input', input.file, '--shape', input.shape.join(','), '--threads', `${threads}`,
    '--warmup', `${c.warmup}`, '--save-output', outputFile];
  switch (name) {
    case 'lwganet':
    case 'pt2': return new RuntimeChild(name, process.execPath, [join(here, 'lwganet-runner.mjs'), '--model', modelFile, '--thread-policy', opts['thread-policy'], ...common], childEnv);
    case 'ort': return new RuntimeChild(name, process.execPath, [join(here, 'ort-runner.mjs'), '--model', modelFile, ...common], childEnv);
    case 'python': return new RuntimeChild(name, python, [join(here, 'torchscript_runner.py'), '--model', modelFile, ...common], childEnv);
    case 'ceiling': return new RuntimeChild(name, opts.ceiling, [modelFile, '--serve', ...common], childEnv);
    case 'debian-ceiling': return new RuntimeChild(name, debianCeiling, [modelFile, '--serve', ...common], childEnv);
    default: throw new Error(`unknown runtime ${name}`);
  }
}

// ------------------------------------------------------------------ measurement

const loadStart = os.loadavg()[0];
let busiest = loadStart;
const versions = {};
const results = [];
let failures = 0;

for (const c of cases) {
  const input = writeSeededInput(modelsDir, [c.batch, 3, c.size, c.size]);
  const paths = files.get(c.id);
  const state = {};
  // Loaded one after the other, so no load or first call competes with another runtime's.
  for (const name of runtimeNames) {
    const setupError = name === 'debian-ceiling' ? debianError ?? paths.debianError : null;
    if (setupError) {
      state[name] = { error: setupError };
      log(`${c.id}: ${name} failed: ${setupError.split('\n')[0]}`);
      continue;
    }
    const outputFile = join(modelsDir, `output-${c.id}-${name}.bin`);
    const child = spawnRuntime(name, c, paths[RUNTIMES[name].file], input, outputFile);
    try {
      const ready = await child.next();
      if (ready.error || !ready.ready) throw new Error(ready.error ?? `unexpected reply ${JSON.stringify(ready)}`);
      if (ready.version) versions[name] = ready.version;
      state[name] = { child, ready, outputFile, samples: [] };
    } catch (err) {
      child.kill();
      state[name] = { error: err.message };
    }
    log(`${c.id}: ${name} ${state[name].error ? `failed: ${state[name].error.split('\n')[0]}` : `ready (first call ${state[name].ready.first_call_ms.toFixed(1)} ms)`}`);
  }
  // A busy case: one CPU-bound process competes while every runtime is timed (not while loading).
  const burner = c.busy ? spawn(process.execPath, ['-e', 'for(;;){}'], { stdio: 'ignore' }) : null;
  for (let r = 0; r < rounds; r++) {
    // Rotate who goes first, so no runtime always gets the same slot.
    const order = runtimeNames.map((_, i) => runtimeNames[(i + r) % runtimeNames.length]);
    for (const name of order) {
      const s = state[name];
      if (s.error) continue;
      try {
        s.samples.push(...(await s.child.request(`time ${c.iterations}`)).samples_us);
      } catch (err) {
        s.child.kill();
        s.error = err.message;
      }
    }
    busiest = Math.max(busiest, os.loadavg()[0]);
    process.stderr.write(`\r${c.id}: round ${r + 1}/${rounds}   `);
  }
  burner?.kill('SIGKILL');
  process.stderr.write('\n');

  const runtimes = {};
  for (const name of runtimeNames) {
    const s = state[name];
    if (!s.error) {
      try {
        s.final = await s.child.quit();
      } catch (err) {
        s.error = err.message;
      }
    }
    if (s.error) {
      failures++;
      runtimes[name] = { error: s.error };
      continue;
    }
    const stats = summarize(s.samples);
    runtimes[name] = {
      stats, imagesPerSecond: c.batch / (stats.medianMs / 1e3),
      loadMs: s.ready.load_ms, firstCallMs: s.ready.first_call_ms,
      rssBeforeLoadMb: s.ready.rss_before_load_kb === null ? null : s.ready.rss_before_load_kb / 1024,
      peakRssMb: s.final.peak_rss_kb === null || s.final.peak_rss_kb < 0 ? null : s.final.peak_rss_kb / 1024,
      eventLoop: s.final.event_loop ?? null,
      samplesUs: s.samples,
      outputShapes: s.ready.output_shapes,
    };
  }
  // Outputs of the first call on the same input, each runtime against lwganet-node's.
  let agreed = 'n/a';
  let referenceMaxAbs = null;
  if (!runtimes[REFERENCE].error) {
    const ref = readOutputs(state[REFERENCE].outputFile, runtimes[REFERENCE].outputShapes);
    referenceMaxAbs = refScale(ref);
    const tolerance = 1e-3 * Math.max(referenceMaxAbs, 1e-6);
    const diffs = {};
    for (const name of runtimeNames.filter((n) => n !== REFERENCE && !runtimes[n].error)) {
      diffs[name] = runtimes[name].outputs = outputDiff(ref, readOutputs(state[name].outputFile, runtimes[name].outputShapes), tolerance);
    }
    agreed = agreement(diffs);
  }
  const entry = { ...c, rounds, files: { torchscript: rel(paths.torchscript), onnx: rel(paths.onnx), ...(runtimeNames.includes('pt2') ? { pt2: rel(paths.pt2) } : {}) }, input: input.shape, runtimes, referenceMaxAbs, agreement: agreed };
  if (paths.debianTorchscript) entry.files.debianTorchscript = rel(paths.debianTorchscript);
  entry.ratios = ratios(runtimes);
  results.push(entry);
}

// ------------------------------------------------------------------ report

const date = new Date().toISOString();
const stamp = date.replace(/[:.]/g, '-');
const run = {
  date, seed, threads, rounds, quick: opts.quick, runtimes: runtimeNames,
  environment: {
    node: process.version, platform: `${os.platform()} ${os.arch()}`, cpu: os.cpus()[0]?.model ?? 'unknown CPU',
    cpus: os.cpus().length, loadAverage: os.loadavg(), busiest: Math.max(busiest, os.loadavg()[0]),
    ompWaitPolicy: childEnv.OMP_WAIT_POLICY ?? null, gompSpinCount: childEnv.GOMP_SPINCOUNT ?? null, threadPolicy: opts['thread-policy'],
    libtorch: versions.lwganet ?? null, pythonTorch: versions.python ?? null, onnxruntime: versions.ort ?? null,
    debianLibtorch: runtimeNames.includes('debian-ceiling') ? debianLibtorchVersion() : null,
  },
  cases: results,
};
const md = markdown(run);
console.log(md);
mkdirSync(resultsDir, { recursive: true });
const jsonPath = join(resultsDir, `compare-${stamp}.json`);
writeFileSync(jsonPath, `${JSON.stringify(run, null, 2)}\n`);
writeFileSync(join(resultsDir, 'compare-latest.md'), md);
try {
  await writeChart(run, join(resultsDir, 'compare-latest.svg'), join(resultsDir, 'compare-latest.png'));
} catch (err) {
  console.error(`bench/compare: the chart was not written: ${err.message}`);
  failures++;
}
console.error(`wrote ${rel(jsonPath)}, ${rel(join(resultsDir, 'compare-latest.md'))} and compare-latest.{png,svg}`);
process.exit(failures ? 1 : 0);
