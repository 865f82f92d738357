/**
 * How `lwganet batch` and `lwganet worker` show their events: `--json` prints each event as one
 * line on stdout (for machines); otherwise a progress bar with ETA on a terminal, or one line
 * per finished scene on stderr when stderr is not a terminal (logs, CI).
 */

import type { BatchEvent } from '../batch/events.js';
import type { CliIO } from './io.js';
import { startProgress, type Progress } from './progress.js';

export function batchReporter(io: CliIO, json: boolean, progress: boolean): { onEvent: (event: BatchEvent) => void; stop: () => void } {
  if (json) return { onEvent: (event) => io.out(`${JSON.stringify(event)}\n`), stop() {} };
  const tty = (io.progressStream as NodeJS.WriteStream).isTTY === true && progress;
  let bar: Progress | null = null;
  let total = 0;
  let finished = 0;
  const line = (text: string) => (tty ? undefined : io.err(`${text}\n`));
  return {
    onEvent(event) {
      switch (event.type) {
        case 'start':
          total = event.total;
          if (tty) bar = startProgress(io.progressStream, total, 'scenes', true, 1);
          else io.err(`${event.task}: ${total} scenes → ${event.out} (${event.workers} forwards at once)\n`);
          break;
        case 'scene-done':
          finished++;
          line(`${total ? `[${finished}/${total}] ` : ''}done ${event.id} (${event.ms} ms)`);
          break;
        case 'scene-skipped':
          finished++;
          line(`${total ? `[${finished}/${total}] ` : ''}already done ${event.id}`);
          break;
        case 'scene-failed':
          if (event.final) finished++;
          if (tty && event.final) io.progressStream.write(`\nfailed ${event.id}: ${event.message} [${event.code}]\n`);
          line(`${total && event.final ? `[${finished}/${total}] ` : ''}${event.final ? 'failed' : `attempt ${event.attempt} failed (will retry)`} ${event.id}: ${event.message} [${event.code}]`);
          break;
        default:
          break;
      }
      bar?.update(finished);
    },
    stop: () => bar?.stop(),
  };
}
