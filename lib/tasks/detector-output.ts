/**
 * Reads one forward of a rotated-detection model (the detection contract of python/lwganet/detection): a dict with
 * one tensor per output the metadata declares, found by kind —
 * "rotated-boxes" (D, 5) float cx, cy, w, h, θ in input pixels; "scores" (D,) float;
 * "labels" (D,) integer class indices. Anything else is OUTPUT_UNSUPPORTED, so a model that
 * breaks the contract fails with a message instead of producing nonsense boxes.
 */

import { LwganetError } from '../errors.js';
import { DETECTION_OUTPUT_KINDS, type ModelMetadata } from '../model/metadata.js';
import type { ModelOutput } from '../model/model.js';
import { Tensor } from '../tensor/tensor.js';
import { floatValues } from './task-model.js';

/** Output names of a detector, by kind. */
export interface DetectorOutputNames {
  boxes: string;
  scores: string;
  labels: string;
}

/** Raw detections of one forward, in the input's pixel coordinates. */
export interface PatchDetections {
  count: number;
  /** count × 5: cx, cy, w, h, θ. */
  boxes: ArrayLike<number>;
  scores: ArrayLike<number>;
  labels: Int32Array;
}

/** The output names the metadata declares (parseMetadata() made sure there is one of each kind). */
export function detectorOutputNames(metadata: ModelMetadata): DetectorOutputNames {
  const [boxes, scores, labels] = DETECTION_OUTPUT_KINDS.map((kind) => {
    const output = metadata.outputs.find((o) => o.kind === kind);
    if (!output) throw new LwganetError('METADATA_INVALID', `Model metadata is invalid: a rotated-detection model must declare an output of kind "${kind}"`);
    return output.name;
  });
  return { boxes, scores, labels };
}

function tensorAt(record: Record<string, ModelOutput>, name: string): Tensor {
  const value = record[name];
  if (!(value instanceof Tensor)) {
    throw new LwganetError('OUTPUT_UNSUPPORTED', `The detector's output dict has no tensor "${name}" (it has: ${Object.keys(record).join(', ') || 'nothing'})`);
  }
  return value;
}

function integerValues(tensor: Tensor, name: string): Int32Array {
  const { dtype, data } = tensor;
  if (dtype === 'int64') {
    // Range-check before narrowing: Int32Array.from would wrap 2³² to 0.
    return Int32Array.from(data as BigInt64Array, (v) => {
      if (v < -2147483648n || v > 2147483647n) throw new LwganetError('OUTPUT_UNSUPPORTED', `The detector returned class index ${v}, outside the 32-bit range`);
      return Number(v);
    });
  }
  if (dtype === 'int32') return data as Int32Array;
  if (dtype === 'int8' || dtype === 'uint8') return Int32Array.from(data as Int8Array | Uint8Array);
  throw new LwganetError('OUTPUT_UNSUPPORTED', `Expected integer class indices in "${name}" but the detector returned ${dtype}`);
}

/**
 * Checks and reads one forward's output.
 * @param classes number of classes (labels must be below it), or null when the model lists none
 */
export function readDetectorOutput(output: ModelOutput, names: DetectorOutputNames, classes: number | null): PatchDetections {
  if (typeof output !== 'object' || output === null || output instanceof Tensor || Array.isArray(output)) {
    throw new LwganetError('OUTPUT_UNSUPPORTED', `A rotated-detection model must return a dict {${names.boxes}, ${names.scores}, ${names.labels}} of tensors`);
  }
  const record = output as Record<string, ModelOutput>;
  const boxes = tensorAt(record, names.boxes);
  const scores = tensorAt(record, names.scores);
  const labels = tensorAt(record, names.labels);
  const count = boxes.shape[0];
  if (boxes.shape.length !== 2 || boxes.shape[1] !== 5) {
    throw new LwganetError('OUTPUT_UNSUPPORTED', `Expected "${names.boxes}" of shape [D, 5] (cx, cy, w, h, angle) but the detector returned [${boxes.shape.join(', ')}]`);
  }
  for (const [name, tensor] of [[names.scores, scores], [names.labels, labels]] as const) {
    if (tensor.shape.length !== 1 || tensor.shape[0] !== count) {
      throw new LwganetError('OUTPUT_UNSUPPORTED', `Expected "${name}" of shape [${count}] (one per box) but the detector returned [${tensor.shape.join(', ')}]`);
    }
  }
  const boxValues = floatValues(boxes);
  const scoreValues = floatValues(scores);
  const labelValues = integerValues(labels, names.labels);
  for (let i = 0; i < count; i++) {
    for (let k = 0; k < 5; k++) {
      if (!Number.isFinite(boxValues[i * 5 + k])) throw new LwganetError('OUTPUT_UNSUPPORTED', `The detector returned a non-finite box (detection ${i}: ${Array.prototype.slice.call(boxValues, i * 5, i * 5 + 5).join(', ')})`);
    }
    if (boxValues[i * 5 + 2] < 0 || boxValues[i * 5 + 3] < 0) throw new LwganetError('OUTPUT_UNSUPPORTED', `The detector returned a box with a negative side (detection ${i}: w ${boxValues[i * 5 + 2]}, h ${boxValues[i * 5 + 3]})`);
    if (!Number.isFinite(scoreValues[i])) throw new LwganetError('OUTPUT_UNSUPPORTED', `The detector returned a non-finite score (detection ${i})`);
    const label = labelValues[i];
    if (label < 0 || (classes !== null && label >= classes)) {
      throw new LwganetError('OUTPUT_UNSUPPORTED', `The detector returned class index ${label}, outside 0..${classes === null ? '∞' : classes - 1}`);
    }
  }
  return { count, boxes: boxValues, scores: scoreValues, labels: labelValues };
}
