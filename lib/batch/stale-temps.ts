/**
 * Removes temporary files a killed process left in the output tree. Atomic writers name them
 * ".NAME.PID.HEX.tmp"; only those whose PID is no longer alive on this machine are removed, so
 * a concurrent writer's file is never touched. (Called by the local runner only: on a shared
 * store, PIDs of other machines mean nothing here.)
 */

import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';

const TEMP = /^\..+\.(\d+)\.[0-9a-f]{8}\.tmp$/;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export async function removeStaleTemps(dir: string): Promise<number> {
  let removed = 0;
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return 0;
  }
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) removed += await removeStaleTemps(path);
    else {
      const match = TEMP.exec(entry.name);
      if (match && Number(match[1]) !== process.pid && !alive(Number(match[1]))) {
        await rm(path, { force: true });
        removed++;
      }
    }
  }
  return removed;
}
