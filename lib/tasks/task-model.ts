/**
 * Shared checks of a task pipeline on the model it is given: the model must carry metadata
 * (preprocessing is driven by it) and must have been exported for the pipeline's task.
 */

import { LwganetError, invalidArgument } from '../errors.js';
import type { ModelMetadata, ModelTask } from '../model/metadata.js';
import { Model, type ModelOutput } from '../model/model.js';
import { RUN_ORDERED } from '../model/run-ordered.js';
import { Tensor } from '../tensor/tensor.js';
import { halfToNumber } from './half.js';

/** What a pipeline needs from a model: its metadata and an async forward. */
export type TaskModel = Pick<Model, 'metadata' | 'run'>;

/** Returns the model's metadata, or throws TASK_MISMATCH / METADATA_INVALID. */
export function requireTask(model: unknown, task: ModelTask): ModelMetadata {
  const m = model as Partial<TaskModel> | null;
  if (typeof m !== 'object' || m === null || typeof m.run !== 'function' || !('metadata' in m)) {
    throw invalidArgument('model', 'a Model from loadModel()', model);
  }
  const metadata = m.metadata;
  if (metadata === null || metadata === undefined) {
    throw new LwganetError('METADATA_INVALID', `The model carries no lwganet metadata, so its ${task} preprocessing is unknown; export it with "lwganet export" (python -m lwganet export)`);
  }
  if (metadata.task !== task) {
    throw new LwganetError('TASK_MISMATCH', `This is a ${metadata.task} model (${metadata.model}); a ${task} model is needed`);
  }
  return metadata;
}

/**
 * Runs a pipeline's tensors, which it built from the model's own input spec: on a Model they go
 * straight to the forward (checked once, by the pipeline; not again by orderInputs); any other
 * TaskModel (a stand-in, the batch runner's pool) gets a plain run().
 */
export function runTask(model: TaskModel, inputs: Tensor | readonly Tensor[], signal: AbortSignal | null): Promise<ModelOutput> {
  if (model instanceof Model) return model[RUN_ORDERED](inputs instanceof Tensor ? [inputs] : inputs, signal);
  return model.run(inputs, signal ? { signal } : undefined);
}

/** Reads a floating point output tensor as plain numbers (float16 bits are decoded). */
export function floatValues(tensor: Tensor): ArrayLike<number> {
  if (tensor.dtype === 'float32' || tensor.dtype === 'float64') return tensor.data as Float32Array | Float64Array;
  if (tensor.dtype === 'float16') return Array.from(tensor.data as Uint16Array, halfToNumber);
  throw new LwganetError('OUTPUT_UNSUPPORTED', `Expected a floating point output tensor but the model returned ${tensor.dtype}`);
}
