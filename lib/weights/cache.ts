/**
 * Where fetched checkpoints and converted models live: $LWGANET_CACHE, else
 * $XDG_CACHE_HOME/lwganet-node, else ~/.cache/lwganet-node.
 */

import { homedir } from 'node:os';
import { join } from 'node:path';

export function cacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.LWGANET_CACHE) return env.LWGANET_CACHE;
  return join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'lwganet-node');
}

/** Path of a downloaded checkpoint file. */
export function checkpointPath(dir: string, file: string): string {
  return join(dir, 'checkpoints', file);
}

/** The files a checkpoint is converted into: TorchScript (.pt) or a compiled package (.pt2). */
export type ModelFileFormat = 'pt' | 'pt2';

/** Path of the model converted from a checkpoint, named by its format's extension. */
export function modelPath(dir: string, model: string, labelSet: string, format: ModelFileFormat = 'pt'): string {
  return join(dir, 'models', `${model}-${labelSet}.${format}`);
}
