/**
 * One error vocabulary: LwganetError (with a stable `code`) for domain failures;
 * TypeError/RangeError, built by invalidArgument(), for wrong arguments.
 */

export const ERROR_CODES = [
  'MODEL_NOT_FOUND',
  'MODEL_CORRUPT',
  'MODEL_UNREADABLE',
  'PACKAGE_INCOMPATIBLE',
  'INPUT_SHAPE',
  'INPUT_DTYPE',
  'INPUT_ARITY',
  'DISPOSED',
  'CUDA_UNAVAILABLE',
  'DTYPE_UNSUPPORTED',
  'FORWARD_FAILED',
  'OUTPUT_UNSUPPORTED',
  'BINDING_LOAD_FAILED',
  'METADATA_INVALID',
  'IMAGE_DECODE',
  'IMAGE_TOO_LARGE',
  'TASK_MISMATCH',
  'POOL_CLOSED',
  'QUEUE_FULL',
  'ABORTED',
  'PYTHON_UNAVAILABLE',
  'TORCH_UNAVAILABLE',
  'EXPORT_FAILED',
  'INPUT_NOT_FOUND',
  'BATCH_INPUT_INVALID',
  'QUEUE_UNAVAILABLE',
  'SETUP_FAILED',
] as const;

export type LwganetErrorCode = (typeof ERROR_CODES)[number];

export class LwganetError extends Error {
  readonly code: LwganetErrorCode;

  constructor(code: LwganetErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    Object.defineProperty(this, 'name', { value: 'LwganetError', enumerable: false, configurable: true });
  }
}

/** A short description of a received value for error messages (strings quoted and cut at 60 characters). */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'function') return 'a function';
  if (Array.isArray(value)) return `an array of length ${value.length}`;
  if (ArrayBuffer.isView(value)) return `a ${value.constructor.name}`;
  if (value !== null && typeof value === 'object') return `an object (${value.constructor?.name ?? 'null prototype'})`;
  return String(value);
}

/**
 * "Expected {expected} for {name} but received {value} of type {type}".
 * A TypeError when the type is wrong, a RangeError when the type is right but the value is not.
 */
export function invalidArgument(name: string, expected: string, actual: unknown, kind: 'type' | 'range' = 'type'): Error {
  const message = `Expected ${expected} for ${name} but received ${describeValue(actual)} of type ${typeof actual}`;
  return kind === 'range' ? new RangeError(message) : new TypeError(message);
}

const NATIVE_CODES = new Set<string>(ERROR_CODES);

/**
 * Turns an error thrown by the addon into the public vocabulary: domain errors (with a code)
 * become LwganetError; TypeError/RangeError from native argument checks pass through.
 * `stackFrom` carries the caller's stack across an async hop.
 */
export function fromNative(error: unknown, stackFrom?: Error): Error {
  if (!(error instanceof Error)) return new LwganetError('FORWARD_FAILED', String(error));
  const code = (error as { code?: unknown }).code;
  let result: Error = error;
  if (typeof code === 'string' && NATIVE_CODES.has(code) && !(error instanceof LwganetError)) {
    result = new LwganetError(code as LwganetErrorCode, error.message);
  }
  if (stackFrom?.stack) {
    const callerFrames = stackFrom.stack.split('\n').slice(1).join('\n');
    result.stack = `${result.name}: ${result.message}\n${callerFrames}`;
  }
  return result;
}
