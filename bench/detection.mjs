// Time per 1024² patch of the exported Oriented R-CNN (seeded orcnn_lwganet_l2) on the CPU,
// split into network / RPN post-processing / RoI stage, and the two native NMS steps alone on
// the exact candidate sets they see on that patch.
//
// The detector is cut at its stage boundaries by bench/detection/make_parts.py (same weights in
// every piece); each piece runs through lwganet-node's Model.run(). Stage times are differences
// of medians of cumulative pieces (proposals − network, full − proposals), measured in
// interleaved rounds so drift hits every piece alike.
//
// Usage: npm run build:ts && node bench/detection.mjs [--size 1024] [--rounds 5] [--threads 2] [--thread-policy fixed|adaptive] [--quick]
// Writes bench/results/detection-latest.md and detection-<timestamp>.json.

import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';

const require = createRequire(import.meta.url);
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const PYTHON = join(ROOT, '.venv', 'bin', 'python');
const DIST = join(ROOT, 'dist', 'index.js');

const argv = process.argv.slice(2);
const flag = (name, fallback) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? Number(argv[i + 1]) : fallback;
};
const QUICK = argv.includes('--quick');
const SIZE = flag('size', QUICK ? 256 : 1024);
const ROUNDS = flag('rounds', QUICK ? 1 : 5);
const THREADS = flag('threads', Math.min(2, cpus().length));
// 'fixed' unless asked: the adaptive default spends a model's first six forwards probing both
// thread counts, which is all a few rounds of multi-second forwards would time.
const ti = argv.indexOf('--thread-policy');
const THREAD_POLICY = ti >= 0 ? argv[ti + 1] : 'fixed';
if (!['fixed', 'adaptive'].includes(THREAD_POLICY)) throw new Error(`--thread-policy must be fixed or adaptive, not ${THREAD_POLICY}`);

if (!existsSync(DIST)) throw new Error('dist/ is missing: run `npm run build` first');
if (!existsSync(PYTHON)) throw new Error('.venv is missing: run `bash scripts/setup.sh` first');
const { loadModel, Tensor } = require(DIST);

const partsDir = join(ROOT, 'out', 'bench', `detection-${SIZE}`);
if (!existsSync(join(partsDir, 'parts.json'))) {
  console.error(`exporting the detector pieces at ${SIZE}² into ${partsDir} …`);
  execFileSync(PYTHON, [join(ROOT, 'bench', 'detection', 'make_parts.py'), partsDir, String(SIZE)], {
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, PYTHONPATH: join(ROOT, 'python') },
  });
}
const parts = JSON.parse(readFileSync(join(partsDir, 'parts.json'), 'utf8'));

const read = (name, Type) => {
  const bytes = readFileSync(join(partsDir, name));
  return new Type(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
};
const image = new Tensor('float32', read('input.f32', Float32Array), [1, 3, SIZE, SIZE]);
const nmsInputs = (op) => {
  const { count, width } = parts[op];
  return [
    new Tensor('float32', read(`${op}.boxes.bin`, Float32Array), [count, width]),
    new Tensor('float32', read(`${op}.scores.bin`, Float32Array), [count]),
    new Tensor('int64', read(`${op}.groups.bin`, BigInt64Array), [count]),
  ];
};

const pieces = [
  { name: 'network', file: 'dense.pt', inputs: [image] },
  { name: 'proposals', file: 'proposals.pt', inputs: [image] },
  { name: 'full', file: 'full.pt', inputs: [image] },
  { name: 'nms_aligned', file: 'nms_aligned.pt', inputs: nmsInputs('nms_aligned') },
  { name: 'nms_rotated', file: 'nms_rotated.pt', inputs: nmsInputs('nms_rotated') },
];
for (const piece of pieces) {
  piece.model = await loadModel(join(partsDir, piece.file), { threads: THREADS, threadPolicy: THREAD_POLICY });
  await piece.model.run(piece.inputs); // warm-up: first call compiles and allocates
  piece.samples = [];
}

const loads = [loadavg()[0]];
for (let round = 0; round < ROUNDS; round++) {
  const order = round % 2 === 0 ? pieces : [...pieces].reverse();
  for (const piece of order) {
    const start = performance.now();
    await piece.model.run(piece.inputs);
    piece.samples.push(performance.now() - start);
  }
  loads.push(loadavg()[0]);
  process.stderr.write(`round ${round + 1}/${ROUNDS}\r`);
}
process.stderr.write('\n');
for (const piece of pieces) piece.model.dispose();

const quantile = (values, q) => {
  const s = [...values].sort((a, b) => a - b);
  const pos = (s.length - 1) * q;
  return s[Math.floor(pos)] + (s[Math.ceil(pos)] - s[Math.floor(pos)]) * (pos - Math.floor(pos));
};
const stat = (piece) => ({ median: quantile(piece.samples, 0.5), p10: quantile(piece.samples, 0.1), p90: quantile(piece.samples, 0.9) });
const by = Object.fromEntries(pieces.map((p) => [p.name, stat(p)]));
const ms = (v) => v.toFixed(1);
const spread = (s) => `${ms(s.median)} (${ms(s.p10)}–${ms(s.p90)})`;
const share = (v) => `${((100 * v) / by.full.median).toFixed(0)} %`;
const rpnPost = by.proposals.median - by.network.median;
const roiStage = by.full.median - by.proposals.median;

const rows = [
  ['network: backbone + FPN + RPN convs', spread(by.network), share(by.network.median)],
  ['RPN post-processing: anchors, top-k, decoding, aligned NMS (difference)', ms(rpnPost), share(rpnPost)],
  ['RoI stage: rotated RoIAlign, box head, decoding, rotated NMS (difference)', ms(roiStage), share(roiStage)],
  ['**whole patch** (exported detector)', spread(by.full), '100 %'],
  [`of which aligned NMS alone: ${parts.nms_aligned.count} proposals, ${parts.nms_aligned.groups} levels, IoU 0.8`, spread(by.nms_aligned), share(by.nms_aligned.median)],
  [`of which rotated NMS alone: ${parts.nms_rotated.count} (RoI, class) candidates, ${parts.nms_rotated.groups} classes, IoU 0.1`, spread(by.nms_rotated), share(by.nms_rotated.median)],
];
// The bench itself keeps THREADS cores busy: only the load before it started says whether
// something else was running.
const busy = loads[0] > cpus().length / 2;
const table = [
  `## Oriented R-CNN (LWGANet-L2 FPN, seeded weights) per ${SIZE}² patch, CPU, ${THREADS} threads (${THREAD_POLICY} policy), ${ROUNDS} rounds`,
  '',
  '| stage | median ms (p10–p90) | share |',
  '|---|---|---|',
  ...rows.map((r) => `| ${r.join(' | ')} |`),
  '',
  `${parts.detections} detections on this patch (random weights: many low-score boxes, the worst case for the RoI stage and NMS). ` +
    `Node ${process.version}, ${cpus()[0]?.model ?? 'cpu'} × ${cpus().length}, load average ${loads.map((l) => l.toFixed(2)).join(' → ')}.`,
  busy ? '\n**Warning:** the machine was busy before the run (load average above half the CPUs); rerun on an idle machine.' : '',
].join('\n');
console.log(table);
const resultsDir = join(ROOT, 'bench', 'results');
mkdirSync(resultsDir, { recursive: true });
writeFileSync(join(resultsDir, 'detection-latest.md'), `${table}\n`);
const stamp = new Date().toISOString().replace(/[:.]/g, '-');
writeFileSync(join(resultsDir, `detection-${stamp}.json`), JSON.stringify({ size: SIZE, threads: THREADS, rounds: ROUNDS, parts, loads, samples: Object.fromEntries(pieces.map((p) => [p.name, p.samples])) }, null, 2));
console.error(`wrote bench/results/detection-latest.md and detection-${stamp}.json`);
