/**
 * Devices: 'cpu', 'cuda' or 'cuda:N', chosen at run time from one binary.
 */

import os from 'node:os';
import type { NativeDevices } from '../../binding.js';
import { binding, cudaLibraryFailure } from './binding.js';
import { optionError } from '../options.js';

export type Device = 'cpu' | 'cuda' | `cuda:${number}`;

/** The addon's device and build report (see binding.d.ts), plus what Node knows. */
export interface DeviceInfo extends NativeDevices {
  /** Logical CPUs Node can use (os.availableParallelism()). */
  cpuCount: number;
  /** Every device a model can be loaded on now. */
  available: Device[];
}

const DEVICE_PATTERN = /^(cpu|cuda(:\d{1,3})?)$/;

/** Checks device text; the native side checks that the device exists. */
export function parseDevice(value: unknown): Device {
  if (typeof value !== 'string' || !DEVICE_PATTERN.test(value)) {
    throw optionError('device', '"cpu", "cuda" or "cuda:N"', value, typeof value === 'string' ? 'range' : 'type');
  }
  return value as Device;
}

/** Devices and LibTorch build information. */
export function devices(): DeviceInfo {
  const native = binding().devices();
  const cuda: Device[] = Array.from({ length: native.cudaDeviceCount }, (_, i) => `cuda:${i}` as Device);
  const failure = cudaLibraryFailure();
  // LibTorch had CUDA libraries that did not load: that, not "CPU-only LibTorch", is the reason.
  const reason = !native.cudaCompiled && failure ? `LibTorch's CUDA library did not load (${failure})` : native.cudaUnavailableReason;
  return { ...native, cudaUnavailableReason: reason, cpuCount: os.availableParallelism(), available: ['cpu', ...cuda] };
}
