/**
 * Where a batch's scenes come from: paths and globs, a list file (one path a line), a STAC
 * ItemCollection (one asset per item, picked by key or role), and for change detection pairs
 * (two list files read line by line, or a CSV of before,after[,id]). Relative paths in a file
 * are relative to that file. Everything is read up front: a source that cannot be read or
 * parsed fails the batch (BATCH_INPUT_INVALID) before anything runs; an input file that does
 * not exist stays a scene and fails on its own (INPUT_NOT_FOUND), so one missing file never
 * stops an archive.
 */

import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { glob, isDynamicPattern } from 'tinyglobby';
import { LwganetError } from '../errors.js';
import { idsForFiles, requireUniqueIds, safeId } from './scene-id.js';
import type { BatchTask, Scene } from './spec.js';

export interface SceneSources {
  /** Paths or glob patterns (e.g. "tiles/**\/*.tif"). */
  inputs?: string[];
  /** A text file with one path a line ("#" starts a comment). */
  list?: string;
  /** A STAC ItemCollection (GeoJSON FeatureCollection of Items) file. */
  stac?: string;
  /** STAC: asset keys to use, first present wins (default: "visual", then the first with role "data"). */
  assetKeys?: string[];
  /** STAC: role an asset must have (instead of keys). */
  assetRole?: string;
  /** change: list files of earlier and later images, paired line by line. */
  beforeList?: string;
  afterList?: string;
  /** change: CSV with columns before,after and optionally id (a header row is optional). */
  pairs?: string;
}

function invalid(message: string, cause?: unknown): LwganetError {
  return new LwganetError('BATCH_INPUT_INVALID', message, { cause });
}

async function readSource(file: string, what: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    throw invalid(`The ${what} ${JSON.stringify(file)} cannot be read: ${(error as Error).message}`, error);
  }
}

/** Lines of a list file, comments and blanks dropped, resolved against its directory. */
export async function readListFile(file: string): Promise<string[]> {
  const text = await readSource(file, 'list file');
  const base = dirname(resolve(file));
  return text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line.length > 0 && !line.startsWith('#'))
    .map((line) => resolve(base, line));
}

/** Expands globs (sorted, files only); plain paths pass through even when missing. */
export async function expandPaths(patterns: readonly string[]): Promise<string[]> {
  const files: string[] = [];
  for (const pattern of patterns) {
    if (isDynamicPattern(pattern)) {
      const found = await glob(pattern, { absolute: true, onlyFiles: true });
      if (found.length === 0) throw invalid(`The pattern ${JSON.stringify(pattern)} matches no file`);
      files.push(...found.sort());
    } else {
      files.push(resolve(pattern));
    }
  }
  return files;
}

interface StacAsset {
  href?: unknown;
  roles?: unknown;
}

function assetPath(href: string, base: string, item: string): string {
  if (href.startsWith('file://')) return fileURLToPath(href);
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(href)) {
    throw invalid(`STAC item "${item}" points at ${href}; only local (or mounted shared) files can be read: download or mount the assets first`);
  }
  return isAbsolute(href) ? href : resolve(base, href);
}

/** One scene per STAC item: the chosen asset's file, the item id as scene id. */
export async function readStacItems(file: string, keys: readonly string[] | undefined, role: string | undefined): Promise<Scene[]> {
  const text = await readSource(file, 'STAC ItemCollection');
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (error) {
    throw invalid(`The STAC ItemCollection ${JSON.stringify(file)} is not JSON: ${(error as Error).message}`, error);
  }
  const features = (doc as { type?: unknown; features?: unknown } | null)?.features;
  if ((doc as { type?: unknown } | null)?.type !== 'FeatureCollection' || !Array.isArray(features)) {
    throw invalid(`The STAC file ${JSON.stringify(file)} is not an ItemCollection (a FeatureCollection with "features")`);
  }
  const base = dirname(resolve(file));
  return features.map((feature: unknown, index) => {
    const item = feature as { id?: unknown; assets?: unknown } | null;
    const id = typeof item?.id === 'string' && item.id.length > 0 ? item.id : null;
    if (id === null) throw invalid(`STAC item ${index} in ${JSON.stringify(file)} has no id`);
    const assets = item?.assets;
    if (typeof assets !== 'object' || assets === null) throw invalid(`STAC item "${id}" has no assets`);
    const entries = Object.entries(assets as Record<string, StacAsset>);
    const hasRole = (asset: StacAsset, wanted: string) => Array.isArray(asset.roles) && asset.roles.includes(wanted);
    let chosen: [string, StacAsset] | undefined;
    if (role !== undefined) chosen = entries.find(([, asset]) => hasRole(asset, role));
    else if (keys !== undefined && keys.length > 0) chosen = keys.map((key) => entries.find(([k]) => k === key)).find((e) => e !== undefined);
    else chosen = entries.find(([k]) => k === 'visual') ?? entries.find(([, asset]) => hasRole(asset, 'data'));
    if (!chosen) {
      const wanted = role !== undefined ? `an asset with role "${role}"` : keys?.length ? `an asset named ${keys.map((k) => `"${k}"`).join(' or ')}` : 'a "visual" asset or one with role "data"';
      throw invalid(`STAC item "${id}" has no ${wanted} (its assets: ${entries.map(([k]) => k).join(', ') || 'none'})`);
    }
    const href = chosen[1].href;
    if (typeof href !== 'string' || href.length === 0) throw invalid(`STAC item "${id}" asset "${chosen[0]}" has no href`);
    return { id: safeId(id), inputs: [assetPath(href, base, id)] };
  });
}

function csvFields(line: string): string[] {
  const fields: string[] = [];
  let current = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') (current += '"'), i++;
      else if (c === '"') quoted = false;
      else current += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') fields.push(current.trim()), (current = '');
    else current += c;
  }
  fields.push(current.trim());
  return fields;
}

/** Change pairs from a CSV: before,after[,id]; a first row naming the columns is a header. */
export async function readPairsCsv(file: string): Promise<Scene[]> {
  const text = await readSource(file, 'pairs CSV');
  const base = dirname(resolve(file));
  const rows = text.split(/\r?\n/).filter((line) => line.trim().length > 0 && !line.trimStart().startsWith('#')).map(csvFields);
  let columns = { before: 0, after: 1, id: 2 };
  if (rows.length > 0 && rows[0].some((f) => f.toLowerCase() === 'before')) {
    const header = rows.shift()!.map((f) => f.toLowerCase());
    columns = { before: header.indexOf('before'), after: header.indexOf('after'), id: header.indexOf('id') };
    if (columns.after < 0) throw invalid(`The pairs CSV ${JSON.stringify(file)} has a "before" column but no "after" column`);
  }
  const pairs = rows.map((row, n) => {
    const before = row[columns.before];
    const after = row[columns.after];
    if (!before || !after) throw invalid(`Row ${n + 1} of the pairs CSV ${JSON.stringify(file)} needs a before and an after path`);
    return { before: resolve(base, before), after: resolve(base, after), id: columns.id >= 0 ? row[columns.id] : undefined };
  });
  const derived = idsForFiles(pairs.map((p) => p.before));
  return pairs.map((p, i) => ({ id: p.id ? safeId(p.id) : derived[i], inputs: [p.before, p.after] }));
}

/**
 * Every scene of a batch, in input order, with unique ids.
 * @throws BATCH_INPUT_INVALID for unreadable or malformed sources, no scenes, sources the task
 *   cannot take, or two scenes with one id
 */
export async function resolveScenes(task: BatchTask, sources: SceneSources): Promise<Scene[]> {
  const scenes: Scene[] = [];
  if (task === 'change') {
    if (sources.inputs?.length || sources.list || sources.stac) {
      throw invalid('Change detection takes pairs: give --pairs FILE.csv or --before-list FILE with --after-list FILE');
    }
    if (sources.pairs) scenes.push(...(await readPairsCsv(sources.pairs)));
    if (sources.beforeList || sources.afterList) {
      if (!sources.beforeList || !sources.afterList) throw invalid('--before-list and --after-list go together');
      const before = await readListFile(sources.beforeList);
      const after = await readListFile(sources.afterList);
      if (before.length !== after.length) throw invalid(`The before list has ${before.length} images and the after list ${after.length}; they are paired line by line`);
      const ids = idsForFiles(before);
      scenes.push(...before.map((file, i) => ({ id: ids[i], inputs: [file, after[i]] })));
    }
  } else {
    if (sources.pairs || sources.beforeList || sources.afterList) throw invalid(`Pairs (--pairs, --before-list, --after-list) are for change detection, not ${task}`);
    const files = [...(await expandPaths(sources.inputs ?? [])), ...(sources.list ? await readListFile(sources.list) : [])];
    const ids = idsForFiles(files);
    scenes.push(...files.map((file, i) => ({ id: ids[i], inputs: [file] })));
    if (sources.stac) scenes.push(...(await readStacItems(sources.stac, sources.assetKeys, sources.assetRole)));
  }
  if (scenes.length === 0) throw invalid('No scenes: give image paths or globs, --list, --stac, or for change --pairs / --before-list with --after-list');
  requireUniqueIds(scenes);
  return scenes;
}
