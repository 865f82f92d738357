/**
 * DOTA Task1 (oriented boxes) submission files: one `Task1_<class>.txt` per class of the label
 * set, each line `<image id> <score> x1 y1 x2 y2 x3 y3 x4 y4` (the layout DOTA's evaluation and
 * mmrotate's submission writer use), the image id being the image's file name without
 * directory and extension (DOTA's "P0006"). Every class gets its file, empty when it has no
 * detections, as the evaluation server expects.
 *
 * updateDotaTask1() adds one image to the files in a directory, replacing that image's earlier
 * lines, so running detection image by image over a test set builds the submission and a
 * rerun of an image does not duplicate it. Each file is rewritten atomically; two processes
 * updating the same directory at once may lose one's lines.
 */

import { mkdir, readFile } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import { invalidArgument } from '../errors.js';
import type { DetectionResult } from '../tasks/detection.js';
import { dotaClassName, dotaClip, dotaCorners, type DotaOptions } from './detections-dota.js';
import { writeTextAtomically } from './text-file.js';

/** The DOTA image id of a path: "dir/P0006.png" → "P0006". */
export function dotaImageId(image: string): string {
  const name = basename(image);
  const id = name.slice(0, name.length - extname(name).length);
  if (id === '' || /\s/.test(id)) throw invalidArgument('image id', 'a file name without whitespace', image, 'range');
  return id;
}

/** The Task1 lines of one image, by class token ("Task1_<token>.txt"). */
export function dotaTask1Lines(imageId: string, result: DetectionResult, options: DotaOptions = {}): Map<string, string[]> {
  if (typeof imageId !== 'string' || imageId === '' || /\s/.test(imageId)) throw invalidArgument('image id', 'a non-empty name without whitespace', imageId, 'range');
  const clip = dotaClip(options);
  const lines = new Map<string, string[]>(result.labels.map((label) => [dotaClassName(label), []]));
  for (const d of result.detections) {
    const corners = dotaCorners(d, result.width, result.height, clip);
    if (corners === null) continue;
    const token = dotaClassName(d.label);
    if (!lines.has(token)) lines.set(token, []);
    lines.get(token)!.push(`${imageId} ${d.score.toFixed(6)} ${corners}`);
  }
  return lines;
}

async function readLines(file: string): Promise<string[]> {
  try {
    return (await readFile(file, 'utf8')).split('\n').filter((line) => line !== '');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}

/**
 * Writes or updates `Task1_<class>.txt` in `dir` with the detections of one image.
 * @param image the image path or id (its file name without extension is the id)
 * @returns the files written
 */
export async function updateDotaTask1(dir: string, image: string, result: DetectionResult, options: DotaOptions = {}): Promise<string[]> {
  const id = dotaImageId(image);
  const lines = dotaTask1Lines(id, result, options);
  await mkdir(dir, { recursive: true });
  const files: string[] = [];
  for (const [token, fresh] of lines) {
    const file = join(dir, `Task1_${token}.txt`);
    const kept = (await readLines(file)).filter((line) => line.split(' ', 1)[0] !== id);
    await writeTextAtomically(file, [...kept, ...fresh].map((line) => `${line}\n`).join(''));
    files.push(file);
  }
  return files;
}
