import { assertType, describe, expectTypeOf, it } from 'vitest';
import {
  LwganetError, Tensor, devices, loadModel, type ClassifyOptions, type DetectOptions, type DetectionResult, type Model, type ModelOutput,
  type PipelineOptions, type RunOptions, type SegmentationResult, type SegmentOptions, type TensorSummary,
} from '../../lib/index.js';

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

  it('run takes an AbortSignal; Tensor has dims and summaries', () => {
    expectTypeOf<Parameters<Model['run']>[1]>().toEqualTypeOf<RunOptions | undefined>();
    expectTypeOf<RunOptions['signal']>().toEqualTypeOf<AbortSignal | undefined>();
    const t = new Tensor('float32', new Float32Array(2));
    expectTypeOf(t.dims).toEqualTypeOf<readonly number[]>();
    expectTypeOf(t.toJSON()).toEqualTypeOf<TensorSummary>();
    expectTypeOf(t.toString()).toEqualTypeOf<string>();
  });

  it('every pipeline takes the PipelineOptions, and results say tiles', () => {
    expectTypeOf<ClassifyOptions>().toMatchTypeOf<PipelineOptions>();
    expectTypeOf<SegmentOptions>().toMatchTypeOf<PipelineOptions>();
    expectTypeOf<DetectOptions>().toMatchTypeOf<PipelineOptions>();
    expectTypeOf<ClassifyOptions['signal']>().toEqualTypeOf<AbortSignal | undefined>();
    expectTypeOf<DetectionResult['tiling']>().toEqualTypeOf<SegmentationResult['tiling']>();
  });
});
