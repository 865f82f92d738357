/**
 * TorchScript fixtures for the dense pipelines whose outputs are known functions of their
 * input pixels, so tiled results can be checked exactly against a direct computation:
 * - seg.pt: per-pixel logits = W·x + b (a 1×1 conv, K = 5) of the normalised RGB input; its
 *   forward raises unless the input is square, a multiple of 32 and ≥ 64 (the tile rule it
 *   declares), so an invalid tile fails loudly;
 * - change.pt (A2Net-like: BGR, BGR statistics): returns (probability, aux) with
 *   probability = sigmoid(v·(a − b) + c), 1 channel, kind "probability";
 * - change2.pt (CLAFA-like): 2-channel logits [u·a, u·b], kind "logits";
 * - change_logit1.pt: 1 channel, kind "logits": v·(a − b) + c, the logit of change.pt's
 *   probability (RGB input), so probability = sigmoid(logit) can be checked with its sign;
 * - change_prob2.pt: 2 channels, kind "probability": [1 − q, q] with q = sigmoid(u·(a − b)),
 *   so channel 1 (not 0) must be read as the change probability;
 * - context.pt: a segmentation model whose output depends on the neighbourhood and on the
 *   whole tile, as real models' do: logits = box5×5(W·x + b) (zero padding at the tile edge)
 *   + G·mean_over_tile(x). The same pixel gets different logits from overlapping tiles, so the
 *   blend weights decide the result (test/blending.test.ts checks them against NumPy);
 * - half.pt: like seg.pt but its output is half the tile size (a broken dense model);
 * - classify.pt: seg.pt's module declared as a classification model (for TASK_MISMATCH).
 * Exported with the project venv (the only Python with torch), once per content (cached).
 */

import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, VENV_PYTHON } from './image-python.js';

export const SEG_W = [
  [0.9, -0.4, 0.2],
  [-0.3, 0.8, 0.1],
  [0.2, 0.3, -0.9],
  [-0.7, -0.2, 0.6],
  [0.1, 0.1, 0.1],
];
export const SEG_B = [0.05, -0.1, 0.0, 0.2, -0.05];
export const CHANGE_V = [0.7, -0.5, 1.1];
export const CHANGE_C = -0.2;
export const CHANGE2_U = [0.4, 0.9, -0.6];
/** context.pt: weight of each input channel's tile mean in each logit (K × 3). */
export const CONTEXT_G = [
  [2.0, -1.5, 0.5],
  [-1.0, 2.5, 0.0],
  [0.5, 0.5, -2.0],
  [1.5, 0.0, 1.0],
  [-2.0, -0.5, 1.5],
];
export const IMAGENET_MEAN = [0.485, 0.456, 0.406];
export const IMAGENET_STD = [0.229, 0.224, 0.225];
export const TILING = { defaultTileSize: 64, tileMultiple: 32, minTileSize: 64, defaultOverlap: 16 };
export const SEG_LABELS = ['building', 'road', 'tree', 'water', 'clutter'];
export const SEG_PALETTE: Array<[number, number, number]> = [[128, 0, 0], [128, 64, 128], [0, 128, 0], [0, 0, 255], [0, 0, 0]];

/** The exporting script (a real .py file: TorchScript compiles from source text). */
const SCRIPT = join(ROOT, 'test', 'fixtures', 'dense_models.py');

function baseMetadata(): Record<string, unknown> {
  return {
    format: 'lwganet-model',
    formatVersion: 1,
    variant: 'fixture',
    labelSet: 'custom',
    input: {
      channels: 3, layout: 'NCHW', dtype: 'float32', colorOrder: 'RGB', valueScale: 255, mean: IMAGENET_MEAN, std: IMAGENET_STD,
      size: { rule: 'any', minHeight: 64, minWidth: 64, multipleOf: 32 }, resize: { mode: 'none' },
    },
    tiling: TILING,
    weights: { source: 'random-init', seed: 0, file: null, sha256: null },
    export: { torchVersion: 'fixture', lwganetVersion: 'fixture', method: 'script', frozen: false, dtype: 'float32', createdAt: '2024-01-01T00:00:00Z' },
    segLabels: SEG_LABELS,
    segPalette: SEG_PALETTE,
  };
}

const FIXTURE_FILES = {
  seg: 'seg.pt', half: 'half.pt', classify: 'classify.pt', change: 'change.pt', change2: 'change2.pt',
  changeLogit1: 'change_logit1.pt', changeProb2: 'change_prob2.pt', context: 'context.pt',
} as const;

/**
 * Exports the dense fixtures and returns their paths. They are cached in the OS temp directory
 * under a hash of the exporting code and its arguments (importing torch costs seconds, and
 * mutation testing re-runs a test file once per mutant); `dir` is kept for the callers' own files.
 */
export function exportDenseFixtures(_dir: string): { [K in keyof typeof FIXTURE_FILES]: string } {
  const args = [JSON.stringify(SEG_W), JSON.stringify(SEG_B), JSON.stringify(CHANGE_V), String(CHANGE_C), JSON.stringify(CHANGE2_U), JSON.stringify(baseMetadata()), JSON.stringify(CONTEXT_G)];
  // The script builds its metadata with the package's metadata module: a change there is a new key.
  const metadataModule = readFileSync(join(ROOT, 'python', 'lwganet', 'metadata.py'));
  const key = createHash('sha256').update(readFileSync(SCRIPT)).update(JSON.stringify(args)).update(VENV_PYTHON).update(metadataModule).digest('hex').slice(0, 16);
  const cache = join(tmpdir(), `lwganet-dense-fixtures-${key}`);
  const paths = Object.fromEntries(Object.entries(FIXTURE_FILES).map(([k, file]) => [k, join(cache, file)])) as { [K in keyof typeof FIXTURE_FILES]: string };
  if (Object.values(paths).every((p) => existsSync(p))) return paths;
  // Export into a private directory, then rename it into place: concurrent test files never see a partial set.
  const work = mkdtempSync(`${cache}.tmp-`);
  try {
    execFileSync(VENV_PYTHON, [SCRIPT, work, ...args], {
      encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000, env: { ...process.env, PYTHONPATH: join(ROOT, 'python') },
    });
  } catch (error) {
    rmSync(work, { recursive: true, force: true });
    throw new Error(`Could not export the dense fixtures with ${VENV_PYTHON}: ${(error as { stderr?: string }).stderr ?? String(error)}`);
  }
  try {
    renameSync(work, cache);
  } catch {
    rmSync(work, { recursive: true, force: true }); // another process won the race; its copy is identical
  }
  return paths;
}

/** Normalised value of channel `c` of an RGB pixel (float64, same formula as the lookup tables). */
export function normalised(rgb: ArrayLike<number>, p: number, c: number, order: 'RGB' | 'BGR' = 'RGB'): number {
  const src = order === 'BGR' ? 2 - c : c;
  const mean = order === 'BGR' ? [...IMAGENET_MEAN].reverse() : IMAGENET_MEAN;
  const std = order === 'BGR' ? [...IMAGENET_STD].reverse() : IMAGENET_STD;
  return (rgb[p * 3 + src] / 255 - mean[c]) / std[c];
}

/** Expected segmentation logits [K planes of n pixels] computed directly from the pixels. */
export function expectedSegLogits(rgb: Uint8Array, n: number): Float64Array {
  const out = new Float64Array(SEG_W.length * n);
  for (let p = 0; p < n; p++) {
    const x = [0, 1, 2].map((c) => normalised(rgb, p, c));
    SEG_W.forEach((w, k) => (out[k * n + p] = w[0] * x[0] + w[1] * x[1] + w[2] * x[2] + SEG_B[k]));
  }
  return out;
}

/** Expected change.pt probability per pixel (BGR input, BGR statistics). */
export function expectedChangeProbability(a: Uint8Array, b: Uint8Array, n: number): Float64Array {
  const out = new Float64Array(n);
  for (let p = 0; p < n; p++) {
    let s = CHANGE_C;
    for (let c = 0; c < 3; c++) s += CHANGE_V[c] * (normalised(a, p, c, 'BGR') - normalised(b, p, c, 'BGR'));
    out[p] = 1 / (1 + Math.exp(-s));
  }
  return out;
}
