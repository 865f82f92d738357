/**
 * Fetches official weights for a CLI command (`pretrained`, `weights fetch`), with a progress bar
 * in KiB on stderr while the server announces the download's size.
 */

import type { ModelFileFormat } from '../../weights/cache.js';
import { fetchWeights, type FetchedWeights } from '../../weights/fetch.js';
import type { WeightsVariant } from '../../weights/variants.js';
import type { CliIO } from '../io.js';
import { startProgress, type Progress } from '../progress.js';

/** The flags both commands share. */
export interface CliFetchFlags {
  from?: string;
  force?: boolean;
  sha256?: string;
  cacheDir?: string;
  progress: boolean;
}

/** The bar is gone when this settles, so the caller's messages start on a clean line. */
export async function fetchWeightsForCli(variant: WeightsVariant, flags: CliFetchFlags, io: CliIO, format: ModelFileFormat = 'pt'): Promise<FetchedWeights> {
  const holder: { bar: Progress | null } = { bar: null };
  try {
    return await fetchWeights(variant, {
      format,
      from: flags.from,
      force: flags.force,
      sha256: flags.sha256,
      cacheDir: flags.cacheDir,
      env: io.env,
      onProgress: (received, total) => {
        if (total === null) return;
        holder.bar ??= startProgress(io.progressStream, Math.ceil(total / 1024), 'KiB', flags.progress);
        holder.bar.update(Math.floor(received / 1024));
      },
    });
  } finally {
    holder.bar?.stop();
  }
}
