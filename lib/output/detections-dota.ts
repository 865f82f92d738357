/**
 * Detections as one DOTA text file for one image. Each line is
 *   x1 y1 x2 y2 x3 y3 x4 y4 <class> <score>
 * — the layout of DOTA's annotation files (labelTxt) with the score where ground truth has its
 * `difficult` flag, in image pixels, corners in DOTA's order (the cyclic rotation closest to
 * the bounding box's top-left, top-right, bottom-right, bottom-left), by
 * descending score. One file per image rather than the submission's per-class
 * `Task1_<class>.txt` files: those collect the lines of every image of a test set
 * (`<image> <score> x1 … y4`) and are built by concatenating per-image results. Whitespace in a
 * class name becomes "_" so every line has exactly 10 fields.
 */

import { dotaOrder } from '../detection/rotated-box.js';
import type { DetectionResult } from '../tasks/detection.js';
import { writeTextAtomically } from './text-file.js';

function coordinate(v: number): string {
  return v.toFixed(2);
}

/** The text written to a .txt file. */
export function detectionsDotaText(result: DetectionResult): string {
  return result.detections
    .map((d) => `${dotaOrder(d.polygon).flat().map(coordinate).join(' ')} ${d.label.replace(/\s+/g, '_')} ${d.score.toFixed(6)}\n`)
    .join('');
}

/** Writes the DOTA text file atomically. */
export async function writeDetectionsDota(file: string, result: DetectionResult): Promise<void> {
  await writeTextAtomically(file, detectionsDotaText(result));
}
