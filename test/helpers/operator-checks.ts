// What the tests of the addon's operators (lwganet::*) check of every operator: how far a model's
// output is from its Python reference's stored values, and that bad arguments become errors.
import { expect } from 'vitest';
import { LwganetError, Tensor, type Model, type ModelOutput } from '../../lib/index.js';

/** Largest |got − expected| relative to the largest |expected|, after checking the shape; NaN
 * anywhere in the output reads as Infinity. */
export function relativeError(output: ModelOutput, shape: number[], expected: number[], label: string): number {
  if (!(output instanceof Tensor)) throw new Error('expected a Tensor');
  expect(output.shape, label).toEqual(shape);
  const got = output.data as Float32Array;
  expect(got.length, label).toBe(expected.length);
  let worst = 0;
  let scale = 0;
  for (let i = 0; i < got.length; i++) {
    worst = Math.max(worst, Math.abs(got[i] - expected[i]));
    scale = Math.max(scale, Math.abs(expected[i]));
  }
  return Number.isNaN(worst) ? Infinity : worst / scale;
}

/** Each `[inputs, message]` run through `model` rejects with an LwganetError whose message matches
 * and carries no C++ stack frames. */
export async function expectOperatorErrors(model: Model, bad: Array<[Tensor[], RegExp]>): Promise<void> {
  for (const [inputs, message] of bad) {
    const error = await model.run(inputs).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LwganetError);
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).not.toMatch(/frame #|Exception raised from/);
  }
}
