/** What a batch reports as it goes (`--json` prints each as one line) and its final summary. */

import { join } from 'node:path';
import { writeTextAtomically } from '../output/text-file.js';
import type { BatchTask } from './spec.js';

export type BatchEvent =
  | { type: 'start'; task: BatchTask; model: string; out: string; total: number; workers: number }
  | { type: 'scene-start'; id: string; attempt: number; worker: string }
  | { type: 'scene-done'; id: string; outputs: string[]; ms: number; attempt: number; worker: string }
  | { type: 'scene-skipped'; id: string; worker: string }
  | { type: 'scene-failed'; id: string; code: string; message: string; attempt: number; final: boolean; worker: string }
  | { type: 'summary'; summary: BatchSummary };

export interface BatchSummary {
  task: BatchTask;
  model: string;
  out: string;
  total: number;
  /** Run now. */
  done: number;
  /** Found done by an earlier run (inputs and outputs unchanged). */
  skipped: number;
  failed: number;
  /** Not started because the run was interrupted. */
  notRun: number;
  interrupted: boolean;
  seconds: number;
  /** Scenes run per second of wall time (skipped ones excluded). */
  scenesPerSecond: number;
  failures: Array<{ id: string; code: string; message: string }>;
  startedAt: string;
  finishedAt: string;
}

export const SUMMARY_FILE = 'batch-summary.json';

export async function writeSummary(summary: BatchSummary): Promise<string> {
  const file = join(summary.out, SUMMARY_FILE);
  await writeTextAtomically(file, `${JSON.stringify(summary, null, 2)}\n`);
  return file;
}

/** The summary as a few lines of text. */
export function formatSummary(s: BatchSummary): string {
  const lines = [
    `${s.task}: ${s.total} scenes: ${s.done} done, ${s.skipped} already done, ${s.failed} failed${s.notRun ? `, ${s.notRun} not run (interrupted)` : ''}`,
    `${s.seconds.toFixed(1)} s, ${s.scenesPerSecond.toFixed(2)} scenes/s → ${s.out}`,
  ];
  for (const f of s.failures.slice(0, 20)) lines.push(`  failed ${f.id}: ${f.message} [${f.code}]`);
  if (s.failures.length > 20) lines.push(`  … and ${s.failures.length - 20} more in ${join(s.out, SUMMARY_FILE)}`);
  return `${lines.join('\n')}\n`;
}
