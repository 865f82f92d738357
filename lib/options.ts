/**
 * One option vocabulary for every public entry point (loadModel, InferencePool, classify,
 * segment, detectChanges, detect, run): one message form, one checker per kind of value.
 *
 * Errors: a TypeError when the value has the wrong type, a RangeError when the type is right
 * but the value is not (out of range, not one of the choices, an unknown option name). Each
 * error carries the option's API name and what was expected (`optionOf(error)`), so the command
 * line can say the same thing in its flag names (`--tile-size` instead of `tileSize`).
 */

import { invalidArgument } from './errors.js';
import type { DecodeOptions } from './image/types.js';
import type { TaskModel } from './tasks/task-model.js';

/** What every image pipeline (classify, segment, detectChanges, detect) takes besides its own options. */
export interface PipelineOptions {
  /** A model exported for the pipeline's task (loadModel() of an `lwganet export` file). */
  model: TaskModel;
  /** Decode options (pixel limit; window, bands, value range for GeoTIFFs). */
  decode?: DecodeOptions;
  /** Called after each step (batch, tile or patch) with steps done and the total. */
  onProgress?: (done: number, total: number) => void;
  /** Aborts between steps; the promise rejects with LwganetError ABORTED. */
  signal?: AbortSignal;
}

/** The pipeline options every pipeline resolves the same way. */
export interface ResolvedPipelineOptions {
  decode: DecodeOptions;
  onProgress: ((done: number, total: number) => void) | null;
  signal: AbortSignal | null;
}

/** Option names of PipelineOptions, for the unknown-key check of each pipeline. */
export const PIPELINE_OPTION_NAMES = ['model', 'decode', 'onProgress', 'signal'] as const;

/** The API name and expectation behind an option error, for restating it in other words (CLI flags). */
export interface OptionErrorDetail {
  option: string;
  expected: string;
  actual: unknown;
}

const DETAIL = Symbol('lwganet.optionError');

/** "Expected {expected} for {name} but received …": a TypeError or RangeError carrying its detail. */
export function optionError(name: string, expected: string, actual: unknown, kind: 'type' | 'range' = 'type'): Error {
  const error = invalidArgument(name, expected, actual, kind);
  Object.defineProperty(error, DETAIL, { value: { option: name, expected, actual } satisfies OptionErrorDetail, enumerable: false });
  return error;
}

/** The detail of an error built by optionError(), or null for any other error. */
export function optionOf(error: unknown): OptionErrorDetail | null {
  if (typeof error !== 'object' || error === null) return null;
  return ((error as Record<symbol, unknown>)[DETAIL] as OptionErrorDetail | undefined) ?? null;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) row.push(Math.min(previous[j] + 1, row[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1)));
    previous = row;
  }
  return previous[b.length];
}

/** The known name a misspelt `key` most likely meant: same letters in another case, else at most 2 edits away. */
export function nearestName(key: string, known: readonly string[]): string | null {
  const folded = known.find((name) => name.toLowerCase() === key.toLowerCase());
  if (folded) return folded;
  let best: string | null = null;
  let bestDistance = 3;
  for (const name of known) {
    const distance = editDistance(key.toLowerCase(), name.toLowerCase());
    if (distance < bestDistance) [best, bestDistance] = [name, distance];
  }
  return best;
}

/**
 * RangeError for the first key of `options` not in `known`:
 * `Unknown option "topk" in options; did you mean "topK"? (known: model, topK, …)`.
 */
export function rejectUnknownOptions(options: object, known: readonly string[], where = 'options'): void {
  for (const key of Object.keys(options)) {
    if (known.includes(key)) continue;
    const near = nearestName(key, known);
    const hint = near ? `; did you mean "${near}"?` : '';
    const error = new RangeError(`Unknown option "${key}" in ${where}${hint} (known: ${known.join(', ')})`);
    Object.defineProperty(error, DETAIL, { value: { option: key, expected: near ? `"${near}"` : `one of ${known.join(', ')}`, actual: key }, enumerable: false });
    throw error;
  }
}

/** TypeError unless `options` is an object (`undefined` allowed when `optional`, read as {}). */
export function requireObject<T extends object>(options: unknown, name: string, expected: string, optional = false): T {
  if (options === undefined && optional) return {} as T;
  if (typeof options !== 'object' || options === null || Array.isArray(options)) throw invalidArgument(name, expected, options);
  return options as T;
}

/** An integer from `min` to `max` (TypeError for a non-number, RangeError otherwise); `fallback` when undefined. */
export function integerOption(name: string, value: unknown, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (value === undefined) return fallback;
  const expected = max === Number.MAX_SAFE_INTEGER ? (min === 1 ? 'a positive integer' : `an integer of at least ${min}`) : `an integer from ${min} to ${max}`;
  if (typeof value !== 'number') throw optionError(name, expected, value);
  if (!Number.isSafeInteger(value) || value < min || value > max) throw optionError(name, expected, value, 'range');
  return value;
}

/** A positive safe integer; `fallback` when undefined. */
export function positiveIntegerOption(name: string, value: unknown, fallback: number): number {
  return integerOption(name, value, fallback, 1);
}

/** A number from `min` to `max` inclusive (NaN refused); `fallback` when undefined. */
export function numberOption(name: string, value: unknown, fallback: number, min: number, max: number, expected = `a number from ${min} to ${max}`): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number') throw optionError(name, expected, value);
  if (!(value >= min && value <= max)) throw optionError(name, expected, value, 'range');
  return value;
}

/** One of `choices` (TypeError for another type than the choices', RangeError for another value); `fallback` when undefined. */
export function enumOption<T extends string>(name: string, value: unknown, fallback: T, choices: readonly T[]): T {
  if (value === undefined) return fallback;
  const expected = choices.map((c) => JSON.stringify(c)).join(' or ');
  if (typeof value !== 'string') throw optionError(name, expected, value);
  if (!choices.includes(value as T)) throw optionError(name, expected, value, 'range');
  return value as T;
}

/** A boolean; `fallback` when undefined. */
export function booleanOption(name: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw optionError(name, 'a boolean', value);
  return value;
}

/** An AbortSignal, or null when undefined. */
export function signalOption(name: string, value: unknown): AbortSignal | null {
  if (value === undefined) return null;
  if (!(value instanceof AbortSignal)) throw optionError(name, 'an AbortSignal', value);
  return value;
}

/** A function, or null when undefined. */
export function functionOption<F extends (...args: never[]) => unknown>(name: string, value: unknown): F | null {
  if (value === undefined) return null;
  if (typeof value !== 'function') throw optionError(name, 'a function', value);
  return value as F;
}

/** TypeError unless a pipeline's options argument is an object: checked before anything reads `options.model`. */
export function requirePipelineOptions(options: unknown): void {
  requireObject(options, 'options', 'an object with a model');
}

/**
 * Checks a pipeline's options object: an object, no unknown key (`own` lists the pipeline's
 * options besides PipelineOptions), and the shared decode/onProgress/signal resolved.
 */
export function resolvePipelineOptions(options: unknown, own: readonly string[]): ResolvedPipelineOptions {
  const given = requireObject<PipelineOptions>(options, 'options', 'an object with a model');
  rejectUnknownOptions(given, [...PIPELINE_OPTION_NAMES, ...own]);
  if (given.decode !== undefined && (typeof given.decode !== 'object' || given.decode === null)) throw optionError('decode', 'an object', given.decode);
  return {
    decode: given.decode ?? {},
    onProgress: functionOption('onProgress', given.onProgress),
    signal: signalOption('signal', given.signal),
  };
}
