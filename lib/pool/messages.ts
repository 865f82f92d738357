/**
 * Messages between the pool (main thread) and its worker threads, and how tensors, outputs
 * and errors cross: Tensor is a class and would arrive as a plain object, and structured
 * clone drops an error's `code`, so both are turned into plain wire values and back.
 */

import type { ThreadPolicy } from '../model/thread-policy.js';
import type { ForwardArgument, ModelOutput } from '../model/model.js';
import { type DType, TYPED_ARRAY_OF, isDType } from '../tensor/dtype.js';
import { LwganetError, type LwganetErrorCode } from '../errors.js';
import type { ModelMetadata } from '../model/metadata.js';
import { Tensor } from '../tensor/tensor.js';

/** workerData of a pool worker. */
export interface WorkerConfig {
  modelPath: string;
  device: string;
  threads: number;
  threadPolicy: ThreadPolicy;
  warmup: boolean;
}

export interface WireTensor {
  readonly kind: 'tensor';
  readonly dtype: DType;
  readonly data: ArrayBufferView;
  readonly shape: readonly number[];
}

export type WireValue = WireTensor | WireValue[] | { [key: string]: WireValue } | number | bigint | boolean | string | null;

export interface WireError {
  name: string;
  message: string;
  code?: string;
}

/** Worker → pool once the model is loaded: what the pool needs to validate requests itself. */
export interface ReadyMessage {
  type: 'ready';
  inputs: ForwardArgument[];
  /** Already parsed and checked by the worker's loadModel: plain data, cloned as is. */
  metadata: ModelMetadata | null;
  dtype: 'float32' | 'float16';
  batchSizes: number[] | null;
}

export interface LoadFailedMessage {
  type: 'load-failed';
  error: WireError;
}

/** Pool → worker: one forward over already batched inputs. */
export interface ForwardMessage {
  type: 'forward';
  id: number;
  inputs: Array<WireTensor | null>;
}

export interface ResultMessage {
  type: 'result';
  id: number;
  output?: WireValue;
  error?: WireError;
}

export type FromWorker = ReadyMessage | LoadFailedMessage | ResultMessage;

export function toWireTensor(tensor: Tensor): WireTensor {
  return { kind: 'tensor', dtype: tensor.dtype, data: tensor.data, shape: tensor.shape };
}

export function fromWireTensor(wire: WireTensor): Tensor {
  if (!isDType(wire.dtype)) throw new LwganetError('OUTPUT_UNSUPPORTED', `Unknown dtype ${String(wire.dtype)} from a pool worker`);
  const { buffer, byteOffset, byteLength } = wire.data;
  const Ctor = TYPED_ARRAY_OF[wire.dtype];
  return new Tensor(wire.dtype, new Ctor(buffer, byteOffset, byteLength / Ctor.BYTES_PER_ELEMENT), wire.shape);
}

export function toWireValue(value: ModelOutput): WireValue {
  if (value instanceof Tensor) return toWireTensor(value);
  if (Array.isArray(value)) return value.map(toWireValue);
  if (typeof value === 'object' && value !== null) {
    const record: { [key: string]: WireValue } = {};
    for (const [key, item] of Object.entries(value)) record[key] = toWireValue(item);
    return record;
  }
  return value;
}

function isWireTensor(value: WireValue): value is WireTensor {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && (value as { kind?: unknown }).kind === 'tensor' && ArrayBuffer.isView((value as { data?: unknown }).data);
}

export function fromWireValue(value: WireValue): ModelOutput {
  if (isWireTensor(value)) return fromWireTensor(value);
  if (Array.isArray(value)) return value.map(fromWireValue);
  if (typeof value === 'object' && value !== null) {
    const record: { [key: string]: ModelOutput } = {};
    for (const [key, item] of Object.entries(value)) record[key] = fromWireValue(item);
    return record;
  }
  return value;
}

export function toWireError(error: unknown): WireError {
  if (!(error instanceof Error)) return { name: 'Error', message: String(error) };
  const code = (error as { code?: unknown }).code;
  return { name: error.name, message: error.message, code: typeof code === 'string' ? code : undefined };
}

/** Rebuilds the same error class the caller would have seen from Model.run in its own thread. */
export function fromWireError(wire: WireError): Error {
  if (wire.name === 'LwganetError' && wire.code) return new LwganetError(wire.code as LwganetErrorCode, wire.message);
  if (wire.name === 'TypeError') return new TypeError(wire.message);
  if (wire.name === 'RangeError') return new RangeError(wire.message);
  return new LwganetError('FORWARD_FAILED', wire.message);
}

/** Buffers a message can move instead of copying: only ones no one else holds a view of. */
export function transferList(values: ReadonlyArray<WireTensor | null>): ArrayBuffer[] {
  const buffers = new Set<ArrayBuffer>();
  for (const value of values) if (value && value.data.buffer instanceof ArrayBuffer) buffers.add(value.data.buffer);
  return [...buffers];
}
