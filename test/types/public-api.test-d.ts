import { assertType, describe, expectTypeOf, it } from 'vitest';
import { LwganetError, Tensor, devices, loadModel, type Model, type ModelOutput } from '../../lib/index.js';

describe('public types', () => {
  it('Tensor data follows the dtype', () => {
    expectTypeOf(new Tensor('float32', new Float32Array(1)).data).toEqualTypeOf<Float32Array>();
    expectTypeOf(new Tensor('int64', new BigInt64Array(1)).data).toEqualTypeOf<BigInt64Array>();
    expectTypeOf(new Tensor('float16', new Uint16Array(1)).data).toEqualTypeOf<Uint16Array>();
    // @ts-expect-error a Float64Array is not float32 data
    assertType(new Tensor('float32', new Float64Array(1)));
  });

  it('loadModel resolves a Model whose run resolves a ModelOutput', () => {
    expectTypeOf(loadModel).returns.resolves.toEqualTypeOf<Model>();
    expectTypeOf<Model['run']>().returns.resolves.toEqualTypeOf<ModelOutput>();
    expectTypeOf(devices().available).toEqualTypeOf<Array<'cpu' | 'cuda' | `cuda:${number}`>>();
    expectTypeOf<LwganetError['code']>().toMatchTypeOf<string>();
  });
});
