/**
 * The batch manifest: one small JSON record per scene under OUT/.lwganet-batch/scenes/, written
 * atomically (temporary file + rename) after the scene's outputs are in place. One file per
 * scene rather than one shared file, so any number of workers on any number of machines record
 * scenes without a lock or a read-modify-write race, and a crash loses at most the scene that
 * was running. A record says done (with its output files and their sizes) or failed (code and
 * message); a scene without a record has not finished.
 */

import { createHash } from 'node:crypto';
import { mkdir, readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { writeTextAtomically } from '../output/text-file.js';
import { sameFile, type FileIdentity } from './identity.js';

export const MANIFEST_DIR = '.lwganet-batch';

export interface OutputRecord {
  /** Relative to the output directory. */
  path: string;
  size: number;
}

export interface SceneRecord {
  id: string;
  state: 'done' | 'failed';
  key: string;
  inputs: FileIdentity[];
  outputs: OutputRecord[];
  error?: { code: string; message: string };
  attempts: number;
  /** host:pid of the process that wrote the record. */
  by: string;
  finishedAt: string;
  ms: number;
}

function recordFile(out: string, id: string): string {
  const name = createHash('sha1').update(id).digest('hex');
  return join(out, MANIFEST_DIR, 'scenes', name.slice(0, 2), `${name}.json`);
}

export async function readRecord(out: string, id: string): Promise<SceneRecord | null> {
  try {
    return JSON.parse(await readFile(recordFile(out, id), 'utf8')) as SceneRecord;
  } catch {
    return null; // missing (never finished) or unreadable (treated as not finished)
  }
}

export async function writeRecord(out: string, record: SceneRecord): Promise<void> {
  const file = recordFile(out, record.id);
  await mkdir(join(file, '..'), { recursive: true });
  await writeTextAtomically(file, `${JSON.stringify(record)}\n`);
}

/**
 * True when the scene finished under this key, its inputs are unchanged and every output it
 * recorded is still there with its recorded size.
 */
export async function isDone(out: string, id: string, key: string, inputs: readonly FileIdentity[]): Promise<SceneRecord | null> {
  const record = await readRecord(out, id);
  if (record === null || record.state !== 'done' || record.key !== key) return null;
  if (record.inputs.length !== inputs.length || !record.inputs.every((r, i) => sameFile(r, inputs[i]))) return null;
  for (const output of record.outputs) {
    try {
      if ((await stat(join(out, output.path))).size !== output.size) return null;
    } catch {
      return null;
    }
  }
  return record;
}

/** Every record in the manifest (for status and reports). */
export async function readAllRecords(out: string): Promise<SceneRecord[]> {
  const root = join(out, MANIFEST_DIR, 'scenes');
  const records: SceneRecord[] = [];
  let shards: string[];
  try {
    shards = await readdir(root);
  } catch {
    return records;
  }
  for (const shard of shards) {
    for (const name of await readdir(join(root, shard))) {
      if (!name.endsWith('.json')) continue;
      try {
        records.push(JSON.parse(await readFile(join(root, shard, name), 'utf8')) as SceneRecord);
      } catch {
        // a torn file cannot exist (atomic writes); anything else unreadable is skipped
      }
    }
  }
  return records;
}
