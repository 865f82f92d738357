/**
 * Model input from images, driven only by the model's metadata (input.resize, input.size,
 * input.colorOrder, input.valueScale, input.mean, input.std): nothing is hard-coded per call site.
 * Resize and crop run in libvips (sharp, off the JS thread); normalisation is a table-driven
 * typed-array pass (normalize.ts). The result is an NCHW float32 Tensor.
 */

import sharp from 'sharp';
import { LwganetError, invalidArgument } from '../errors.js';
import type { InputSpec, ModelMetadata } from '../model/metadata.js';
import { Tensor } from '../tensor/tensor.js';
import { decodeImage, decodeResized } from './decode.js';
import { buildLookupTables, normalizeInto } from './normalize.js';
import { checkPlannedSize, planResize, type ResizePlan } from './resize-plan.js';
import type { DecodedImage, DecodeOptions, ImageInput } from './types.js';

/** 8-bit RGB pixels after the model's resize and crop, before normalisation. */
export interface ResizedImage {
  data: Uint8Array;
  width: number;
  height: number;
  plan: ResizePlan;
}

function inputSpecOf(spec: InputSpec | ModelMetadata): InputSpec {
  if (typeof spec !== 'object' || spec === null) throw invalidArgument('metadata', 'model metadata or its input spec', spec);
  const input = 'input' in spec && typeof spec.input === 'object' ? (spec.input as InputSpec) : (spec as InputSpec);
  if (typeof input.resize !== 'object' || typeof input.size !== 'object' || !Array.isArray(input.mean)) {
    throw invalidArgument('metadata', 'model metadata or its input spec (with resize, size, mean, std)', spec);
  }
  if (input.channels !== 3) {
    throw new LwganetError('METADATA_INVALID', `Image preprocessing produces 3-channel input, but the model expects ${input.channels} channels`);
  }
  return input;
}

/** Applies the model's resize rule (libvips) and returns the pixels the normalisation will see. */
export async function resizeForModel(image: DecodedImage, spec: InputSpec | ModelMetadata): Promise<ResizedImage> {
  const input = inputSpecOf(spec);
  const plan = planResize(image.width, image.height, input.resize);
  checkPlannedSize(plan, input);
  const identity = plan.resizeWidth === image.width && plan.resizeHeight === image.height && plan.width === image.width && plan.height === image.height;
  if (identity) return { data: image.data, width: image.width, height: image.height, plan };
  let pipeline = sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 }, limitInputPixels: false });
  if (plan.resizeWidth !== image.width || plan.resizeHeight !== image.height) {
    pipeline = pipeline.resize(plan.resizeWidth, plan.resizeHeight, { fit: 'fill', kernel: plan.kernel });
  }
  if (plan.width !== plan.resizeWidth || plan.height !== plan.resizeHeight) {
    // Called after resize(), so sharp extracts from the resized image.
    pipeline = pipeline.extract({ left: plan.left, top: plan.top, width: plan.width, height: plan.height });
  }
  const { data, info } = await pipeline.raw().toBuffer({ resolveWithObject: true });
  return { data: new Uint8Array(data.buffer, data.byteOffset, data.length), width: info.width, height: info.height, plan };
}

/**
 * One image at the model's input size: a plain JPEG/PNG/WebP file or buffer goes through one
 * libvips pipeline (decode, resize, crop: only the model-sized pixels reach JavaScript); other
 * inputs are decoded first, then resized (resizeForModel).
 */
async function loadForModel(image: ImageInput, input: InputSpec, options: DecodeOptions): Promise<ResizedImage> {
  const direct = await decodeResized(image, options, (width, height) => {
    const plan = planResize(width, height, input.resize);
    checkPlannedSize(plan, input);
    return plan;
  });
  if (direct) return direct;
  // Large georeferenced rasters are read at twice the resize target (GDAL picks an overview), and
  // sharp does the final resize with the model's kernel.
  const reduce = (w: number, h: number): [number, number] | null => {
    const plan = planResize(w, h, input.resize);
    return [plan.resizeWidth * 2, plan.resizeHeight * 2];
  };
  return resizeForModel(await decodeImage(image, options, reduce), input);
}

/**
 * Decodes, resizes and normalises one image or a batch into one NCHW float32 tensor
 * (`[N, 3, H, W]`, N = 1 for a single image).
 * @param images one image or an array (paths, buffers, raw pixels, decoded images)
 * @param spec the model's metadata (or its `input` spec)
 * @param options decode options (pixel limit, GeoTIFF window/bands/value range)
 * @throws LwganetError IMAGE_DECODE / IMAGE_TOO_LARGE from decoding, INPUT_SHAPE when the
 *   images cannot meet the model's size rule or differ in size within a batch.
 */
export async function preprocess(images: ImageInput | readonly ImageInput[], spec: InputSpec | ModelMetadata, options: DecodeOptions = {}): Promise<Tensor<'float32'>> {
  const input = inputSpecOf(spec);
  const list = Array.isArray(images) ? (images as readonly ImageInput[]) : [images as ImageInput];
  if (list.length === 0) throw invalidArgument('images', 'at least one image', images, 'range');
  const resized = await Promise.all(list.map((image) => loadForModel(image, input, options)));
  const { width, height } = resized[0];
  const mismatch = resized.findIndex((r) => r.width !== width || r.height !== height);
  if (mismatch > 0) {
    throw new LwganetError(
      'INPUT_SHAPE',
      `Images in a batch must have the same size after preprocessing: image 0 is ${width}×${height}, image ${mismatch} is ${resized[mismatch].width}×${resized[mismatch].height}`,
    );
  }
  const pixelCount = width * height;
  const out = new Float32Array(list.length * 3 * pixelCount);
  const tables = buildLookupTables(input);
  resized.forEach((r, n) => normalizeInto(r.data, pixelCount, tables, input.colorOrder, out, n * 3 * pixelCount));
  return new Tensor('float32', out, [list.length, 3, height, width]);
}
