/**
 * lwganet-node: run LWGANet models from Node.js through LibTorch.
 * Public barrel: re-exports only, no logic.
 */

export { Tensor } from './tensor.js';
export type { TensorData, TensorDataLike } from './tensor.js';
export { DTYPES } from './dtype.js';
export type { DType, TypedArray } from './dtype.js';
export { LwganetError } from './errors.js';
export type { LwganetErrorCode } from './errors.js';
export { loadModel, loadModelSync, Model } from './model.js';
export type { LoadModelOptions, ModelInputs, ModelOutput, ForwardArgument } from './model.js';
export { devices } from './device.js';
export type { DeviceInfo } from './device.js';
export type { ModelMetadata, ModelTask, InputSpec, OutputSpec } from './metadata.js';
