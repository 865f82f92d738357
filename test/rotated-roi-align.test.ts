// The TorchScript op lwganet::rotated_roi_align (native/rotated_roi_align.cc) called from a model
// exported in Python: it must give the values the Python reference (grid_sample, the oracle in
// python/lwganet/detection/rotated_roi_align.py) stored in roi_align_cases.json, within rounding.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { LwganetError, Tensor, loadModel, loadModelSync, type ModelOutput } from '../lib/index.js';
import { addonBuilds } from '../lib/native/binding.js';
import { fixture } from './helpers/fixtures.js';

interface RoiAlignCase {
  name: string;
  dtype: 'float32' | 'float64';
  featureShape: number[];
  features: number[];
  rois: number[];
  roiCount: number;
  spatialScale: number;
  outSize: number;
  samplingRatio: number;
  expected: number[];
  tolerance: number;
}

function caseInputs(c: RoiAlignCase): Tensor[] {
  const floats = c.dtype === 'float32' ? Float32Array : Float64Array;
  return [
    new Tensor(c.dtype, floats.from(c.features), c.featureShape),
    new Tensor(c.dtype, floats.from(c.rois), [c.roiCount, 5]),
    new Tensor('float64', Float64Array.of(c.spatialScale, c.outSize, c.samplingRatio), [3]),
  ];
}

/** Largest |got − expected|, after checking shape and dtype. */
function maxDiff(output: ModelOutput, c: RoiAlignCase): number {
  if (!(output instanceof Tensor)) throw new Error('expected a Tensor');
  expect(output.dtype, c.name).toBe(c.dtype);
  expect(output.shape, c.name).toEqual([c.roiCount, c.featureShape[1], c.outSize, c.outSize]);
  const got = output.data as Float32Array | Float64Array;
  expect(got.length, c.name).toBe(c.expected.length);
  let worst = 0;
  for (let i = 0; i < got.length; i++) worst = Math.max(worst, Math.abs(got[i] - c.expected[i]));
  return Number.isNaN(worst) ? Infinity : worst;
}

describe('TorchScript op lwganet::rotated_roi_align (a model exported from Python)', () => {
  const cases: RoiAlignCase[] = JSON.parse(fs.readFileSync(fixture('roi_align_cases.json'), 'utf8')).cases;

  it('registers the schema of python/lwganet/detection/native_ops.py word for word', () => {
    const root = path.join(__dirname, '..');
    const python = fs.readFileSync(path.join(root, 'python', 'lwganet', 'detection', 'native_ops.py'), 'utf8');
    const native = fs.readFileSync(path.join(root, 'native', 'rotated_roi_align.cc'), 'utf8');
    // The Python schema is split over two string literals.
    const pySchema = /"(rotated_roi_align\(Tensor features[^"]*)"\s*"([^"]*)"/.exec(python);
    const cSchema = /"(rotated_roi_align\(Tensor features[^"]*)"/.exec(native);
    expect(pySchema).not.toBeNull();
    expect(cSchema?.[1]).toBe(`${pySchema![1]}${pySchema![2]}`);
  });

  it("splits its RoIs over LibTorch's OpenMP runtime: compiled with OpenMP, bound to no runtime of its own", () => {
    // at::parallel_for's OpenMP region is compiled into the caller: without -fopenmp the loop ran
    // on one thread whatever the model's thread count.
    const addon = addonBuilds()[0].file;
    expect(execFileSync('nm', ['-D', '--undefined-only', addon], { encoding: 'utf8' })).toMatch(/\bGOMP_parallel\b/);
    expect(execFileSync('readelf', ['-d', addon], { encoding: 'utf8' })).not.toMatch(/NEEDED.*\[libgomp/);
  });

  it('covers both dtypes, several sampling ratios and output sizes, and empty RoI sets', () => {
    expect(new Set(cases.map((c) => c.dtype))).toEqual(new Set(['float32', 'float64']));
    expect(new Set(cases.map((c) => c.samplingRatio))).toEqual(new Set([1, 2, 3]));
    expect(cases.filter((c) => c.roiCount === 0).length).toBe(2);
    // Not all zeros: the reference sampled something.
    expect(cases.every((c) => c.roiCount === 0 || c.expected.some((v) => Math.abs(v) > 0.1))).toBe(true);
  });

  it('gives the Python reference values, with run() and runSync()', async () => {
    const asyncModel = await loadModel(fixture('rotated_roi_align.pt'), { threads: 2 });
    const syncModel = loadModelSync(fixture('rotated_roi_align.pt'), { threads: 1 });
    for (const c of cases) {
      expect(maxDiff(await asyncModel.run(caseInputs(c)), c), c.name).toBeLessThanOrEqual(c.tolerance);
      expect(maxDiff(syncModel.runSync(caseInputs(c)), c), c.name).toBeLessThanOrEqual(c.tolerance);
    }
    asyncModel.dispose();
    syncModel.dispose();
  });

  it('reports wrong shapes, dtypes and arguments from the kernel as input errors', async () => {
    const model = await loadModel(fixture('rotated_roi_align.pt'));
    const f32 = (count: number, shape: number[]) => new Tensor('float32', new Float32Array(count), shape);
    const params = (scale: number, out: number, samples: number) => new Tensor('float64', Float64Array.of(scale, out, samples), [3]);
    const cases: Array<[Tensor[], string | undefined, RegExp]> = [
      [[f32(2 * 3 * 16, [2, 3, 4, 4]), f32(5, [1, 5]), params(0.5, 7, 2)], 'INPUT_SHAPE', /rotated_roi_align: expected features of shape \(1, C, H, W\) but got \[2, 3, 4, 4\]/],
      [[f32(3 * 16, [1, 3, 4, 4]), f32(4, [1, 4]), params(0.5, 7, 2)], 'INPUT_SHAPE', /expected rois of shape \(N, 5\) but got \[1, 4\]/],
      [[f32(3 * 16, [1, 3, 4, 4]), new Tensor('float64', new Float64Array(5), [1, 5]), params(0.5, 7, 2)], 'INPUT_DTYPE', /expected features and rois of one dtype, float32 or float64, but got Float and Double/],
      [[f32(3 * 16, [1, 3, 4, 4]), f32(5, [1, 5]), params(0.5, 7, 0)], undefined, /sampling_ratio must be at least 1/],
      [[f32(3 * 16, [1, 3, 4, 4]), f32(5, [1, 5]), params(-1, 7, 2)], undefined, /spatial_scale must be positive and finite/],
    ];
    for (const [inputs, code, message] of cases) {
      const error = await model.run(inputs).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(LwganetError);
      if (code) expect((error as LwganetError).code).toBe(code);
      expect((error as Error).message).toMatch(message);
      expect((error as Error).message).not.toMatch(/frame #|Exception raised from/);
      expect(() => model.runSync(inputs)).toThrow(message);
    }
    model.dispose();
  });
});
