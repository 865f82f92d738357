// The project's own dense task models (UNetFormer-, A2Net- and CLAFA-LWGANet), exported by the
// Python package with seeded weights, run from Node: raw forwards equal Python's on the same
// file, and the segment() / detectChanges() pipelines (metadata-driven preprocessing, BGR for
// A2Net) agree with Python computing the same thing from the same pixels.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModel, type Model } from '../lib/model/model.js';
import { Tensor } from '../lib/tensor/tensor.js';
import { segment } from '../lib/tasks/segmentation.js';
import { detectChanges } from '../lib/tasks/change-detection.js';
import { exportModel } from './helpers/image-model.js';
import { pattern, tempDir } from './helpers/image-fixtures.js';
import { runPython } from './helpers/image-python.js';

// Runs an exported file in Python. Inputs are raw float32 tensors, or uint8 HWC images that the
// script normalises itself from the metadata's rule, written independently of lib/image.
const PYTHON_RUN = `
import json, sys, numpy as np, torch, lwganet
from lwganet.export import load_exported
torch.set_num_threads(2)
loaded = {}
shapes = []
for job in json.loads(open(sys.argv[1]).read()):
    if job["model"] not in loaded:
        loaded[job["model"]] = load_exported(job["model"])
    module, meta = loaded[job["model"]]
    inputs = []
    for item in job["inputs"]:
        raw = np.fromfile(item["file"], dtype=np.uint8 if item["kind"] == "image" else np.float32)
        if item["kind"] == "image":
            h, w = item["shape"]
            img = raw.reshape(h, w, 3).astype(np.float64)
            if meta.input.color_order == "BGR":
                img = img[:, :, ::-1]
            x = (img / meta.input.value_scale - np.array(meta.input.mean)) / np.array(meta.input.std)
            inputs.append(torch.from_numpy(x.transpose(2, 0, 1)[None].astype(np.float32).copy()))
        else:
            inputs.append(torch.from_numpy(raw.reshape(item["shape"])))
    with torch.no_grad():
        y = module(*inputs)
    if isinstance(y, (tuple, list)):
        y = y[0]
    y.float().numpy().astype(np.float32).tofile(job["out"])
    shapes.append(list(y.shape))
print(json.dumps(shapes))
`;

let dir: string;
let cleanup: () => void;
const paths: Record<string, string> = {};
const models: Model[] = [];

beforeAll(() => {
  ({ dir, cleanup } = tempDir('lwganet-tasks-'));
  paths.seg = exportModel(dir, ['unetformer_lwganet_l0', '--labels', 'uavid', '--seed', '3'], 'seg.pt');
  paths.a2net = exportModel(dir, ['a2net_lwganet_l0', '--seed', '4'], 'a2net.pt');
  paths.clafa = exportModel(dir, ['clafa_lwganet_l0', '--seed', '5'], 'clafa.pt');
}, 600_000);

afterAll(() => {
  for (const m of models) m.dispose();
  cleanup?.();
});

async function load(path: string): Promise<Model> {
  const model = await loadModel(path, { threads: 2 });
  models.push(model);
  return model;
}

let counter = 0;
function file(bytes: ArrayBufferView): string {
  const path = join(dir, `in-${counter++}.bin`);
  writeFileSync(path, new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  return path;
}

type PyInput = { kind: 'tensor' | 'image'; data: Float32Array | Uint8Array; shape: number[] };
type PyJob = { model: string; inputs: PyInput[] };

/** Runs every job in one Python process (importing torch once) and returns each output. */
function python(jobs: PyJob[]): { values: Float32Array; shape: number[] }[] {
  const specs = jobs.map((job) => ({
    model: job.model,
    out: join(dir, `out-${counter++}.f32`),
    inputs: job.inputs.map((i) => ({ kind: i.kind, shape: i.shape, file: file(i.data) })),
  }));
  const specFile = join(dir, `jobs-${counter++}.json`);
  writeFileSync(specFile, JSON.stringify(specs));
  const shapes = JSON.parse(runPython(['-W', 'ignore', '-c', PYTHON_RUN, specFile], { timeoutMs: 300_000 }).trim()) as number[][];
  return specs.map((spec, i) => {
    const bytes = readFileSync(spec.out);
    return { values: new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length)), shape: shapes[i] };
  });
}

function randomInput(shape: number[], seed: number): Float32Array {
  const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
  let s = seed >>> 0;
  for (let i = 0; i < data.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    data[i] = (s / 2 ** 32) * 4 - 2;
  }
  return data;
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
  return d;
}

function firstTensor(value: unknown): Tensor {
  const t = Array.isArray(value) ? value[0] : value;
  expect(t).toBeInstanceOf(Tensor);
  return t as Tensor;
}

const RAW_CASES = [
  ['seg', [[1, 3, 128, 160]]],
  ['seg', [[1, 3, 100, 90]]], // the padding path inside the model
  ['a2net', [[1, 3, 96, 128], [1, 3, 96, 128]]],
  ['clafa', [[1, 3, 70, 66], [1, 3, 70, 66]]],
] as const;
const SIDE = 256; // one tile of each pipeline
const segPixels = pattern(SIDE, SIDE, 3, 7);
const before = pattern(SIDE, SIDE, 3, 8);
const after = pattern(SIDE, SIDE, 3, 9);
const image = (data: Uint8Array): PyInput => ({ kind: 'image', data, shape: [SIDE, SIDE] });

let rawInputs: PyInput[][];
let reference: { values: Float32Array; shape: number[] }[];

beforeAll(() => {
  rawInputs = RAW_CASES.map(([, shapes]) =>
    shapes.map((shape, i) => ({ kind: 'tensor' as const, shape: [...shape], data: randomInput([...shape], 11 + i) })));
  reference = python([
    ...RAW_CASES.map(([name], c) => ({ model: paths[name], inputs: rawInputs[c] })),
    { model: paths.seg, inputs: [image(segPixels)] },
    { model: paths.a2net, inputs: [image(before), image(after)] },
  ]);
}, 600_000);

describe('raw forwards equal Python on the same exported file', () => {
  it.each(RAW_CASES.map(([name, shapes], c) => [name, shapes, c] as const))('%s on %j', async (name, _shapes, c) => {
    const model = await load(paths[name]);
    const inputs = rawInputs[c];
    const got = firstTensor(await model.run(inputs.map((i) => new Tensor('float32', i.data as Float32Array, i.shape))));
    const want = reference[c];
    expect(got.shape).toEqual(want.shape);
    // Same LibTorch, same threads: only reduction order could differ.
    expect(maxAbsDiff(got.data as Float32Array, want.values)).toBeLessThan(1e-4);
  });
});

describe('pipelines agree with Python preprocessing the same pixels', () => {
  it('segment(): one 256² tile gives the argmax of Python logits', async () => {
    const model = await load(paths.seg);
    const result = await segment({ data: segPixels, width: SIDE, height: SIDE, channels: 3 }, { model, tileSize: SIDE, overlap: 0, scores: true });
    const logits = reference[RAW_CASES.length];
    const classes = logits.shape[1];
    expect(logits.shape).toEqual([1, 8, SIDE, SIDE]);
    const n = SIDE * SIDE;
    let agree = 0;
    for (let p = 0; p < n; p++) {
      let best = 0;
      for (let k = 1; k < classes; k++) if (logits.values[k * n + p] > logits.values[best * n + p]) best = k;
      if (result.mask[p] === best) agree++;
    }
    // float32 preprocessing in two implementations: only near-ties may flip.
    expect(agree / n).toBeGreaterThan(0.999);
    expect(result.scores).toHaveLength(classes);
  });

  it('detectChanges(): A2Net takes BGR; one 256² tile gives Python\'s probability', async () => {
    const model = await load(paths.a2net);
    expect(model.metadata?.input.colorOrder).toBe('BGR');
    const result = await detectChanges(
      { data: before, width: SIDE, height: SIDE, channels: 3 }, { data: after, width: SIDE, height: SIDE, channels: 3 },
      { model, tileSize: SIDE, overlap: 0 },
    );
    const want = reference[RAW_CASES.length + 1];
    expect(want.shape).toEqual([1, 1, SIDE, SIDE]);
    expect(maxAbsDiff(result.probability, want.values)).toBeLessThan(1e-3);
  });
});
