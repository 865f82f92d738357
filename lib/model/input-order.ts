/**
 * Puts a call's inputs in forward's argument order and checks them before anything reaches
 * native code: a Tensor, an array (null for an omitted optional), or a record by argument name.
 * Shared by Model.run/runSync and the InferencePool's per-request validation.
 */

import type { NativeForwardArgument } from '../../binding.js';
import { LwganetError, invalidArgument } from '../errors.js';
import { checkInputsAgainstMetadata } from './input-checks.js';
import type { ModelMetadata } from './metadata.js';
import { Tensor } from '../tensor/tensor.js';

/** What a model's forward accepts, as much as input checking needs to know. */
export interface ForwardSignature {
  readonly inputs: readonly NativeForwardArgument[];
  readonly metadata: ModelMetadata | null;
  readonly dtype: 'float32' | 'float16';
}

export type OrderableInputs = Tensor | ReadonlyArray<Tensor | null> | Readonly<Record<string, Tensor | null | undefined>>;

function asTensor(value: unknown, where: string): Tensor {
  if (!(value instanceof Tensor)) throw invalidArgument(where, 'a Tensor', value);
  return value;
}

function arityError(signature: ForwardSignature, received: number): LwganetError {
  const args = signature.inputs;
  const required = args.filter((a) => !a.hasDefault).length;
  const count = required === args.length ? `${required}` : `${required} to ${args.length}`;
  return new LwganetError('INPUT_ARITY', `Model forward takes ${count} input(s) (${args.map((a) => a.name).join(', ')}) but received ${received}`);
}

function orderByName(signature: ForwardSignature, record: Readonly<Record<string, Tensor | null | undefined>>): Array<Tensor | null> {
  const names = signature.inputs.map((input) => input.name);
  for (const key of Object.keys(record)) {
    if (!names.includes(key)) throw new TypeError(`Unknown input name "${key}"; the model's forward takes (${names.join(', ')})`);
  }
  const ordered = signature.inputs.map((input) => {
    const value = record[input.name];
    return value === undefined || value === null ? null : asTensor(value, `inputs.${input.name}`);
  });
  // Trailing omitted optionals are left to forward's defaults.
  while (ordered.length > 0 && ordered[ordered.length - 1] === null) ordered.pop();
  return ordered;
}

/** The inputs in forward's order; throws TypeError, INPUT_ARITY, INPUT_DTYPE or INPUT_SHAPE. */
export function orderInputs(signature: ForwardSignature, inputs: OrderableInputs): ReadonlyArray<Tensor | null> {
  let ordered: Array<Tensor | null>;
  const byName = !(inputs instanceof Tensor) && !Array.isArray(inputs) && typeof inputs === 'object' && inputs !== null;
  if (inputs instanceof Tensor) ordered = [inputs];
  else if (Array.isArray(inputs)) ordered = inputs.map((input, i) => (input === null ? null : asTensor(input, `inputs[${i}]`)));
  else if (byName) ordered = orderByName(signature, inputs as Readonly<Record<string, Tensor | null | undefined>>);
  else throw invalidArgument('inputs', 'a Tensor, an array of Tensors or a record of Tensors by name', inputs);

  const required = signature.inputs.filter((a) => !a.hasDefault).length;
  if (ordered.length > signature.inputs.length || (!byName && ordered.length < required)) throw arityError(signature, ordered.length);
  signature.inputs.forEach((input, i) => {
    if (!input.hasDefault && (i >= ordered.length || ordered[i] === null)) {
      throw new LwganetError('INPUT_ARITY', `Model input "${input.name}" is required`);
    }
  });
  checkInputsAgainstMetadata(signature.metadata, signature.dtype, ordered);
  return Object.freeze(ordered);
}
