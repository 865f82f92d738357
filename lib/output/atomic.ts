/**
 * Output files appear whole or not at all: everything is written to a temporary file next to
 * the target (same directory, so rename() is atomic on one file system) and renamed at the end;
 * on any failure the temporary file is removed and the target is left as it was. Temporary
 * files of dead processes are swept first, and the CLI removes its own on SIGINT/SIGTERM.
 */

import { randomBytes } from 'node:crypto';
import { open, rename, rm, type FileHandle } from 'node:fs/promises';
import { sweepStaleTempFiles, tempNameFor, trackTempFile, untrackTempFile } from './temp-files.js';

/**
 * Runs `write` with the path of a temporary file beside `file` (its name ends in `suffix`: GDAL
 * picks a driver by extension), then renames that file to `file`.
 */
export async function writeAtomicallyAt(file: string, write: (temp: string) => Promise<void>, suffix = ''): Promise<void> {
  sweepStaleTempFiles(file);
  const temp = `${tempNameFor(file, randomBytes(4).toString('hex'))}${suffix}`;
  trackTempFile(temp);
  try {
    await write(temp);
    await rename(temp, file);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  } finally {
    untrackTempFile(temp);
  }
}

/** Runs `write` on a temporary file handle (created new, synced before closing), then renames it to `file`. */
export function writeAtomically(file: string, write: (handle: FileHandle) => Promise<void>): Promise<void> {
  return writeAtomicallyAt(file, async (temp) => {
    const handle = await open(temp, 'wx');
    try {
      await write(handle);
      await handle.sync();
    } finally {
      await handle.close();
    }
  });
}
