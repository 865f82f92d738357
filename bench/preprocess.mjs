// Times image preprocessing for a classification model (short side 256 → center crop 224,
// ImageNet mean/std), stage by stage: decode (sharp/libvips), resize+crop (sharp/libvips),
// normalise (the JS lookup-table pass in lib/image/normalize.ts), and the whole preprocess()
// for a batch. Run after `npm run build:ts`:  node bench/preprocess.mjs
// Prints a table and writes bench/results/preprocess.json.

import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { decodeImage } from '../dist/image/decode.js';
import { preprocess, resizeForModel } from '../dist/image/preprocess.js';
import { buildLookupTables, normalizeInto } from '../dist/image/normalize.js';

const here = dirname(fileURLToPath(import.meta.url));
const INPUT = {
  channels: 3, layout: 'NCHW', dtype: 'float32', colorOrder: 'RGB', valueScale: 255,
  mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225],
  size: { rule: 'fixed', height: 224, width: 224 },
  resize: { mode: 'short-side-center-crop', shortSide: 256, crop: 224, interpolation: 'bilinear' },
};
// NWPU-RESISC45 and UCM chips are 256², AID 600²; 1024² and 4000×3000 stand for larger photos.
const SIZES = [[256, 256], [600, 600], [1024, 1024], [4000, 3000]];
const BATCH = 16;

function synthetic(width, height) {
  const data = Buffer.alloc(width * height * 3);
  for (let i = 0; i < data.length; i++) data[i] = (i * 7 + (i >> 11)) & 0xff;
  return data;
}

async function timeIt(fn, minMs = 300, minRuns = 5) {
  await fn();
  const times = [];
  const start = performance.now();
  while (times.length < minRuns || performance.now() - start < minMs) {
    const t = performance.now();
    await fn();
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  return { medianMs: times[times.length >> 1], runs: times.length };
}

/** Per-sample arithmetic without the table, to show what the lookup table saves. */
function normalizeDirect(pixels, n, out) {
  for (let c = 0; c < 3; c++) {
    const m = INPUT.mean[c];
    const s = INPUT.std[c];
    for (let i = 0, j = c; i < n; i++, j += 3) out[c * n + i] = (pixels[j] / 255 - m) / s;
  }
}

const rows = [];
for (const [w, h] of SIZES) {
  const raw = synthetic(w, h);
  const png = await sharp(raw, { raw: { width: w, height: h, channels: 3 } }).png().toBuffer();
  const jpeg = await sharp(raw, { raw: { width: w, height: h, channels: 3 } }).jpeg({ quality: 90 }).toBuffer();
  const decoded = await decodeImage(jpeg);
  const resized = await resizeForModel(decoded, INPUT);
  const n = resized.width * resized.height;
  const out = new Float32Array(3 * n);
  const tables = buildLookupTables(INPUT);
  const row = {
    size: `${w}×${h}`,
    decodeJpegMs: (await timeIt(() => decodeImage(jpeg))).medianMs,
    decodePngMs: (await timeIt(() => decodeImage(png))).medianMs,
    resizeCropMs: (await timeIt(() => resizeForModel(decoded, INPUT))).medianMs,
    normalizeLutMs: (await timeIt(() => normalizeInto(resized.data, n, tables, 'RGB', out, 0), 200, 50)).medianMs,
    normalizeDirectMs: (await timeIt(() => normalizeDirect(resized.data, n, out), 200, 50)).medianMs,
    preprocessOneJpegMs: (await timeIt(() => preprocess(jpeg, INPUT))).medianMs,
  };
  const batch = Array.from({ length: BATCH }, () => jpeg);
  const batchMs = (await timeIt(() => preprocess(batch, INPUT), 500, 3)).medianMs;
  row.preprocessBatchMs = batchMs;
  row.batchImagesPerSec = (BATCH * 1000) / batchMs;
  rows.push(row);
}

const columns = [
  ['size', 'input'], ['decodeJpegMs', 'decode JPEG'], ['decodePngMs', 'decode PNG'], ['resizeCropMs', 'resize+crop'],
  ['normalizeLutMs', 'normalise (LUT)'], ['normalizeDirectMs', 'normalise (direct)'], ['preprocessOneJpegMs', 'preprocess 1 JPEG'],
  ['preprocessBatchMs', `preprocess ${BATCH} JPEG`], ['batchImagesPerSec', 'images/s (batch)'],
];
const fmt = (v) => (typeof v === 'number' ? (v >= 100 ? v.toFixed(0) : v.toFixed(2)) : v);
const table = [columns.map(([, t]) => t), ...rows.map((r) => columns.map(([k]) => fmt(r[k])))];
const widths = table[0].map((_, i) => Math.max(...table.map((line) => String(line[i]).length)));
const line = (cells) => `| ${cells.map((c, i) => String(c).padStart(widths[i])).join(' | ')} |`;
console.log('Preprocessing to 1×3×224×224 (short side 256, center crop 224); medians in ms');
console.log(line(table[0]));
console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
for (const r of table.slice(1)) console.log(line(r));

const result = {
  suite: 'preprocess',
  date: new Date().toISOString(),
  node: process.version,
  sharp: sharp.versions,
  cpu: cpus()[0]?.model ?? 'unknown',
  cpuCount: cpus().length,
  uvThreadpoolSize: Number(process.env.UV_THREADPOOL_SIZE ?? 4),
  input: INPUT,
  batch: BATCH,
  rows,
};
mkdirSync(join(here, 'results'), { recursive: true });
writeFileSync(join(here, 'results', 'preprocess.json'), `${JSON.stringify(result, null, 2)}\n`);
console.log(`wrote ${join('bench', 'results', 'preprocess.json')}`);
