/**
 * The queue side of batch processing for the public API, loaded on first use: BullMQ and
 * ioredis take most of a second to load, which nobody who never queues should pay.
 */

import type { QueueAddress } from './queue-address.js';
import type { EnqueueOptions, EnqueueResult } from './queue-producer.js';
import type { QueueStatus } from './queue-status.js';
import type { QueueWorkerHandle, QueueWorkerOptions } from './queue-worker.js';
import type { BatchSpec, Scene } from './spec.js';

/** Enqueues one BullMQ job per scene (idempotent: a scene already queued is not added twice). */
export async function enqueueBatch(address: QueueAddress, spec: BatchSpec, scenes: readonly Scene[], options?: EnqueueOptions): Promise<EnqueueResult> {
  return (await import('./queue-producer.js')).enqueueBatch(address, spec, scenes, options);
}

/** Starts consuming scene jobs; close() the handle to stop gracefully. */
export async function startQueueWorker(address: QueueAddress, options?: QueueWorkerOptions): Promise<QueueWorkerHandle> {
  return (await import('./queue-worker.js')).startQueueWorker(address, options);
}

/** Job counts and failed scenes of a queue. */
export async function queueStatus(address: QueueAddress, options?: { failedLimit?: number; retryFailed?: boolean }): Promise<QueueStatus> {
  return (await import('./queue-status.js')).queueStatus(address, options);
}
