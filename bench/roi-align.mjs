// The rotated RoIAlign of the detector's RoI stage alone, side by side in one process: the
// grid_sample reference (what exported detectors ran before) and the addon's native
// lwganet::rotated_roi_align, on a P2-sized map (256 channels, 256²) and 2000 RoIs, interleaved
// rounds, same inputs; prints medians, their ratio and the largest output difference.
//
// Usage: npm run build:ts && node bench/roi-align.mjs [--rounds 5] [--threads 2]
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';

const require = createRequire(import.meta.url);
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const argv = process.argv.slice(2);
const flag = (name, fallback) => (argv.includes(`--${name}`) ? Number(argv[argv.indexOf(`--${name}`) + 1]) : fallback);
const ROUNDS = flag('rounds', 5);
const THREADS = flag('threads', 2);
const { loadModel, Tensor } = require(join(ROOT, 'dist', 'index.js'));

const dir = join(ROOT, 'out', 'bench', 'roi-align');
if (!existsSync(join(dir, 'rois.f32'))) {
  execFileSync(join(ROOT, '.venv', 'bin', 'python'), [join(ROOT, 'bench', 'detection', 'make_roi_align.py'), dir], {
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, PYTHONPATH: join(ROOT, 'python') },
  });
}
const floats = (name) => {
  const b = readFileSync(join(dir, name));
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.length));
};
const inputs = [
  new Tensor('float32', floats('features.f32'), [1, 256, 256, 256]),
  new Tensor('float32', floats('rois.f32'), [2000, 5]),
  new Tensor('float64', Float64Array.of(0.25, 7, 2), [3]),
];
const runs = [];
for (const [name, file] of [['grid_sample reference', 'reference.pt'], ['native operator', 'native.pt']]) {
  const model = await loadModel(join(dir, file), { threads: THREADS });
  runs.push({ name, model, out: await model.run(inputs), samples: [] });
}
const loads = [loadavg()[0]];
for (let r = 0; r < ROUNDS; r++) {
  for (const run of r % 2 ? [...runs].reverse() : runs) {
    const start = performance.now();
    await run.model.run(inputs);
    run.samples.push(performance.now() - start);
  }
}
loads.push(loadavg()[0]);
const median = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
let diff = 0;
for (let i = 0; i < runs[0].out.data.length; i++) diff = Math.max(diff, Math.abs(runs[0].out.data[i] - runs[1].out.data[i]));
for (const run of runs) console.log(`${run.name}: median ${median(run.samples).toFixed(1)} ms (${run.samples.map((v) => v.toFixed(0)).join(', ')})`);
console.log(`reference / native: ${(median(runs[0].samples) / median(runs[1].samples)).toFixed(2)}×, max |Δ| ${diff}, ` +
  `${THREADS} threads, load average ${loads.map((l) => l.toFixed(2)).join(' → ')}`);
for (const run of runs) run.model.dispose();
