/**
 * Progress on stderr for long runs (cli-progress draws only when the stream is a TTY, so piped
 * and test output stays clean). Shown from PROGRESS_MIN_ITEMS items up, or from `minItems` for
 * items slow enough that even two deserve a bar (detection patches).
 */

import { SingleBar } from 'cli-progress';

export const PROGRESS_MIN_ITEMS = 4;

export interface Progress {
  update(done: number): void;
  stop(): void;
}

const NONE: Progress = { update() {}, stop() {} };

export function startProgress(stream: NodeJS.WritableStream, total: number, unit: string, enabled: boolean, minItems = PROGRESS_MIN_ITEMS): Progress {
  if (!enabled || total < minItems) return NONE;
  const bar = new SingleBar({
    stream,
    format: `{bar} {value}/{total} ${unit} | {percentage}% | ETA {eta_formatted}`,
    hideCursor: true,
    clearOnComplete: true,
  });
  bar.start(total, 0);
  return { update: (done) => bar.update(done), stop: () => bar.stop() };
}
