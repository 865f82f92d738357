/**
 * The geometry of the model's resize rule, as pure arithmetic so it can be tested exactly and
 * matches torchvision, which produced the published numbers:
 * - Resize(int) keeps the aspect ratio and truncates the long side: int(short_target · long / short);
 * - CenterCrop puts the box at int(round((size − crop) / 2)) with Python's round-half-to-even.
 */

import { LwganetError } from '../errors.js';
import type { InputSpec, ResizeRule } from '../model/metadata.js';

/** Resize to (resizeWidth × resizeHeight), then keep the box (left, top, width, height). */
export interface ResizePlan {
  resizeWidth: number;
  resizeHeight: number;
  left: number;
  top: number;
  width: number;
  height: number;
  /** sharp kernel for the interpolation the metadata names. */
  kernel: 'nearest' | 'linear' | 'cubic' | 'lanczos3';
}

const KERNELS: Record<string, ResizePlan['kernel']> = {
  nearest: 'nearest',
  bilinear: 'linear',
  linear: 'linear',
  bicubic: 'cubic',
  cubic: 'cubic',
  lanczos: 'lanczos3',
};

/** Python's round(): halves go to the even neighbour. */
export function roundHalfEven(x: number): number {
  const floor = Math.floor(x);
  const diff = x - floor;
  if (diff > 0.5) return floor + 1;
  if (diff < 0.5) return floor;
  return floor % 2 === 0 ? floor : floor + 1;
}

function kernelFor(rule: ResizeRule): ResizePlan['kernel'] {
  if (rule.mode === 'none') return 'linear';
  const kernel = KERNELS[rule.interpolation];
  if (!kernel) throw new LwganetError('METADATA_INVALID', `Model metadata is invalid: unknown input.resize.interpolation ${JSON.stringify(rule.interpolation)}`);
  return kernel;
}

function positiveInt(v: unknown, name: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1) {
    throw new LwganetError('METADATA_INVALID', `Model metadata is invalid: ${name} must be a positive integer`);
  }
  return v;
}

/** Plans the resize and crop of a width × height image under `rule`. */
export function planResize(width: number, height: number, rule: ResizeRule): ResizePlan {
  const kernel = kernelFor(rule);
  if (rule.mode === 'resize') {
    const w = positiveInt(rule.width, 'input.resize.width');
    const h = positiveInt(rule.height, 'input.resize.height');
    return { resizeWidth: w, resizeHeight: h, left: 0, top: 0, width: w, height: h, kernel };
  }
  if (rule.mode === 'short-side-center-crop') {
    const shortTarget = positiveInt(rule.shortSide, 'input.resize.shortSide');
    const crop = positiveInt(rule.crop, 'input.resize.crop');
    if (crop > shortTarget) throw new LwganetError('METADATA_INVALID', 'Model metadata is invalid: input.resize.crop is larger than input.resize.shortSide');
    const portrait = width <= height;
    const [short, long] = portrait ? [width, height] : [height, width];
    const newLong = Math.floor((shortTarget * long) / short);
    const resizeWidth = portrait ? shortTarget : newLong;
    const resizeHeight = portrait ? newLong : shortTarget;
    return {
      resizeWidth,
      resizeHeight,
      left: roundHalfEven((resizeWidth - crop) / 2),
      top: roundHalfEven((resizeHeight - crop) / 2),
      width: crop,
      height: crop,
      kernel,
    };
  }
  return { resizeWidth: width, resizeHeight: height, left: 0, top: 0, width, height, kernel };
}

/** Throws INPUT_SHAPE when the planned output does not satisfy the model's size rule. */
export function checkPlannedSize(plan: ResizePlan, input: InputSpec): void {
  const size = input.size;
  if (size.rule === 'fixed') {
    if (plan.width !== size.width || plan.height !== size.height) {
      throw new LwganetError('INPUT_SHAPE', `The model needs ${size.width}×${size.height} input but preprocessing gives ${plan.width}×${plan.height}`);
    }
    return;
  }
  const multiple = size.multipleOf ?? 1;
  if (plan.width < size.minWidth || plan.height < size.minHeight || plan.width % multiple !== 0 || plan.height % multiple !== 0) {
    throw new LwganetError(
      'INPUT_SHAPE',
      `The model needs input of at least ${size.minWidth}×${size.minHeight} with sides a multiple of ${multiple}, but the image is ${plan.width}×${plan.height}`,
    );
  }
}
