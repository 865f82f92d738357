/** `lwganet batch status --queue …`: job counts of a queue and its failed scenes with their errors. */

import { Queue } from 'bullmq';
import type { QueueAddress } from './queue-address.js';
import type { SceneJobData } from './queue-jobs.js';
import { connectRedis } from './redis-connection.js';

export interface QueueCounts {
  waiting: number;
  active: number;
  delayed: number;
  completed: number;
  failed: number;
  /** Jobs waiting for children (none from lwganet; counted in case the queue is shared). */
  waitingChildren: number;
  prioritized: number;
}

export interface QueueStatus {
  queue: string;
  counts: QueueCounts;
  /** Jobs not finished yet (waiting, active, delayed, prioritized, waiting for children). */
  pending: number;
  failures: Array<{ id: string; inputs: string[]; attempts: number; error: string }>;
}

export async function queueStatus(address: QueueAddress, options: { failedLimit?: number; retryFailed?: boolean } = {}): Promise<QueueStatus> {
  const connection = await connectRedis(address);
  const queue = new Queue<SceneJobData>(address.name, { connection });
  queue.on('error', () => {});
  try {
    if (options.retryFailed) await queue.retryJobs({ state: 'failed' });
    const raw = await queue.getJobCounts('waiting', 'active', 'delayed', 'completed', 'failed', 'prioritized', 'waiting-children');
    const counts: QueueCounts = {
      waiting: raw.waiting ?? 0, active: raw.active ?? 0, delayed: raw.delayed ?? 0, completed: raw.completed ?? 0,
      failed: raw.failed ?? 0, waitingChildren: raw['waiting-children'] ?? 0, prioritized: raw.prioritized ?? 0,
    };
    const limit = options.failedLimit ?? 100;
    const failed = limit > 0 ? await queue.getFailed(0, limit - 1) : [];
    return {
      queue: address.display,
      counts,
      pending: counts.waiting + counts.active + counts.delayed + counts.waitingChildren + counts.prioritized,
      failures: failed.filter((job) => job !== undefined && job !== null).map((job) => ({
        id: String((job.data as SceneJobData | undefined)?.scene?.id ?? job.id),
        inputs: (job.data as SceneJobData | undefined)?.scene?.inputs ?? [],
        attempts: job.attemptsMade,
        error: job.failedReason ?? '',
      })),
    };
  } finally {
    await queue.close();
    connection.disconnect();
  }
}

export function formatStatus(status: QueueStatus): string {
  const c = status.counts;
  const lines = [`${status.queue}: ${c.completed} completed, ${c.failed} failed, ${c.active} active, ${c.waiting + c.prioritized} waiting, ${c.delayed} delayed (retrying)${c.waitingChildren ? `, ${c.waitingChildren} waiting for children` : ''}`];
  for (const f of status.failures.slice(0, 20)) lines.push(`  failed ${f.id} after ${f.attempts} attempts: ${f.error}`);
  if (status.failures.length > 20) lines.push(`  … ${status.failures.length - 20} more (--json lists them)`);
  return `${lines.join('\n')}\n`;
}
