/**
 * Cross-patch merge (DOTA devkit's merge_det): every patch's detections above the score
 * threshold are shifted by the patch offset into image pixels and collected; at the end a
 * per-class rotated NMS (native rotatedNms, exact polygon IoU) keeps one box per object, so an
 * object seen by two overlapping patches is reported once — the higher-scored view wins, which
 * for a detector is normally the patch that sees the object whole.
 *
 * Filtering by score before the NMS gives the same survivors as filtering after it: a box can
 * only be suppressed by a higher-scored one, and those pass the threshold too.
 */

import { rotatedNms } from '../detection/nms.js';
import { corners, toLe90, type Quad } from '../detection/rotated-box.js';
import type { PatchDetections } from './detector-output.js';

/** One detected object in original image pixels. */
export interface Detection {
  /** Centre, pixels (pixel i spans [i, i + 1), so pixel centres are at i + 0.5). */
  cx: number;
  cy: number;
  /** Long side and short side, pixels (w ≥ h). */
  w: number;
  h: number;
  /** Angle of the w side from +x in radians, le90: [−π/2, π/2), positive clockwise on screen. */
  angle: number;
  score: number;
  /** Class name (the index as a string when the model lists no labels). */
  label: string;
  /** Class index. */
  index: number;
  /** Corners p1..p4 = c − u − v, c + u − v, c + u + v, c − u + v (u along w, v along h). */
  polygon: Quad;
}

/** Collects patch detections and merges them into the image's detections. */
export class DetectionCandidates {
  private readonly boxes: number[] = [];
  private readonly scores: number[] = [];
  private readonly labels: number[] = [];

  constructor(private readonly scoreThreshold: number) {}

  get size(): number {
    return this.scores.length;
  }

  /** Adds one patch's detections whose score is above the threshold, shifted by the patch's top-left corner. */
  add(patch: PatchDetections, left: number, top: number): void {
    for (let i = 0; i < patch.count; i++) {
      const score = patch.scores[i];
      if (!(score > this.scoreThreshold)) continue;
      const b = i * 5;
      this.boxes.push(patch.boxes[b] + left, patch.boxes[b + 1] + top, patch.boxes[b + 2], patch.boxes[b + 3], patch.boxes[b + 4]);
      this.scores.push(score);
      this.labels.push(patch.labels[i]);
    }
  }

  /**
   * Per-class rotated NMS over all candidates.
   * @returns the kept detections by descending score (ties: earlier patch, then the model's order)
   */
  merge(iouThreshold: number, labelOf: (index: number) => string): Detection[] {
    if (this.size === 0) return [];
    const kept = rotatedNms(Float64Array.from(this.boxes), Float64Array.from(this.scores), iouThreshold, { labels: this.labels });
    return Array.from(kept, (k) => {
      const b = k * 5;
      const box = toLe90({ cx: this.boxes[b], cy: this.boxes[b + 1], w: this.boxes[b + 2], h: this.boxes[b + 3], angle: this.boxes[b + 4] });
      const index = this.labels[k];
      return { ...box, score: this.scores[k], label: labelOf(index), index, polygon: corners(box) };
    });
  }
}
