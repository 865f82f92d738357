// Times rotatedNms (native greedy NMS, exact polygon IoU) on N random rotated boxes, N = 1k, 5k
// and 20k: boxes scattered around N/8 objects over a 4096² image (the candidates of a large
// image's patches before the merge), IoU 0.1, without labels and with 15 classes (DOTA-v1.0).
// Run after `npm run build`:  node bench/nms.mjs [--quick]
// Prints a table and writes bench/results/nms-latest.md. --quick times each case once (a smoke
// test, not a measurement).

import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { rotatedNms } from '../dist/index.js';
import { seededRandom } from '../test/helpers/seeded-random.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const quick = process.argv.includes('--quick');
const SIZES = [1000, 5000, 20000];
const IMAGE = 4096;
const CLASSES = 15;
const IOU = 0.1;

function makeSet(n, seed) {
  const rand = seededRandom(seed); // every run times the same boxes
  const objects = Array.from({ length: Math.max(1, n >> 3) }, () => [
    rand() * IMAGE, rand() * IMAGE, 10 + rand() * 90, 5 + rand() * 40, (rand() - 0.5) * Math.PI, Math.floor(rand() * CLASSES),
  ]);
  const boxes = new Float64Array(n * 5);
  const scores = new Float64Array(n);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const [cx, cy, w, h, a, label] = objects[Math.floor(rand() * objects.length)];
    const jitter = () => rand() - 0.5;
    boxes.set([cx + 8 * jitter(), cy + 8 * jitter(), w * (1 + 0.3 * jitter()), h * (1 + 0.3 * jitter()), a + 0.3 * jitter()], i * 5);
    scores[i] = rand();
    labels[i] = label;
  }
  return { boxes, scores, labels };
}

function timeIt(fn, minMs, minRuns) {
  fn(); // warm-up
  const times = [];
  const start = performance.now();
  while (times.length < minRuns || performance.now() - start < minMs) {
    const t = performance.now();
    fn();
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  return { medianMs: times[times.length >> 1], minMs: times[0], runs: times.length };
}

const busy = loadavg()[0];
if (busy > cpus().length * 0.5) console.warn(`note: load average ${busy.toFixed(1)} on ${cpus().length} cores; numbers will be noisy`);

const rows = [];
for (const n of SIZES) {
  const { boxes, scores, labels } = makeSet(n, n);
  for (const withLabels of [false, true]) {
    const options = withLabels ? { labels } : undefined;
    const kept = rotatedNms(boxes, scores, IOU, options).length;
    const timing = quick ? timeIt(() => rotatedNms(boxes, scores, IOU, options), 0, 1) : timeIt(() => rotatedNms(boxes, scores, IOU, options), 1000, 5);
    rows.push({ n, labels: withLabels ? `${CLASSES} classes` : 'none', kept, ...timing });
  }
}

const header = ['boxes', 'labels', 'kept', 'median ms', 'min ms', 'runs'];
const table = [header, ...rows.map((r) => [r.n, r.labels, r.kept, r.medianMs.toFixed(2), r.minMs.toFixed(2), r.runs])];
const widths = header.map((_, i) => Math.max(...table.map((line) => String(line[i]).length)));
const line = (cells) => `| ${cells.map((c, i) => String(c).padStart(widths[i])).join(' | ')} |`;
const title = `rotatedNms, IoU ${IOU}, boxes around N/8 objects on ${IMAGE}²${quick ? ' (--quick: one run each, not a measurement)' : ''}`;
const lines = [title, '', line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...table.slice(1).map(line)];
console.log(lines.join('\n'));

const environment = `${new Date().toISOString()}, node ${process.version}, ${cpus()[0]?.model ?? 'unknown CPU'} × ${cpus().length}, load ${busy.toFixed(1)}`;
mkdirSync(join(here, 'results'), { recursive: true });
writeFileSync(join(here, 'results', 'nms-latest.md'), `# ${lines[0]}\n\n${lines.slice(2).join('\n')}\n\n${environment}\n`);
console.log(`wrote ${join('bench', 'results', 'nms-latest.md')}`);
