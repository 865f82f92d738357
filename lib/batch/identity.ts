/**
 * What makes a finished scene still valid: its inputs unchanged (size and modification time of
 * each file) and the same work asked of it (task, model, options: the batch key). Hashing
 * gigabyte scenes on every rerun would cost as much as reading them; size+mtime is what make
 * and rsync trust, and an edited or replaced file changes one of the two.
 */

import { createHash } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { LwganetError } from '../errors.js';
import type { BatchSpec } from './spec.js';

export interface FileIdentity {
  path: string;
  size: number;
  mtimeMs: number;
}

/** Size and mtime of an input; INPUT_NOT_FOUND when it is missing or not a file. */
export async function fileIdentity(path: string): Promise<FileIdentity> {
  let info;
  try {
    info = await stat(path);
  } catch (error) {
    throw new LwganetError('INPUT_NOT_FOUND', `Input ${JSON.stringify(path)} does not exist or cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`, { cause: error });
  }
  if (!info.isFile()) throw new LwganetError('INPUT_NOT_FOUND', `Input ${JSON.stringify(path)} is not a file`);
  return { path, size: info.size, mtimeMs: Math.round(info.mtimeMs) };
}

export function sameFile(a: FileIdentity, b: FileIdentity): boolean {
  return a.path === b.path && a.size === b.size && a.mtimeMs === b.mtimeMs;
}

/**
 * The batch key: a hash of the task, the model (its path with size and mtime, or its URL) and
 * the options. A scene finished under another key is done again.
 */
export async function batchKey(spec: BatchSpec): Promise<string> {
  let model: unknown = spec.model;
  if (!/^https?:\/\//.test(spec.model)) {
    try {
      model = await fileIdentity(spec.model);
    } catch {
      model = spec.model; // a worker reports the missing model per scene
    }
  }
  const options = Object.fromEntries(Object.entries(spec.options).filter(([, v]) => v !== undefined).sort(([a], [b]) => a.localeCompare(b)));
  return createHash('sha256').update(JSON.stringify({ task: spec.task, model, options })).digest('hex').slice(0, 32);
}
