/**
 * Scene ids: stable names derived from the inputs, used as output file names (under the output
 * directory) and as queue job ids, so the same scene always lands on the same files.
 * File inputs are named by their path relative to the deepest directory common to all inputs,
 * without extension (folders are mirrored under the output directory); ids from elsewhere (STAC
 * item ids, CSV columns) are made file-name safe. Two scenes with one id is an up-front error.
 */

import { dirname, extname, relative, resolve, sep } from 'node:path';
import { LwganetError } from '../errors.js';

/** Characters kept in an id segment; anything else becomes "_" (no "..", no separators). */
export function safeSegment(text: string): string {
  const cleaned = text.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\.+/, '_');
  return cleaned.length === 0 ? '_' : cleaned;
}

export function safeId(text: string): string {
  return text.split('/').map(safeSegment).join('/');
}

/** The deepest directory containing every file. */
export function commonDirectory(files: readonly string[]): string {
  if (files.length === 0) return process.cwd();
  let parts = dirname(resolve(files[0])).split(sep);
  for (const file of files.slice(1)) {
    const other = dirname(resolve(file)).split(sep);
    let n = 0;
    while (n < parts.length && n < other.length && parts[n] === other[n]) n++;
    parts = parts.slice(0, n);
  }
  return parts.join(sep) || sep;
}

/** Ids for files: relative path from their common directory, extension dropped. */
export function idsForFiles(files: readonly string[]): string[] {
  const base = commonDirectory(files);
  return files.map((file) => {
    const rel = relative(base, resolve(file));
    const noExt = rel.slice(0, rel.length - extname(rel).length);
    return safeId(noExt.split(sep).join('/'));
  });
}

/** Throws BATCH_INPUT_INVALID naming the first ids given to two different scenes. */
export function requireUniqueIds(scenes: ReadonlyArray<{ id: string; inputs: string[] }>): void {
  const seen = new Map<string, string[]>();
  const clashes: string[] = [];
  for (const scene of scenes) {
    const earlier = seen.get(scene.id);
    if (earlier) clashes.push(`"${scene.id}" (${earlier.join(' + ')} and ${scene.inputs.join(' + ')})`);
    else seen.set(scene.id, scene.inputs);
  }
  if (clashes.length > 0) {
    throw new LwganetError('BATCH_INPUT_INVALID', `Two scenes would write the same outputs: ${clashes.slice(0, 5).join('; ')}${clashes.length > 5 ? ` and ${clashes.length - 5} more` : ''}; rename the inputs or give ids in a CSV`);
  }
}
