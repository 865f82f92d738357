/**
 * The addon keeps freed CPU blocks of 1 MiB and more for reuse (a forward pass allocates the
 * same activation buffers every time; handing them back to the system costs page faults on every
 * call). `devices().cpuCache` reports it; this returns its free blocks to the system, e.g. after a
 * burst of large images in a long-lived service.
 */

import { binding } from './binding.js';

export function releaseCpuCache(): void {
  binding().releaseCpuCache();
}
