// The operator lwganet::attention (native/small_head_attention.cc), which compiled packages call
// in place of attention with 4- or 8-channel heads: from a TorchScript file it must give
// scaled_dot_product_attention's values stored in attention_cases.json
// (python/lwganet/formats/attention_op.py is the contract), and a .pt2 package calling it through
// AOTInductor must equal the eager model.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Tensor, loadModel, loadModelSync } from '../lib/index.js';
import { fixture } from './helpers/fixtures.js';
import { expectOperatorErrors, relativeError } from './helpers/operator-checks.js';

interface AttentionCase {
  name: string;
  tokenMajor: boolean;
  queryShape: number[];
  query: number[];
  keyShape: number[];
  key: number[];
  value: number[];
  params: number[];
  outputShape: number[];
  expected: number[];
  tolerance: number;
}

function caseInputs(c: AttentionCase, keyShape = c.keyShape, valueShape = c.keyShape): Tensor[] {
  const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1);
  return [
    new Tensor('float32', Float32Array.from(c.query), c.queryShape),
    new Tensor('float32', Float32Array.from(c.key.slice(0, size(keyShape))), keyShape),
    new Tensor('float32', Float32Array.from(c.value.slice(0, size(valueShape))), valueShape),
    new Tensor('float64', Float64Array.from(c.params), [c.params.length]),
  ];
}

describe('operator lwganet::attention', () => {
  const cases: AttentionCase[] = JSON.parse(fs.readFileSync(fixture('attention_cases.json'), 'utf8')).cases;

  it('registers the schema of python/lwganet/formats/attention_op.py word for word', () => {
    const root = path.join(__dirname, '..');
    const python = fs.readFileSync(path.join(root, 'python', 'lwganet', 'formats', 'attention_op.py'), 'utf8');
    const native = fs.readFileSync(path.join(root, 'native', 'small_head_attention.cc'), 'utf8');
    const pySchema = /SCHEMA = "(attention\(Tensor query[^"]*)"/.exec(python);
    const cSchema = /"(attention\(Tensor query[^"]*)"/.exec(native);
    expect(pySchema).not.toBeNull();
    expect(cSchema?.[1]).toBe(pySchema![1]);
  });

  it('covers heads of 4, 8 and 16, key tails, one key, rows far below zero and strided inputs', () => {
    const dims = new Set(cases.map((c) => c.queryShape[3]));
    expect([4, 8, 16].every((d) => dims.has(d))).toBe(true);
    const keys = (c: AttentionCase) => c.keyShape[c.tokenMajor ? 1 : 2];
    expect(cases.some((c) => keys(c) % 16 === 0) && cases.some((c) => keys(c) % 16 !== 0)).toBe(true);
    expect(cases.some((c) => keys(c) === 1)).toBe(true);
    expect(cases.some((c) => c.tokenMajor) && cases.some((c) => !c.tokenMajor)).toBe(true);
    expect(cases.some((c) => c.queryShape[0] > 1)).toBe(true);
  });

  it("gives scaled_dot_product_attention's values, with run() and runSync(), on 1 and 2 threads", async () => {
    const asyncModel = await loadModel(fixture('small_head_attention.pt'), { threads: 2 });
    const syncModel = loadModelSync(fixture('small_head_attention.pt'), { threads: 1 });
    let kernelCasesOffBitExact = 0;
    for (const c of cases) {
      const output = await asyncModel.run(caseInputs(c));
      expect(relativeError(output, c.outputShape, c.expected, c.name), c.name).toBeLessThanOrEqual(c.tolerance);
      expect(relativeError(syncModel.runSync(caseInputs(c)), c.outputShape, c.expected, c.name), c.name)
        .toBeLessThanOrEqual(c.tolerance);
      const values = (output as Tensor).data as Float32Array;
      if (c.queryShape[3] !== 16 && values.some((v, i) => v !== Math.fround(c.expected[i]))) kernelCasesOffBitExact++;
    }
    // The C++ kernel has its own exponential and summation order: were the heads of 4 and 8 sent
    // to ATen's attention instead, every value would be SDPA's to the bit.
    expect(kernelCasesOffBitExact).toBeGreaterThan(0);
    asyncModel.dispose();
    syncModel.dispose();
  });

  it('gives NaN for a row with a NaN input, as ATen does, and leaves the other rows alone', async () => {
    const model = await loadModel(fixture('small_head_attention.pt'), { threads: 2 });
    const c = cases[0]; // token-major (B, N, H, 4): element 0 is token 0 of head 0
    const inputs = caseInputs(c);
    (inputs[0].data as Float32Array)[0] = NaN;
    const values = ((await model.run(inputs)) as Tensor).data as Float32Array;
    const [, , , dim] = c.outputShape; // output (B, H, N, D): head 0, token 0 first
    expect(Array.from(values.subarray(0, dim)).every(Number.isNaN)).toBe(true);
    expect(Array.from(values.subarray(dim)).every(Number.isFinite)).toBe(true);
    model.dispose();
  });

  it('reports keys and values that do not fit as errors, and keeps working', async () => {
    const model = await loadModel(fixture('small_head_attention.pt'));
    const c = cases.find((x) => !x.tokenMajor && x.keyShape[2] > 2)!;
    const [b, h, n, d] = c.keyShape;
    const bad: Array<[Tensor[], RegExp]> = [
      [caseInputs(c, c.keyShape, [b, h, n - 1, d]), /key and value must have one shape/],
      [caseInputs(c, [b, h - 1, n, d], [b, h - 1, n, d]), /must share B, H and D/],
      [caseInputs(c, [b, h, 0, d], [b, h, 0, d]), /no keys to attend to/],
    ];
    await expectOperatorErrors(model, bad);
    expect(relativeError(await model.run(caseInputs(c)), c.outputShape, c.expected, c.name)).toBeLessThanOrEqual(c.tolerance);
    model.dispose();
  });

  it('is what a compiled package calls for its attention, equal to eager', async () => {
    const io = JSON.parse(fs.readFileSync(fixture('compiled_attention_io.json'), 'utf8'));
    expect(io.attentionOps).toBe(1);
    const model = await loadModel(fixture('compiled_attention.pt2'), { threads: 2 });
    const x = new Tensor('float32', Float32Array.from(io.input), io.inputShape);
    expect(relativeError(await model.run(x), io.outputShape, io.expected, 'package')).toBeLessThanOrEqual(1e-5);
    expect(relativeError(model.runSync(x), io.outputShape, io.expected, 'package')).toBeLessThanOrEqual(1e-5);
    model.dispose();
  });
});
