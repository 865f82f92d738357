/**
 * Warm-up at load: the first forward of a TorchScript model pays for profiling and optimising the
 * graph and for creating oneDNN's kernels (measured 150–600 ms for LWGANet-L0, against ~10 ms
 * afterwards; bench/README.md). `loadModel(file, { warmup: true })` pays that before the model is
 * handed out, so a service's first request is as fast as the rest.
 */

import { LwganetError } from '../errors.js';
import type { ModelMetadata } from './metadata.js';
import { Tensor } from '../tensor/tensor.js';

/** Side of the warm-up image for models that take any size: the task's own tile when it has one. */
const ANY_SIZE_SIDE = 224;

/** The profiling executor profiles the first call and runs the optimised graph from the second. */
export const WARMUP_CALLS = 2;

/** Zero images shaped like one request to `metadata`'s model (two for change detection). */
export function warmupInputs(metadata: ModelMetadata | null): Tensor[] {
  if (!metadata) {
    throw new LwganetError('METADATA_INVALID', 'warmup needs the model\'s metadata.json to know its input shape; this archive has none (export it with python -m lwganet export, or warm up with a run() of your own)');
  }
  const size = metadata.input.size;
  let height: number;
  let width: number;
  if (size.rule === 'fixed') {
    ({ height, width } = size);
  } else {
    const side = metadata.tiling?.defaultTileSize ?? ANY_SIZE_SIDE;
    height = Math.max(side, size.minHeight);
    width = Math.max(side, size.minWidth);
    if (size.multipleOf) {
      height = Math.ceil(height / size.multipleOf) * size.multipleOf;
      width = Math.ceil(width / size.multipleOf) * size.multipleOf;
    }
  }
  const count = metadata.task === 'change-detection' ? 2 : 1;
  return Array.from({ length: count }, () => new Tensor('float32', new Float32Array(3 * height * width), [1, 3, height, width]));
}

/** What warmUp() needs of a model. */
interface Warmable {
  readonly metadata: ModelMetadata | null;
  dispose(): void;
}

/**
 * Runs the WARMUP_CALLS warm-up forwards through `forward` (a model's run or runSync) and
 * disposes the model when one fails, so a model that could not warm up is never handed out.
 * Returns a promise when `forward` does (loadModel), nothing when it is synchronous (loadModelSync).
 */
export function warmUp(model: Warmable, forward: (inputs: Tensor[]) => unknown): Promise<void> | void {
  const fail = (error: unknown): never => {
    model.dispose();
    throw error;
  };
  let pending: Promise<unknown> | null = null;
  try {
    const inputs = warmupInputs(model.metadata);
    for (let i = 0; i < WARMUP_CALLS; i++) {
      if (pending) {
        pending = pending.then(() => forward(inputs));
      } else {
        const result = forward(inputs);
        if (result instanceof Promise) pending = result;
      }
    }
  } catch (error) {
    fail(error);
  }
  if (pending) return pending.then(() => undefined, fail);
}
