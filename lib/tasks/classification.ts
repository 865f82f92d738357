/**
 * Scene classification: images → top-k labels with softmax probabilities.
 * Decoding and resizing run in libvips (libuv pool), forward passes on the addon's inference
 * threads (model.run), so the event loop only does the cheap normalisation and softmax.
 *
 * Labels: when the model's metadata has no labels, each prediction's label is its class index
 * as a string ("7"), so output stays usable and unambiguous; `index` is always present.
 */

import { LwganetError, invalidArgument } from '../errors.js';
import { preprocess } from '../image/preprocess.js';
import type { ImageInput } from '../image/types.js';
import type { ModelMetadata } from '../model/metadata.js';
import { type PipelineOptions, type ResolvedPipelineOptions, positiveIntegerOption, requirePipelineOptions, resolvePipelineOptions } from '../options.js';
import { Tensor } from '../tensor/tensor.js';
import { floatValues, requireTask, runTask, type TaskModel } from './task-model.js';
import { topK, type Prediction } from './top-k.js';

export type { Prediction } from './top-k.js';

export interface ClassifyOptions extends PipelineOptions {
  /** Number of classes returned per image (clamped to the number of classes). Default 5. */
  topK?: number;
  /** Images per forward pass. Default 16. */
  batchSize?: number;
}

interface Resolved extends ResolvedPipelineOptions {
  topK: number;
  batchSize: number;
}

function resolveOptions(options: ClassifyOptions): Resolved {
  const shared = resolvePipelineOptions(options, ['topK', 'batchSize']);
  return {
    ...shared,
    topK: positiveIntegerOption('topK', options.topK, 5),
    batchSize: positiveIntegerOption('batchSize', options.batchSize, 16),
  };
}

function labelFunction(metadata: ModelMetadata, numClasses: number): (index: number) => string {
  const labels = metadata.labels;
  if (!labels) return (index) => String(index);
  if (labels.length !== numClasses) {
    throw new LwganetError('METADATA_INVALID', `Model metadata is invalid: it lists ${labels.length} labels but the model outputs ${numClasses} classes`);
  }
  return (index) => labels[index];
}

/** Turns logits [N, K] into per-image predictions. */
export function predictionsFromLogits(output: unknown, batch: number, metadata: ModelMetadata, k: number): Prediction[][] {
  if (!(output instanceof Tensor)) {
    throw new LwganetError('OUTPUT_UNSUPPORTED', 'A classification model must return one logits tensor [N, classes]');
  }
  if (output.shape.length !== 2 || output.shape[0] !== batch || output.shape[1] < 1) {
    throw new LwganetError('OUTPUT_UNSUPPORTED', `Expected logits of shape [${batch}, classes] but the model returned [${output.shape.join(', ')}]`);
  }
  const classes = output.shape[1];
  const values = floatValues(output);
  const labelOf = labelFunction(metadata, classes);
  const rows: Prediction[][] = [];
  for (let n = 0; n < batch; n++) rows.push(topK(Array.prototype.slice.call(values, n * classes, (n + 1) * classes), k, labelOf));
  return rows;
}

function aborted(signal: AbortSignal): LwganetError {
  return new LwganetError('ABORTED', 'Classification was aborted', { cause: signal.reason });
}

async function classifyAll(images: readonly ImageInput[], options: ClassifyOptions): Promise<Prediction[][]> {
  requirePipelineOptions(options);
  const metadata = requireTask(options.model, 'classification');
  const resolved = resolveOptions(options);
  if (images.length === 0) throw invalidArgument('images', 'at least one image', images, 'range');
  const results: Prediction[][] = [];
  for (let start = 0; start < images.length; start += resolved.batchSize) {
    if (resolved.signal?.aborted) throw aborted(resolved.signal);
    const chunk = images.slice(start, start + resolved.batchSize);
    const input = await preprocess(chunk, metadata, resolved.decode);
    if (resolved.signal?.aborted) throw aborted(resolved.signal);
    // With the signal the forward's promise rejects as soon as it fires, not when the forward ends.
    const output = await runTask(options.model, input, resolved.signal);
    results.push(...predictionsFromLogits(output, chunk.length, metadata, resolved.topK));
    resolved.onProgress?.(results.length, images.length);
  }
  return results;
}

/**
 * Classifies one image or a batch.
 * @param images one image (path, Buffer, raw pixels, decoded image) or an array of them
 * @param options the model, topK (default 5), batchSize (default 16), decode options, onProgress, signal
 *   (checked before each batch is decoded and before it runs; rejects with ABORTED)
 * @returns for one image its predictions; for an array, one prediction list per image, in order.
 *   Each list is sorted by probability (softmax over the model's logits), most probable first.
 * @throws (rejects) TASK_MISMATCH for a model of another task, METADATA_INVALID for a model
 *   without metadata, IMAGE_DECODE / IMAGE_TOO_LARGE for bad images, ABORTED, TypeError/RangeError for bad options.
 */
export function classify(images: ImageInput, options: ClassifyOptions): Promise<Prediction[]>;
export function classify(images: readonly ImageInput[], options: ClassifyOptions): Promise<Prediction[][]>;
export async function classify(images: ImageInput | readonly ImageInput[], options: ClassifyOptions): Promise<Prediction[] | Prediction[][]> {
  if (Array.isArray(images)) return classifyAll(images, options);
  const [only] = await classifyAll([images as ImageInput], options);
  return only;
}
