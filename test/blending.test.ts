// Blending of overlapping tiles, checked against an independent NumPy implementation of the
// documented blend window (test/helpers/blend_reference.py). The fixture context.pt makes
// each pixel's output depend on its neighbours and on its whole tile, so overlapping tiles
// disagree and a wrong weight (wrong axis, missing ramp, last tile overwriting) changes the
// result. A per-pixel model would hide all of those: its tiles agree wherever they overlap.
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModel, type Model } from '../lib/model/model.js';
import { segment } from '../lib/tasks/segmentation.js';
import { softmax } from '../lib/tasks/top-k.js';
import { exportDenseFixtures, IMAGENET_MEAN, IMAGENET_STD } from './helpers/dense-models.js';
import { pattern, tempDir } from './helpers/image-fixtures.js';
import { runPython } from './helpers/image-python.js';

let dir: string;
let cleanup: () => void;
let model: Model;
let modelPath: string;

beforeAll(async () => {
  ({ dir, cleanup } = tempDir('lwganet-blend-'));
  modelPath = exportDenseFixtures(dir).context;
  model = await loadModel(modelPath, { threads: 2 });
});

afterAll(() => {
  model?.dispose();
  cleanup?.();
});

/** Smooth gradients (so tiles have different means) plus noise in blue (so neighbours differ). */
function scene(width: number, height: number): Uint8Array {
  const noise = pattern(width, height, 1, 11);
  const rgb = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const p = y * width + x;
      rgb[p * 3] = Math.round((255 * x) / (width - 1));
      rgb[p * 3 + 1] = Math.round((255 * y) / (height - 1));
      rgb[p * 3 + 2] = noise[p];
    }
  }
  return rgb;
}

const cases: Array<[number, number, number, number, string]> = [
  [150, 130, 64, 16, '3×3 tiles, last row and column moved back'],
  [100, 96, 64, 28, '2×2 tiles, different overlap in x and y'],
  [150, 130, 64, 32, '3×3 tiles, overlap of half a tile'],
];

/**
 * The NumPy reference for every case, in one Python process. Cached in the OS temp directory
 * under a hash of the reference script, the model and the inputs: importing torch costs seconds,
 * and mutation testing reruns this file once per mutant.
 */
function referenceLogits(): Float32Array[] {
  const name = (c: (typeof cases)[number]) => `${c[0]}x${c[1]}-${c[2]}-${c[3]}`;
  const script = join(__dirname, 'helpers', 'blend_reference.py');
  const hash = createHash('sha256').update(readFileSync(script)).update(readFileSync(modelPath)).update(JSON.stringify([IMAGENET_MEAN, IMAGENET_STD, cases]));
  for (const c of cases) hash.update(scene(c[0], c[1]));
  const cache = join(tmpdir(), `lwganet-blend-reference-${hash.digest('hex').slice(0, 16)}`);
  const outputs = cases.map((c) => join(cache, `ref-${name(c)}.raw`));
  if (!outputs.every((f) => existsSync(f))) {
    const work = mkdtempSync(`${cache}.tmp-`);
    const job = {
      model: modelPath, mean: IMAGENET_MEAN, std: IMAGENET_STD,
      cases: cases.map((c) => {
        const input = join(dir, `in-${name(c)}.raw`);
        writeFileSync(input, scene(c[0], c[1]));
        return { input, width: c[0], height: c[1], tile: c[2], overlap: c[3], output: join(work, `ref-${name(c)}.raw`) };
      }),
    };
    writeFileSync(join(dir, 'job.json'), JSON.stringify(job));
    try {
      runPython([script, join(dir, 'job.json')]);
      renameSync(work, cache);
    } catch (error) {
      rmSync(work, { recursive: true, force: true });
      if (!outputs.every((f) => existsSync(f))) throw error; // else another process won the race with the same files
    }
  }
  return outputs.map((file) => {
    const bytes = readFileSync(file);
    return new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
  });
}

describe('overlapping tiles are blended with the documented raised-cosine window', () => {
  let refs: Float32Array[];
  beforeAll(() => {
    refs = referenceLogits();
  });

  it.each(cases.map((c, i) => [...c, i] as const))('%i×%i, tile %i, overlap %i (%s)', async (width, height, tile, overlap, _what, index) => {
    const rgb = scene(width, height);
    const ref = refs[index];
    const result = await segment({ data: rgb, width, height, channels: 3 }, { model, tileSize: tile, overlap, scores: true, batchSize: 2 });
    expect(result.tiling.tiles).toBeGreaterThanOrEqual(4);
    const n = width * height;
    const k = result.scores!.length;
    expect(k).toBe(5);
    let maxDiff = 0;
    let seamDiff = 0;
    for (let p = 0; p < n; p++) {
      const probs = softmax(Array.from({ length: k }, (_, c) => ref[c * n + p]));
      for (let c = 0; c < k; c++) maxDiff = Math.max(maxDiff, Math.abs(probs[c] - result.scores![c][p]));
    }
    // The test is only meaningful if tiles disagree: the blended result must differ from the
    // un-blended output of any single tile somewhere (checked via the untiled run below).
    const untiled = await segment({ data: rgb, width, height, channels: 3 }, { model, tileSize: Math.ceil(Math.max(width, height) / 32) * 32, overlap: 0, scores: true });
    for (let p = 0; p < n; p++) seamDiff = Math.max(seamDiff, Math.abs(untiled.scores![0][p] - result.scores![0][p]));
    expect(seamDiff).toBeGreaterThan(0.05);
    expect(maxDiff).toBeLessThan(2e-5);
  });
});
