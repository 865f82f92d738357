/**
 * Checks inputs against what a model's metadata promises (dtype, channels, size), so a wrong
 * input gets a precise INPUT_DTYPE / INPUT_SHAPE error before it reaches LibTorch.
 * Models without metadata are checked by LibTorch alone.
 */

import type { NativeTensorIn } from '../../binding.js';
import { LwganetError } from '../errors.js';
import type { ModelMetadata } from './metadata.js';

function describeShape(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

export function checkInputsAgainstMetadata(
  metadata: ModelMetadata | null,
  modelDtype: 'float32' | 'float16',
  inputs: ReadonlyArray<NativeTensorIn | null>,
): void {
  if (!metadata) return;
  const spec = metadata.input;
  inputs.forEach((input, i) => {
    if (!input) return;
    const name = inputs.length === 1 ? 'input' : `input ${i}`;
    // float32 is always accepted: on a float16 model the addon converts it on the device.
    const accepted = modelDtype === 'float16' ? ['float32', 'float16'] : [spec.dtype === 'float16' ? 'float32' : spec.dtype];
    if (!accepted.includes(input.dtype)) {
      throw new LwganetError('INPUT_DTYPE', `Model ${metadata.model} expects ${accepted.join(' or ')} ${name} but received ${input.dtype}`);
    }
    const shape = input.shape;
    if (shape.length !== 4 || shape[1] !== spec.channels) {
      throw new LwganetError(
        'INPUT_SHAPE',
        `Model ${metadata.model} expects ${name} of shape [N, ${spec.channels}, H, W] (NCHW) but received ${describeShape(shape)}`,
      );
    }
    const [height, width] = [shape[2], shape[3]];
    const size = spec.size;
    if (size.rule === 'fixed' && (height !== size.height || width !== size.width)) {
      throw new LwganetError(
        'INPUT_SHAPE',
        `Model ${metadata.model} expects ${name} of ${size.height}×${size.width} pixels but received ${height}×${width}`,
      );
    }
    if (size.rule === 'any' && (height < size.minHeight || width < size.minWidth)) {
      throw new LwganetError(
        'INPUT_SHAPE',
        `Model ${metadata.model} expects ${name} of at least ${size.minHeight}×${size.minWidth} pixels but received ${height}×${width}`,
      );
    }
  });
}
