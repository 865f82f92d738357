// The package's main job on a built-in default: export a seeded LWGANet-L0 scene classifier
// (NWPU-RESISC45 labels) with the project's Python exporter, make a test image, classify it
// from Node through LibTorch, and print the predictions and timings.
// Usage: npm run demo [-- --model FILE] [--image FILE] [--threads N]
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { classify, devices, loadModel, Tensor } from '../dist/index.js';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({
  options: { model: { type: 'string' }, image: { type: 'string' }, threads: { type: 'string' } },
});
const demoDir = path.join(root, 'out', 'demo'); // not build/: cmake-js may wipe that
fs.mkdirSync(demoDir, { recursive: true });

function exportDefaultModel(file) {
  if (fs.existsSync(file)) return;
  const python = path.join(root, '.venv', 'bin', 'python');
  if (!fs.existsSync(python)) throw new Error('No project venv: run `bash scripts/setup.sh` first');
  console.log(`exporting seeded lwganet_l0 (nwpu-resisc45) → ${path.relative(root, file)}`);
  const result = spawnSync(python, ['-m', 'lwganet', 'export', 'lwganet_l0', '--labels', 'nwpu-resisc45', '--seed', '0', '--out', file], {
    cwd: path.join(root, 'python'),
    stdio: 'inherit',
  });
  if (result.status !== 0) throw new Error('export failed');
}

async function makeDefaultImage(file) {
  if (fs.existsSync(file)) return;
  // A synthetic 320×240 "aerial" scene: fields in stripes, a road, a pond.
  const width = 320, height = 240;
  const pixels = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      const field = Math.floor(x / 40) % 2 === 0;
      const road = Math.abs(y - 0.5 * x - 40) < 6;
      const pond = (x - 240) ** 2 + (y - 170) ** 2 < 40 ** 2;
      const [r, g, b] = pond ? [40, 70, 140] : road ? [120, 120, 115] : field ? [110, 150, 60] : [170, 150, 90];
      pixels[i] = r; pixels[i + 1] = g; pixels[i + 2] = b;
    }
  }
  await sharp(pixels, { raw: { width, height, channels: 3 } }).jpeg({ quality: 90 }).toFile(file);
}

const modelFile = values.model ?? path.join(demoDir, 'lwganet_l0_nwpu_seed0.pt');
const imageFile = values.image ?? path.join(demoDir, 'scene.jpg');
if (!values.model) exportDefaultModel(modelFile);
if (!values.image) await makeDefaultImage(imageFile);
const threads = values.threads ? Number(values.threads) : undefined;

const info = devices();
console.log(`LibTorch ${info.libtorchVersion} · CUDA ${info.cudaDeviceCount > 0 ? info.available.join(', ') : `unavailable (${info.cudaUnavailableReason})`}`);

let t = performance.now();
const model = await loadModel(modelFile, { threads });
const loadMs = performance.now() - t;
const meta = model.metadata;
console.log(`model: ${meta?.model ?? path.basename(modelFile)} · task ${meta?.task} · ${meta?.numClasses} classes (${meta?.labelSet}) · threads ${model.threads}`);
if (meta?.weights.source === 'random-init') {
  console.log(`weights: seeded random initialisation (seed ${meta.weights.seed}); predictions are not meaningful. Use \`lwganet weights fetch\` or \`lwganet export --weights\` for trained weights.`);
}

t = performance.now();
const predictions = await classify(imageFile, { model, topK: 5 });
const firstMs = performance.now() - t;
console.log(`\ntop-5 for ${path.relative(process.cwd(), imageFile)}:`);
for (const p of predictions) console.log(`  ${p.score.toFixed(4)}  ${p.label} (#${p.index})`);

// Forward-only timing at the model's input size (the pipeline adds decoding and resizing).
const size = meta?.input.size.rule === 'fixed' ? meta.input.size : { height: 224, width: 224 };
const x = new Tensor('float32', new Float32Array(3 * size.height * size.width).fill(0.1), [1, 3, size.height, size.width]);
for (let i = 0; i < 3; i++) await model.run(x);
const times = [];
for (let i = 0; i < 20; i++) {
  t = performance.now();
  await model.run(x);
  times.push(performance.now() - t);
}
times.sort((a, b) => a - b);
t = performance.now();
await classify(imageFile, { model, topK: 5 });
const warmClassifyMs = performance.now() - t;
console.log(`\ntimings: load ${loadMs.toFixed(1)} ms · first classify ${firstMs.toFixed(1)} ms · warm classify ${warmClassifyMs.toFixed(1)} ms`);
console.log(`forward ${size.height}×${size.width}, batch 1: median ${times[10].toFixed(2)} ms (p10 ${times[2].toFixed(2)}, p90 ${times[18].toFixed(2)}) over 20 runs`);
model.dispose();
