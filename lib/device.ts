/**
 * Devices: 'cpu', 'cuda' or 'cuda:N', chosen at run time from one binary.
 */

import os from 'node:os';
import { binding } from './binding.js';
import { invalidArgument } from './errors.js';

export type Device = 'cpu' | 'cuda' | `cuda:${number}`;

export interface DeviceInfo {
  /** LibTorch version the addon runs against, e.g. '2.15.0+cu132'. */
  libtorchVersion: string;
  /** File of the libtorch_cpu library actually loaded. */
  libtorchPath: string;
  /** LibTorch version the addon was compiled against. */
  builtWithLibtorch: string;
  /** True when the addon was linked with LibTorch's CUDA libraries. */
  cudaCompiled: boolean;
  /** Number of usable CUDA devices. */
  cudaDeviceCount: number;
  /** Why CUDA cannot be used, or null when it can. */
  cudaUnavailableReason: string | null;
  /** LibTorch's description of its parallel backends (OpenMP, MKL, oneDNN). */
  parallelInfo: string;
  /** LibTorch's default intra-op thread count in this process. */
  defaultThreads: number;
  /** The addon's dedicated inference threads (LWGANET_INFERENCE_THREADS). */
  inferenceThreads: number;
  /** Logical CPUs Node can use (os.availableParallelism()). */
  cpuCount: number;
  /** Every device a model can be loaded on now. */
  available: Device[];
}

const DEVICE_PATTERN = /^(cpu|cuda(:\d{1,3})?)$/;

/** Checks device text; the native side checks that the device exists. */
export function parseDevice(value: unknown): Device {
  if (typeof value !== 'string' || !DEVICE_PATTERN.test(value)) {
    throw invalidArgument('device', '"cpu", "cuda" or "cuda:N"', value);
  }
  return value as Device;
}

/** Devices and LibTorch build information. */
export function devices(): DeviceInfo {
  const native = binding().devices();
  const cuda: Device[] = Array.from({ length: native.cudaDeviceCount }, (_, i) => `cuda:${i}` as Device);
  return { ...native, cpuCount: os.availableParallelism(), available: ['cpu', ...cuda] };
}
