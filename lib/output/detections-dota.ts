/**
 * Detections as one DOTA label file for one image, in DOTA's own annotation format (labelTxt):
 *   x1 y1 x2 y2 x3 y3 x4 y4 <class> <difficulty>
 * in image pixels, corners in DOTA's order (the cyclic rotation closest to the bounding box's
 * top-left, top-right, bottom-right, bottom-left), by descending score. Difficulty is the
 * integer 0 ("not difficult"): loaders such as mmrotate's parse it with int() and drop boxes
 * above their difficulty threshold; the score has no column in this format (Task1 submission
 * files, dota-task1.ts, carry it). Whitespace in a class name becomes "_" so every line has
 * exactly 10 fields. With `clip`, corners are clipped to the image (clip-quad.ts) and boxes
 * with nothing inside the image are left out.
 */

import { clipQuadToImage } from '../detection/clip-quad.js';
import { dotaOrder, type Quad } from '../detection/rotated-box.js';
import { invalidArgument } from '../errors.js';
import type { Detection, DetectionResult } from '../tasks/detection.js';
import { writeTextAtomically } from './text-file.js';

export interface DotaOptions {
  /** Clip every box to the image rectangle. Default false (corners may lie outside the image). */
  clip?: boolean;
}

/** A DOTA class token: the label with whitespace replaced by "_". */
export function dotaClassName(label: string): string {
  return label.replace(/\s+/g, '_');
}

/** Checks the options and gives the clip flag. */
export function dotaClip(options: DotaOptions): boolean {
  const clip = options.clip ?? false;
  if (typeof clip !== 'boolean') throw invalidArgument('clip', 'a boolean', clip);
  return clip;
}

/** The box's 8 coordinates in DOTA's corner order as text (2 decimals), clipped on request; null when clipped away. */
export function dotaCorners(d: Detection, width: number, height: number, clip: boolean): string | null {
  const quad: Quad | null = clip ? clipQuadToImage(d.polygon, width, height) : d.polygon;
  if (!quad) return null;
  return dotaOrder(quad).flat().map((v) => v.toFixed(2)).join(' ');
}

/** The text written to a .txt label file. */
export function detectionsDotaText(result: DetectionResult, options: DotaOptions = {}): string {
  const clip = dotaClip(options);
  let text = '';
  for (const d of result.detections) {
    const corners = dotaCorners(d, result.width, result.height, clip);
    if (corners !== null) text += `${corners} ${dotaClassName(d.label)} 0\n`;
  }
  return text;
}

/** Writes the DOTA label file atomically. */
export async function writeDetectionsDota(file: string, result: DetectionResult, options: DotaOptions = {}): Promise<void> {
  await writeTextAtomically(file, detectionsDotaText(result, options));
}
