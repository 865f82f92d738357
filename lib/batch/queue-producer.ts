/**
 * The producer side of `lwganet batch --queue`: one BullMQ job per scene, instead of running
 * them. Jobs retry with exponential backoff; after `attempts` they stay in the failed set with
 * their error. Jobs are kept after they finish so `batch status` can count them.
 */

import { Queue } from 'bullmq';
import { batchKey } from './identity.js';
import type { QueueAddress } from './queue-address.js';
import { SCENE_JOB, sceneJobId, type SceneJobData } from './queue-jobs.js';
import { connectRedis } from './redis-connection.js';
import type { BatchSpec, Scene } from './spec.js';

export interface EnqueueOptions {
  /** Tries per scene before it is failed for good. Default 3. */
  attempts?: number;
  /** First retry delay; doubles each retry. Default 2000 ms. */
  backoffMs?: number;
  /** BullMQ priority (1 = highest; none by default). */
  priority?: number;
}

export interface EnqueueResult {
  queue: string;
  key: string;
  scenes: number;
}

const CHUNK = 500;

export async function enqueueBatch(address: QueueAddress, spec: BatchSpec, scenes: readonly Scene[], options: EnqueueOptions = {}): Promise<EnqueueResult> {
  const key = await batchKey(spec);
  const connection = await connectRedis(address);
  const queue = new Queue<SceneJobData>(address.name, { connection });
  queue.on('error', () => {});
  try {
    const opts = {
      attempts: options.attempts ?? 3,
      backoff: { type: 'exponential', delay: options.backoffMs ?? 2000 },
      priority: options.priority,
      removeOnComplete: false,
      removeOnFail: false,
    };
    for (let start = 0; start < scenes.length; start += CHUNK) {
      await queue.addBulk(scenes.slice(start, start + CHUNK).map((scene) => ({ name: SCENE_JOB, data: { spec, key, scene }, opts: { ...opts, jobId: sceneJobId(key, scene.id) } })));
    }
  } finally {
    await queue.close();
    connection.disconnect();
  }
  return { queue: address.display, key, scenes: scenes.length };
}
