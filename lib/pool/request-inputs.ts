/**
 * Per-request validation, done before a request may join a batch: a request that would fail
 * on its own (wrong type, arity, dtype or shape against the metadata) is rejected alone and
 * never reaches a shared forward. Mirrors what Model.run checks, for the same error codes.
 */

import { LwganetError, invalidArgument } from '../errors.js';
import { checkInputsAgainstMetadata } from '../input-checks.js';
import type { ModelInputs } from '../model.js';
import { Tensor } from '../tensor.js';
import type { OrderedInputs } from './batching.js';
import type { ModelInfo } from './executors.js';

function asTensor(value: unknown, where: string): Tensor {
  if (!(value instanceof Tensor)) throw invalidArgument(where, 'a Tensor', value);
  return value;
}

function orderByName(info: ModelInfo, record: Readonly<Record<string, Tensor | null | undefined>>): Array<Tensor | null> {
  const names = info.inputs.map((input) => input.name);
  for (const key of Object.keys(record)) {
    if (!names.includes(key)) throw new TypeError(`Unknown input name "${key}"; the model's forward takes (${names.join(', ')})`);
  }
  const ordered = info.inputs.map((input) => {
    const value = record[input.name];
    if (value === undefined || value === null) {
      if (!input.hasDefault) throw new LwganetError('INPUT_ARITY', `Model input "${input.name}" is required`);
      return null;
    }
    return asTensor(value, `inputs.${input.name}`);
  });
  // Trailing omitted optionals are left to forward's defaults, as Model.run does.
  while (ordered.length > 0 && ordered[ordered.length - 1] === null) ordered.pop();
  return ordered;
}

/** Puts a request's inputs in forward's order and checks them; throws what Model.run would reject with. */
export function orderInputs(info: ModelInfo, inputs: ModelInputs): OrderedInputs {
  let ordered: Array<Tensor | null>;
  if (inputs instanceof Tensor) ordered = [inputs];
  else if (Array.isArray(inputs)) ordered = inputs.map((input, i) => (input === null ? null : asTensor(input, `inputs[${i}]`)));
  else if (typeof inputs === 'object' && inputs !== null) ordered = orderByName(info, inputs as Readonly<Record<string, Tensor | null | undefined>>);
  else throw invalidArgument('inputs', 'a Tensor, an array of Tensors or a record of Tensors by name', inputs);

  if (ordered.length > info.inputs.length) {
    throw new LwganetError('INPUT_ARITY', `Model forward takes ${info.inputs.length} input(s) but received ${ordered.length}`);
  }
  info.inputs.forEach((input, i) => {
    if (!input.hasDefault && (i >= ordered.length || ordered[i] === null)) {
      throw new LwganetError('INPUT_ARITY', `Model input "${input.name}" is required`);
    }
  });
  checkInputsAgainstMetadata(info.metadata, info.dtype, ordered);
  return Object.freeze(ordered);
}
