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
export type { ModelMetadata, ModelTask, InputSpec, OutputSpec, TilingSpec, Palette } from './metadata.js';
export { decodeImage } from './image/decode.js';
export type { DecodedImage, DecodeOptions, ImageInput, RawPixels, GeoInfo, GeoTransform, SourceInfo, ValueRange } from './image/types.js';
export { DEFAULT_MAX_PIXELS } from './image/limits.js';
export { preprocess, resizeForModel } from './image/preprocess.js';
export type { ResizedImage } from './image/preprocess.js';
export { classify } from './tasks/classification.js';
export type { ClassifyOptions, Prediction } from './tasks/classification.js';
export { fetchWeights } from './weights/fetch.js';
export type { FetchWeightsOptions, FetchedWeights } from './weights/fetch.js';
export { OFFICIAL_WEIGHTS } from './weights/variants.js';
export type { WeightsVariant, OfficialWeights } from './weights/variants.js';
export { PythonToolError } from './weights/python.js';
export type { PythonErrorCode } from './weights/python.js';
export { InferencePool, createInferencePool } from './pool/inference-pool.js';
export type { PoolRunOptions, PoolCloseOptions, PoolStats } from './pool/inference-pool.js';
export type { InferencePoolOptions, PoolExecutorKind } from './pool/pool-options.js';
export { segment } from './tasks/segmentation.js';
export type { SegmentOptions, SegmentationResult } from './tasks/segmentation.js';
export { detectChanges } from './tasks/change-detection.js';
export type { ChangeOptions, ChangeResult } from './tasks/change-detection.js';
export type { DenseOptions } from './tasks/dense-options.js';
export { planTiles, tileStarts } from './image/tiling.js';
export type { TileGrid } from './image/tiling.js';
export { writeMaskPng } from './output/mask-png.js';
export type { MaskPngOptions } from './output/mask-png.js';
export { writeMaskGeotiff } from './output/mask-geotiff.js';
export { writeMaskFile } from './output/mask-file.js';
export type { MaskFileOptions, MaskFormat } from './output/mask-file.js';
export { writeOverlayPng } from './output/overlay.js';
export type { OverlayOptions } from './output/overlay.js';
export { defaultPalette, CHANGE_PALETTE } from './output/palette.js';
export { rotatedNms, rotatedIou } from './detection/nms.js';
export type { RotatedBoxes, RotatedBoxLike, RotatedBoxTuple, RotatedNmsOptions } from './detection/nms.js';
