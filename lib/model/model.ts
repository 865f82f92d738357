/**
 * loadModel() and Model: a TorchScript file or a compiled AOTInductor package (.pt2, one entry
 * per input shape) on a device, run synchronously or asynchronously.
 *
 * Threads: run() hands the forward to the addon's own inference threads (not libuv's pool, so
 * fs/dns keep working during long inferences) and settles on the JS thread; runSync() runs on
 * the calling thread. runSync() reads its inputs in place (no JavaScript runs meanwhile); run()
 * copies them before it returns, because the caller may free, transfer or resize a buffer while
 * the forward runs and nothing can pin an ArrayBuffer's memory from native code.
 */

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { NativeCompiledEntry, NativeForwardArgument, NativeLoadOptions, NativeModel, NativeTensorIn, NativeValue } from '../../binding.js';
import { binding, libtorchUmbrellaFailure } from '../native/binding.js';
import { parseDevice } from '../native/device.js';
import { LwganetError, fromNative, invalidArgument } from '../errors.js';
import { type ModelMetadata, parseMetadata } from './metadata.js';
import { checkModelArchive } from './model-archive.js';
import { Tensor } from '../tensor/tensor.js';
import { orderInputs } from './input-order.js';
import { warmUp } from './warmup.js';
import { booleanOption, enumOption, integerOption, rejectUnknownOptions, requireObject, signalOption } from '../options.js';
import { RUN_ORDERED, RUN_ORDERED_SYNC } from './run-ordered.js';
import { THREAD_POLICIES, ThreadChooser, type ThreadPolicy, shapeKey } from './thread-policy.js';

export interface LoadModelOptions {
  /** 'cpu' (default), 'cuda' or 'cuda:N'. */
  device?: string;
  /** 'float32' (default) or 'float16' (CUDA only: parameters and float inputs become half). */
  dtype?: 'float32' | 'float16';
  /** Intra-op threads per forward; defaults to the logical CPU count (LibTorch's own default can be 1). */
  threads?: number;
  /**
   * 'adaptive' (default): each forward runs with `threads` or with 1 thread, whichever was
   * faster lately for that input shape, measured as the model runs (lib/model/thread-policy.ts): all
   * threads on an idle machine, one when other processes keep the cores busy, where an OpenMP
   * team would wait for its descheduled members at every op. 'fixed': always `threads`.
   */
  threadPolicy?: ThreadPolicy;
  /**
   * Run the model on a zero image of its metadata's input size before handing it out (default
   * false), so the first real request does not pay for graph optimisation and kernel creation
   * (lib/model/warmup.ts). Needs the archive's metadata.
   */
  warmup?: boolean;
}

/** One tensor, tensors in forward's order (null for an omitted optional), or tensors by argument name. */
export type ModelInputs = Tensor | ReadonlyArray<Tensor | null> | Readonly<Record<string, Tensor | null | undefined>>;

/** Mirrors the TorchScript value: tensors, tuples/lists as arrays, str-keyed dicts as records. */
export type ModelOutput = Tensor | ModelOutput[] | { [key: string]: ModelOutput } | number | bigint | boolean | string | null;

export type ForwardArgument = NativeForwardArgument;
export type CompiledEntry = NativeCompiledEntry;

/** Options of one Model.run call. */
export interface RunOptions {
  /**
   * Aborting rejects the call with LwganetError ABORTED: at once if already aborted, else as
   * soon as it fires. A forward already on an inference thread cannot be interrupted; it runs to
   * its end and its result is discarded.
   */
  signal?: AbortSignal;
}

const OPTION_NAMES = ['device', 'dtype', 'threads', 'threadPolicy', 'warmup'];

interface ResolvedLoadOptions {
  native: NativeLoadOptions;
  threadPolicy: ThreadPolicy;
  warmup: boolean;
}

function resolveLoadOptions(options: unknown): ResolvedLoadOptions {
  const given = requireObject<LoadModelOptions>(options, 'options', 'an object', true);
  rejectUnknownOptions(given, OPTION_NAMES);
  const warmup = booleanOption('warmup', given.warmup, false);
  const threadPolicy = enumOption('threadPolicy', given.threadPolicy, 'adaptive', THREAD_POLICIES);
  const device = parseDevice(given.device ?? 'cpu');
  const dtype = enumOption('dtype', given.dtype, 'float32', ['float32', 'float16']);
  const threads = integerOption('threads', given.threads, os.availableParallelism(), 1, 1024);
  if (dtype === 'float16' && device === 'cpu') {
    throw new LwganetError(
      'DTYPE_UNSUPPORTED',
      "dtype float16 is only supported on CUDA devices: LibTorch's CPU half-precision kernels are missing for several of LWGANet's ops. Use dtype float32 on the CPU",
    );
  }
  return { native: { device, dtype, threads }, threadPolicy, warmup };
}

function resolveRunOptions(options: unknown): AbortSignal | null {
  const given = requireObject<RunOptions>(options, 'options', 'an object', true);
  rejectUnknownOptions(given, ['signal']);
  return signalOption('signal', given.signal);
}

function aborted(signal: AbortSignal): LwganetError {
  return new LwganetError('ABORTED', 'Model run was aborted', { cause: signal.reason });
}

/** Settles with `work`, or rejects ABORTED as soon as `signal` fires (the work's result is then dropped). */
function abortable<T>(work: Promise<T>, signal: AbortSignal | null): Promise<T> {
  if (signal === null) return work;
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(aborted(signal));
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

function normaliseSource(source: unknown): string | Uint8Array {
  if (typeof source === 'string') {
    if (source.length === 0) throw invalidArgument('source', 'a non-empty file path or a Uint8Array', source);
    return path.resolve(source);
  }
  if (source instanceof Uint8Array) return source;
  throw invalidArgument('source', 'a file path or a Uint8Array (Buffer) holding a TorchScript archive', source);
}

/**
 * Reads the archive for checkModelArchive(). Missing files and directories are left to the addon
 * (MODEL_NOT_FOUND); a file this process may not read is MODEL_UNREADABLE, not a corrupt model.
 */
function unreadable(file: string, error: unknown): LwganetError | null {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'EACCES' || code === 'EPERM') {
    return new LwganetError('MODEL_UNREADABLE', `Model file ${file} cannot be read: permission denied (check its permissions and owner)`);
  }
  return null;
}

async function checkSource(source: string | Uint8Array): Promise<void> {
  if (typeof source !== 'string') return checkModelArchive(source, `Model buffer (${source.byteLength} bytes)`);
  let bytes: Uint8Array;
  try {
    bytes = await fs.promises.readFile(source);
  } catch (error) {
    const refused = unreadable(source, error);
    if (refused) throw refused;
    return;
  }
  checkModelArchive(bytes, `Model file ${source}`);
}

function checkSourceSync(source: string | Uint8Array): void {
  if (typeof source !== 'string') return checkModelArchive(source, `Model buffer (${source.byteLength} bytes)`);
  let bytes: Uint8Array;
  try {
    bytes = fs.readFileSync(source);
  } catch (error) {
    const refused = unreadable(source, error);
    if (refused) throw refused;
    return;
  }
  checkModelArchive(bytes, `Model file ${source}`);
}

/**
 * The addon builds output tensors as this package's Tensor (lib/native/binding.ts registers the
 * class per JS environment): tensors, arrays, records and scalars are already the public value.
 */
function asModelOutput(value: NativeValue): ModelOutput {
  return value as ModelOutput;
}

export class Model {
  /** The embedded metadata.json (task, labels, normalisation, input size), or null when absent. */
  readonly metadata: ModelMetadata | null;
  /** Device the weights live on: 'cpu' or 'cuda:N'. */
  readonly device: string;
  readonly dtype: 'float32' | 'float16';
  readonly threads: number;
  /**
   * Convolutions the loader rewrote to oneDNN with weights packed once: only with
   * LWGANET_PREPACK=1 (opt-in, native/conv_prepack.h) and frozen float32 CPU exports; else 0.
   */
  readonly prepackedConvolutions: number;
  /** forward's arguments (after self), in order. */
  readonly inputs: readonly ForwardArgument[];
  /**
   * For a compiled package (.pt2): the input shapes it was compiled for, one entry each (a
   * forward runs the entry that takes its inputs' shapes; any other shape is INPUT_SHAPE).
   * null for a TorchScript model, which takes any shape its code accepts.
   */
  readonly compiledEntries: readonly CompiledEntry[] | null;
  /** How each forward's thread count is chosen (LoadModelOptions.threadPolicy). */
  readonly threadPolicy: ThreadPolicy;
  readonly #native: NativeModel;
  readonly #chooser: ThreadChooser;

  /** @internal Use loadModel() or loadModelSync(). */
  constructor(native: NativeModel, threadPolicy: ThreadPolicy = 'adaptive') {
    this.#native = native;
    this.threadPolicy = threadPolicy;
    this.#chooser = new ThreadChooser(native.threads, threadPolicy);
    try {
      this.metadata = native.metadataJson === null ? null : parseMetadata(native.metadataJson);
    } catch (error) {
      native.dispose(); // a model whose metadata cannot be trusted is not handed out
      throw error;
    }
    this.device = native.device;
    this.dtype = native.dtype;
    this.threads = native.threads;
    this.prepackedConvolutions = native.prepackedConvolutions;
    this.inputs = Object.freeze(native.inputs.map((input) => Object.freeze({ ...input })));
    const entries = native.compiledEntries;
    this.compiledEntries = entries === null ? null : Object.freeze(entries.map((entry) => Object.freeze(entry)));
  }

  /** Batch sizes a compiled package runs without padding (static entries); null for TorchScript. */
  get compiledBatchSizes(): number[] | null {
    if (this.compiledEntries === null) return null;
    return [...new Set(this.compiledEntries.filter((e) => e.dynamic === null).map((e) => e.inputs[0][0]))].sort((a, b) => a - b);
  }

  /** True once dispose() was called. */
  get disposed(): boolean {
    return this.#native.disposed;
  }

  /** Forwards currently running on the inference threads. */
  get pendingRuns(): number {
    return this.#native.pendingRuns;
  }

  /**
   * Runs forward on an inference thread. Rejects (never throws) on bad input, failure or abort
   * (`options.signal`, see RunOptions).
   */
  async run(inputs: ModelInputs, options?: RunOptions): Promise<ModelOutput> {
    const caller = new Error();
    let tensors: Array<NativeTensorIn | null>;
    let signal: AbortSignal | null;
    try {
      signal = resolveRunOptions(options);
      tensors = this.#orderInputs(inputs);
    } catch (error) {
      throw fromNative(error, caller);
    }
    if (signal?.aborted) throw aborted(signal);
    return abortable(this.#forward(tensors, caller), signal);
  }

  /**
   * @internal For inputs already in forward's order and checked against the metadata: the
   * pool's requests (orderInputs when queued) and the task pipelines' tensors (built from the
   * metadata's input spec, preprocess.ts / patch-input.ts). The addon still checks what memory
   * safety needs (arity, dtypes, byte lengths).
   */
  [RUN_ORDERED](tensors: ReadonlyArray<Tensor | null>, signal: AbortSignal | null = null): Promise<ModelOutput> {
    if (signal?.aborted) return Promise.reject(aborted(signal));
    return abortable(this.#forward(tensors as Array<NativeTensorIn | null>, new Error()), signal);
  }

  /** @internal runSync's counterpart of RUN_ORDERED, for the pool's worker threads. */
  [RUN_ORDERED_SYNC](tensors: ReadonlyArray<Tensor | null>): ModelOutput {
    try {
      return this.#forwardSync(tensors as Array<NativeTensorIn | null>);
    } catch (error) {
      throw fromNative(error);
    }
  }

  async #forward(tensors: Array<NativeTensorIn | null>, caller: Error): Promise<ModelOutput> {
    if (this.#native.disposed) throw new LwganetError('DISPOSED', 'Model is disposed; load it again to run it');
    let output: NativeValue;
    const key = shapeKey(tensors);
    const threads = this.#chooser.choose(key);
    const alone = this.#native.pendingRuns === 0;
    const start = performance.now();
    try {
      output = await this.#native.forward(tensors as NativeTensorIn[], threads);
      if (alone && this.#native.pendingRuns === 0) this.#chooser.record(key, threads, performance.now() - start);
    } catch (error) {
      throw fromNative(error, caller);
    }
    return asModelOutput(output);
  }

  #forwardSync(ordered: Array<NativeTensorIn | null>): ModelOutput {
    if (this.#native.disposed) throw new LwganetError('DISPOSED', 'Model is disposed; load it again to run it');
    const key = shapeKey(ordered);
    const threads = this.#chooser.choose(key);
    const alone = this.#native.pendingRuns === 0;
    const start = performance.now();
    const output = this.#native.forwardSync(ordered as NativeTensorIn[], threads);
    if (alone) this.#chooser.record(key, threads, performance.now() - start);
    return asModelOutput(output);
  }

  /** Runs forward on the calling thread (blocks the event loop for the forward's duration). */
  runSync(inputs: ModelInputs): ModelOutput {
    try {
      return this.#forwardSync(this.#orderInputs(inputs));
    } catch (error) {
      throw fromNative(error);
    }
  }

  /** Releases this handle's weights (shared copies stay while other handles use them). Runs in flight finish. */
  dispose(): void {
    this.#native.dispose();
  }

  #orderInputs(inputs: ModelInputs): Array<NativeTensorIn | null> {
    if (this.#native.disposed) throw new LwganetError('DISPOSED', 'Model is disposed; load it again to run it');
    // A Tensor is exactly the { dtype, data, shape } descriptor the addon reads.
    return orderInputs(this, inputs) as Array<NativeTensorIn | null>;
  }
}

/** A compiled package that cannot find libtorch.so: say why it was not opened at start-up. */
function withLibraryReason(error: unknown): unknown {
  const why = libtorchUmbrellaFailure();
  if (why && error instanceof Error && /libtorch\.so: cannot open shared object file/.test(error.message)) {
    error.message += ` (compiled packages need LibTorch's libtorch.so, which could not be opened: ${why})`;
  }
  return error;
}

/** What both loaders need before reading the archive: the options checked, the source resolved. */
interface LoadRequest extends ResolvedLoadOptions {
  source: string | Uint8Array;
}

function loadRequest(source: unknown, options: unknown): LoadRequest {
  const resolved = resolveLoadOptions(options);
  return { ...resolved, source: normaliseSource(source) };
}

/**
 * Loads a TorchScript file (path) or archive bytes on an inference thread. loadModelSync() is the
 * same steps on the calling thread: the archive check reads the file, and the addon loads it.
 */
export async function loadModel(source: string | Uint8Array, options?: LoadModelOptions): Promise<Model> {
  const caller = new Error();
  let request: LoadRequest;
  let model: Model;
  try {
    request = loadRequest(source, options);
    await checkSource(request.source);
    model = new Model(await binding().loadModel(request.source, request.native), request.threadPolicy);
  } catch (error) {
    throw fromNative(withLibraryReason(error), caller);
  }
  if (request.warmup) await warmUp(model, (inputs) => model.run(inputs));
  return model;
}

/** Loads a TorchScript file or archive bytes on the calling thread (see loadModel). */
export function loadModelSync(source: string | Uint8Array, options?: LoadModelOptions): Model {
  let request: LoadRequest;
  let model: Model;
  try {
    request = loadRequest(source, options);
    checkSourceSync(request.source);
    model = new Model(binding().loadModelSync(request.source, request.native), request.threadPolicy);
  } catch (error) {
    throw fromNative(withLibraryReason(error));
  }
  if (request.warmup) warmUp(model, (inputs) => model.runSync(inputs));
  return model;
}
