/**
 * The raw contract of the native addon (build/Release/lwganet.node).
 * Imported only by lib/native/binding.ts; the public, validated API lives in lib/.
 * Every function still checks its arguments natively (TypeError/RangeError), so a
 * wrong call straight into this binding throws instead of aborting the process.
 */

/** Element types the addon understands; the names are also the public `DType`s. */
export type NativeDType =
  | 'float32' | 'float64' | 'float16' | 'uint8' | 'int8' | 'int32' | 'int64' | 'bool';

/** A tensor going into native code: `data` is read in place by forwardSync, copied by forward (async). */
export interface NativeTensorIn {
  readonly dtype: NativeDType;
  readonly data: ArrayBufferView;
  readonly shape: readonly number[];
}

/**
 * The class setTensorClass() registers (lib/tensor/tensor.ts's Tensor): output tensors are built
 * as `new TensorClass(dtype, data, shape, token)`, with the token that registration passed.
 */
export type NativeTensorClass = new (dtype: NativeDType, data: ArrayBufferView, shape: number[], token: object) => NativeTensorIn;

/**
 * What a TorchScript value becomes: tensors (instances of the registered class), arrays
 * (tuple/list), records (dict), scalars. A tensor's data is an external buffer owning the
 * LibTorch storage (forward), a copy in a V8 buffer (forwardSync), or, when the output is an
 * input or a contiguous view of one (forwardSync only), a view on that input's memory.
 */
export type NativeValue =
  | NativeTensorIn
  | NativeValue[]
  | { [key: string]: NativeValue }
  | number
  | bigint
  | boolean
  | string
  | null;

export interface NativeLoadOptions {
  /** 'cpu' | 'cuda' | 'cuda:N' (already validated in TypeScript). */
  device: string;
  /** Floating point precision of parameters and inputs. */
  dtype: 'float32' | 'float16';
  /** Intra-op threads used by this model's forward passes (>= 1). */
  threads: number;
}

/** Errors thrown/rejected by the addon for domain failures carry one of these codes. */
export type NativeErrorCode =
  | 'MODEL_NOT_FOUND'
  | 'MODEL_CORRUPT'
  | 'INPUT_SHAPE'
  | 'INPUT_DTYPE'
  | 'INPUT_ARITY'
  | 'DISPOSED'
  | 'CUDA_UNAVAILABLE'
  | 'DTYPE_UNSUPPORTED'
  | 'FORWARD_FAILED'
  | 'OUTPUT_UNSUPPORTED';

export interface NativeForwardArgument {
  name: string;
  /** TorchScript type as text, e.g. 'Tensor', 'Optional[Tensor]', 'int'. */
  type: string;
  /** True when the argument has a default value in the schema. */
  hasDefault: boolean;
}

export interface NativeCompiledEntry {
  /** Entry name in the package, e.g. 'b1_224x224' or 'dynamic'. */
  name: string;
  /** Input shapes (one per forward input): exact for a static entry, the example for a dynamic one. */
  inputs: number[][];
  /** A dynamic entry's inclusive ranges (sides also multiples of multipleOf); null for a static one. */
  dynamic: { batch: [number, number]; height: [number, number]; width: [number, number]; multipleOf: number } | null;
}

export declare class NativeModel {
  private constructor();
  /** Device the module lives on, normalised ('cpu', 'cuda:0'). */
  readonly device: string;
  readonly dtype: 'float32' | 'float16';
  readonly threads: number;
  /** Convolutions rewritten at load to oneDNN with packed weights (native/conv_prepack.h). */
  readonly prepackedConvolutions: number;
  /** forward's arguments after `self`, in order. */
  readonly inputs: NativeForwardArgument[];
  /** Text of extra/metadata.json inside the archive, or null. */
  readonly metadataJson: string | null;
  /** A compiled (.pt2) package's entries, the input shapes each takes; null for TorchScript. */
  readonly compiledEntries: NativeCompiledEntry[] | null;
  /** True once dispose() was called. */
  readonly disposed: boolean;
  /** Number of forwards currently running on native threads. */
  readonly pendingRuns: number;
  /** Runs forward on the calling (JS) thread; `threads`: intra-op threads of this call (default: the model's). */
  forwardSync(inputs: NativeTensorIn[], threads?: number): NativeValue;
  /** Runs forward on the addon's inference threads; settles on the JS thread. */
  forward(inputs: NativeTensorIn[], threads?: number): Promise<NativeValue>;
  /** Drops this handle's reference to the module; in-flight forwards still finish. */
  dispose(): void;
}

export interface NativeDevices {
  /** LibTorch version the addon is running against, e.g. '2.15.0+cu132' (read from the loaded library's install). */
  libtorchVersion: string;
  /** File of the libtorch_cpu library actually loaded. */
  libtorchPath: string;
  /** LibTorch version the addon was compiled against. */
  builtWithLibtorch: string;
  /** True when the LibTorch in use has CUDA: its libtorch_cuda.so was loaded (the addon itself links only LibTorch's CPU libraries). */
  cudaCompiled: boolean;
  /** Number of usable CUDA devices (0 without GPU or with a CPU-only LibTorch). */
  cudaDeviceCount: number;
  /** Why CUDA is unusable, or null when it is usable. */
  cudaUnavailableReason: string | null;
  /** LibTorch's parallel backend description (OpenMP/MKL/oneDNN versions). */
  parallelInfo: string;
  /** Default intra-op thread count LibTorch reports for this process. */
  defaultThreads: number;
  /** Number of the addon's dedicated inference threads. */
  inferenceThreads: number;
  /** The addon's cache of large CPU blocks (native/cpu_memory.h); LWGANET_CPU_CACHE=0 turns it off,
   *  LWGANET_CPU_CACHE_MB caps the free bytes it keeps (default 2048). */
  cpuCache: NativeCpuCache;
  /** BLAS LibTorch was built with ('mkl' for pip wheels, 'generic' for a system libblas such as
   *  Debian's) and the libblas.so file loaded in this process (resolved), or null. */
  blas: { build: string; library: string | null };
}

export interface NativeCpuCache {
  enabled: boolean;
  /** Most free bytes kept for reuse. */
  limitBytes: number;
  /** Free bytes held for reuse now (counted in the process RSS). */
  cachedBytes: number;
  /** Bytes of cached-size blocks (>= 1 MiB) in use by tensors now. */
  inUseBytes: number;
  /** Large allocations served from the cache / from the system. */
  hits: number;
  misses: number;
}

/**
 * Registers the class output tensors are built with, for this JS environment (the main thread
 * and each worker thread hold their own). Until it is called, a forward fails to return tensors.
 */
export function setTensorClass(tensorClass: NativeTensorClass, token: object): void;
/** Loads a TorchScript archive from a path or the bytes of one, synchronously. */
export function loadModelSync(source: string | Uint8Array, options: NativeLoadOptions): NativeModel;
/** Loads a TorchScript archive on an inference thread. */
export function loadModel(source: string | Uint8Array, options: NativeLoadOptions): Promise<NativeModel>;
/** Devices and build information. */
export function devices(): NativeDevices;
/** Number of distinct modules held by the process-wide weight cache (for tests). */
export function cachedModuleCount(): number;
/** Returns the free blocks of the CPU cache to the system (blocks in use are untouched). */
export function releaseCpuCache(): void;

/**
 * Process exit: drops queued jobs, blocks until running forwards and loads finish, and parks the
 * inference threads for good, so exit() never destroys LibTorch's globals under a running forward.
 * Called from the main thread's process 'exit' event; the addon's atexit handler calls it too.
 */
export function quiesceForExit(): void;
/**
 * Greedy rotated NMS with the exact IoU of the rectangles (native/nms.cc). boxes: N·5 values
 * (cx, cy, w, h, angle in radians); scores: N; labels: N, suppression only within a label.
 * Returns the kept indices by descending score, ties by ascending index.
 */
export function rotatedNms(
  boxes: Float32Array | Float64Array,
  scores: Float32Array | Float64Array,
  iouThreshold: number,
  labels?: Int32Array | null,
): Int32Array;
/** Exact IoU of two rotated boxes (5 values each: cx, cy, w, h, angle). */
export function rotatedIou(a: Float32Array | Float64Array, b: Float32Array | Float64Array): number;
