// The operator lwganet::depthwise_conv2d (native/depthwise_conv.cc), which compiled packages
// call in place of small depthwise convolutions: from a TorchScript file it must give conv2d's
// values stored in depthwise_cases.json (python/lwganet/formats/depthwise_op.py is the contract),
// and a .pt2 package calling it through AOTInductor must equal the eager model.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Tensor, loadModel, loadModelSync } from '../lib/index.js';
import { fixture } from './helpers/fixtures.js';
import { expectOperatorErrors, relativeError } from './helpers/operator-checks.js';

interface DepthwiseCase {
  name: string;
  inputShape: number[];
  input: number[];
  channelsLast: boolean;
  tapsShape: number[];
  taps: number[];
  bias: number[];
  params: number[];
  outputShape: number[];
  expected: number[];
  tolerance: number;
}

function caseInputs(c: DepthwiseCase, params = c.params, taps = c.taps, tapsShape = c.tapsShape): Tensor[] {
  return [
    new Tensor('float32', Float32Array.from(c.input), c.inputShape),
    new Tensor('float32', Float32Array.from(taps), tapsShape),
    new Tensor('float32', Float32Array.from(c.bias), [c.bias.length]),
    new Tensor('float64', Float64Array.from(params), [params.length]),
  ];
}

describe('operator lwganet::depthwise_conv2d', () => {
  const cases: DepthwiseCase[] = JSON.parse(fs.readFileSync(fixture('depthwise_cases.json'), 'utf8')).cases;

  it('registers the schema of python/lwganet/formats/depthwise_op.py word for word', () => {
    const root = path.join(__dirname, '..');
    const python = fs.readFileSync(path.join(root, 'python', 'lwganet', 'formats', 'depthwise_op.py'), 'utf8');
    const native = fs.readFileSync(path.join(root, 'native', 'depthwise_conv.cc'), 'utf8');
    const pySchema = /"(depthwise_conv2d\(Tensor input[^"]*)"\s*"([^"]*)"/.exec(python);
    const cSchema = /"(depthwise_conv2d\(Tensor input[^"]*)"/.exec(native);
    expect(pySchema).not.toBeNull();
    expect(cSchema?.[1]).toBe(`${pySchema![1]}${pySchema![2]}`);
  });

  it('covers channel tails, padding wider than the map, strides, dilation and NCHW input', () => {
    const channels = new Set(cases.map((c) => c.inputShape[1] % 8));
    expect(channels.has(0) && channels.size > 1).toBe(true); // whole vector blocks and tails
    expect(cases.some((c) => c.tapsShape[0] > c.inputShape[2])).toBe(true);
    expect(cases.some((c) => c.params[0] !== c.params[1])).toBe(true);
    expect(cases.some((c) => c.params[4] > 1)).toBe(true);
    expect(cases.some((c) => c.params[6] === 0)).toBe(true);
    expect(cases.some((c) => !c.channelsLast)).toBe(true);
  });

  it("gives conv2d's values, with run() and runSync()", async () => {
    const asyncModel = await loadModel(fixture('depthwise_conv.pt'), { threads: 2 });
    const syncModel = loadModelSync(fixture('depthwise_conv.pt'), { threads: 1 });
    for (const c of cases) {
      expect(relativeError(await asyncModel.run(caseInputs(c)), c.outputShape, c.expected, c.name), c.name)
        .toBeLessThanOrEqual(c.tolerance);
      expect(relativeError(syncModel.runSync(caseInputs(c)), c.outputShape, c.expected, c.name), c.name)
        .toBeLessThanOrEqual(c.tolerance);
    }
    asyncModel.dispose();
    syncModel.dispose();
  });

  it('reports taps, bias and arguments that do not fit as errors, and keeps working', async () => {
    const model = await loadModel(fixture('depthwise_conv.pt'));
    const c = cases[0];
    const bad: Array<[Tensor[], RegExp]> = [
      [caseInputs(c, c.params, c.taps.slice(0, 9 * 7), [3, 3, 7]), /taps must be \(kh, kw, C\) with C = 8/],
      [caseInputs(c, [0, 1, 1, 1, 1, 1, 1]), /stride and dilation must be >= 1 and padding >= 0/],
      [caseInputs(c, [1, 1, 0, 0, 1, 1, 1], new Array(11 * 11 * 8).fill(0.01), [11, 11, 8]),
        /does not fit the padded 9x13 map/],
    ];
    await expectOperatorErrors(model, bad);
    expect(relativeError(await model.run(caseInputs(c)), c.outputShape, c.expected, c.name)).toBeLessThanOrEqual(c.tolerance);
    model.dispose();
  });

  it('is what a compiled package calls for its small depthwise convolutions, equal to eager', async () => {
    const io = JSON.parse(fs.readFileSync(fixture('compiled_depthwise_io.json'), 'utf8'));
    expect(io.depthwiseOps).toBe(4); // dw5, dilated dw7, the stride-2 conv and the computed kernel
    const model = await loadModel(fixture('compiled_depthwise.pt2'), { threads: 2 });
    const x = new Tensor('float32', Float32Array.from(io.input), io.inputShape);
    expect(relativeError(await model.run(x), io.outputShape, io.expected, 'package')).toBeLessThanOrEqual(1e-5);
    expect(relativeError(model.runSync(x), io.outputShape, io.expected, 'package')).toBeLessThanOrEqual(1e-5);
    model.dispose();
  });
});
