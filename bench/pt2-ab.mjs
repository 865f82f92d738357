// Two or more .pt2 packages of one model timed through Node in one process: alternating rounds,
// the same seeded input, outputs compared with the first. For exporter changes whose effect is
// below this VM's run-to-run spread (±10–15 %), and for packages that call the addon's operators
// (lwganet::depthwise_conv2d), which Python would time through their conv2d reference.
//
//   node bench/pt2-ab.mjs A.pt2 B.pt2 [...] [--shape 1,3,224,224] [--rounds 8] [--iterations 40]
//        [--threads 2] [--thread-policy fixed|adaptive]
//
// Writes bench/results/pt2-ab-<stamp>.json and pt2-ab-latest.md.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Tensor, loadModel } from '../dist/index.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    shape: { type: 'string', default: '1,3,224,224' },
    rounds: { type: 'string', default: '8' },
    iterations: { type: 'string', default: '40' },
    threads: { type: 'string', default: '2' },
    'thread-policy': { type: 'string', default: 'fixed' },
  },
});
if (positionals.length < 2) {
  console.error('usage: node bench/pt2-ab.mjs A.pt2 B.pt2 [...] [--shape N,C,H,W] [--rounds 8] [--iterations 40]');
  process.exit(2);
}
const shape = values.shape.split(',').map(Number);
const rounds = Number(values.rounds);
const iterations = Number(values.iterations);
const data = new Float32Array(shape.reduce((a, b) => a * b, 1)).map((_, i) => Math.sin(i * 0.37));
const input = new Tensor('float32', data, shape);
// Every output tensor's values (a backbone returns four maps; only the later ones pass attention).
const allValues = (out) => (out instanceof Tensor ? [out] : Object.values(out)).map((t) => t.data);

const models = [];
for (const file of positionals) {
  models.push(await loadModel(file, { threads: Number(values.threads), threadPolicy: values['thread-policy'] }));
}
const outputs = [];
for (const model of models) {
  for (let i = 0; i < 10; i++) await model.run(input); // warm-up
  outputs.push(allValues(await model.run(input)));
}
const times = models.map(() => []);
for (let r = 0; r < rounds; r++) {
  const order = r % 2 ? [...models.keys()].reverse() : [...models.keys()];
  for (const k of order) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < iterations; i++) await models[k].run(input);
    times[k].push(Number(process.hrtime.bigint() - start) / 1e6 / iterations);
  }
}
const median = (a) => [...a].sort((p, q) => p - q)[a.length >> 1];
const rows = positionals.map((file, k) => {
  let diff = 0;
  outputs[0].forEach((reference, t) => {
    for (let i = 0; i < reference.length; i++) diff = Math.max(diff, Math.abs(outputs[k][t][i] - reference[i]));
  });
  return { file, medianMs: median(times[k]), ratio: median(times[k]) / median(times[0]), maxAbsDiff: diff, rounds: times[k] };
});
const table = [
  `shape ${shape.join('×')}, ${values.threads} threads (${values['thread-policy']}), ${rounds} rounds × ${iterations} forwards, load ${fs.readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`,
  '',
  '| package | median ms | ÷ first | max \\|Δ\\| vs first (every output) |',
  '|---|---:|---:|---:|',
  ...rows.map((r) => `| ${path.basename(r.file)} | ${r.medianMs.toFixed(3)} | ${r.ratio.toFixed(3)} | ${r.maxAbsDiff.toExponential(1)} |`),
].join('\n');
console.log(table);
const dir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'results');
fs.mkdirSync(dir, { recursive: true });
const stamp = new Date().toISOString().replace(/[:.]/g, '-');
fs.writeFileSync(path.join(dir, `pt2-ab-${stamp}.json`), JSON.stringify({ shape, rounds, iterations, rows }, null, 2));
fs.writeFileSync(path.join(dir, 'pt2-ab-latest.md'), `${table}\n`);
for (const model of models) model.dispose();
