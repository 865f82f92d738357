// classify()'s pixel path for one large plain image, before and after issue 13:
//   staged: decodeImage() (the whole RGB image crosses into JavaScript), then resizeForModel()
//           (those bytes go back into libvips, the crop comes out) — the path before;
//   one pipeline: preprocess() on the encoded bytes (decode, resize, crop in one libvips
//           pipeline; only the 224² crop reaches JavaScript) — the path now.
// Both give the same pixels (test/image/preprocess.test.ts). Rounds alternate the order.
// Run after `npm run build:ts`:  node bench/classify-pixels.mjs [--side 8000] [--rounds 3] [--only staged|onePipeline]
// Prints a table and writes bench/results/classify-pixels.json.

import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { decodeImage } from '../dist/image/decode.js';
import { preprocess, resizeForModel } from '../dist/image/preprocess.js';

const here = dirname(fileURLToPath(import.meta.url));
const { values } = parseArgs({ options: { side: { type: 'string', default: '8000' }, rounds: { type: 'string', default: '3' }, only: { type: 'string' } } });
const side = Number(values.side);
const rounds = Number(values.rounds);
const INPUT = {
  channels: 3, layout: 'NCHW', dtype: 'float32', colorOrder: 'RGB', valueScale: 255,
  mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225],
  size: { rule: 'fixed', height: 224, width: 224 },
  resize: { mode: 'short-side-center-crop', shortSide: 256, crop: 224, interpolation: 'bilinear' },
};

// The test image is made once and kept in the OS temp directory, so a run's peak memory is the path's own.
const file = join(tmpdir(), `lwganet-classify-pixels-${side}.jpg`);
if (!existsSync(file)) {
  const raw = Buffer.alloc(side * side * 3);
  for (let i = 0; i < raw.length; i++) raw[i] = (i * 7 + (i >> 13)) & 0xff;
  await sharp(raw, { raw: { width: side, height: side, channels: 3 }, limitInputPixels: false }).jpeg({ quality: 85 }).toFile(file);
}
const jpeg = readFileSync(file);

async function staged() {
  const decoded = await decodeImage(jpeg, { maxPixels: side * side });
  const resized = await resizeForModel(decoded, INPUT);
  return { crossed: decoded.data.length + resized.data.length };
}

async function onePipeline() {
  const tensor = await preprocess(jpeg, INPUT, { maxPixels: side * side });
  // The 8-bit crop that crossed: one byte per element of the 1×3×224×224 tensor made from it.
  return { crossed: tensor.data.length };
}

// --only staged|onePipeline runs one path, so a separate process can read its peak memory (/usr/bin/time -v).
const samples = values.only ? { [values.only]: [] } : { staged: [], onePipeline: [] };
let crossed = {};
for (let r = 0; r < rounds; r++) {
  const names = Object.keys(samples);
  const order = r % 2 === 0 ? names : [...names].reverse();
  for (const name of order) {
    globalThis.gc?.();
    const start = performance.now();
    const result = await (name === 'staged' ? staged() : onePipeline());
    samples[name].push(performance.now() - start);
    crossed[name] = result.crossed;
  }
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const rows = Object.entries(samples).map(([name, ms]) => ({ path: name, medianMs: Math.round(median(ms)), bytesIntoJs: crossed[name] }));
console.log(`${side}×${side} JPEG (${(jpeg.length / 1e6).toFixed(1)} MB), ${rounds} rounds; machine shared with other jobs, compare the ratio`);
console.table(rows);
mkdirSync(join(here, 'results'), { recursive: true });
writeFileSync(join(here, 'results', 'classify-pixels.json'), `${JSON.stringify({ side, jpegBytes: jpeg.length, rounds, rows }, null, 2)}\n`);
