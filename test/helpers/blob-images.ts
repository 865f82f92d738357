/**
 * Images for the blob-detector fixture (test/fixtures/make_models.py, detector.pt) and the
 * answer it must give, computed here from the pixels with the same formula: a pixel belongs to
 * object `id` when R ≥ 128 and G = id ≥ 1; the class is max(B) // 16; the box comes from the
 * moments of the object's pixel centres (w = √(12·λ1 + 1), h = √(12·λ2 + 1),
 * θ = ½·atan2(2·cxy, cxx − cyy) in le90) and the score is n / (n + 100).
 */

import type { Detection } from '../../lib/tasks/detection-candidates.js';
import { pattern } from './image-fixtures.js';

export type Blob =
  | { id: number; label: number; rect: [number, number, number, number] }
  | { id: number; label: number; rotated: { cx: number; cy: number; w: number; h: number; angle: number } };

/** The detection a blob must give (its box, score and class index), with the blob's id and pixel count. */
export interface ExpectedBox extends Pick<Detection, 'cx' | 'cy' | 'w' | 'h' | 'angle' | 'score' | 'index'> {
  id: number;
  pixels: number;
}

function inside(blob: Blob, x: number, y: number): boolean {
  if ('rect' in blob) {
    const [x0, y0, x1, y1] = blob.rect;
    return x >= x0 && x < x1 && y >= y0 && y < y1;
  }
  const { cx, cy, w, h, angle } = blob.rotated;
  // Pixel centre in the box's frame.
  const dx = x + 0.5 - cx;
  const dy = y + 0.5 - cy;
  const u = dx * Math.cos(angle) + dy * Math.sin(angle);
  const v = -dx * Math.sin(angle) + dy * Math.cos(angle);
  return Math.abs(u) < w / 2 && Math.abs(v) < h / 2;
}

/** An RGB image with a background the detector ignores (R < 100) and the blobs painted on it. */
export function blobImage(width: number, height: number, blobs: readonly Blob[], seed = 5): Uint8Array {
  const data = pattern(width, height, 3, seed);
  for (let p = 0; p < width * height; p++) data[p * 3] %= 100;
  for (const blob of blobs) {
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        if (!inside(blob, x, y)) continue;
        const p = (y * width + x) * 3;
        data[p] = 255;
        data[p + 1] = blob.id;
        data[p + 2] = blob.label * 16 + 8;
      }
    }
  }
  return data;
}

/**
 * The detector's boxes for the window [left, right) × [top, bottom) of an image, in image
 * coordinates, by descending score (ties by id).
 */
export function expectedBoxes(rgb: Uint8Array, width: number, window?: [number, number, number, number]): ExpectedBox[] {
  const height = rgb.length / 3 / width;
  const [left, top, right, bottom] = window ?? [0, 0, width, height];
  const acc = new Map<number, { n: number; sx: number; sy: number; sxx: number; syy: number; sxy: number; label: number }>();
  for (let y = top; y < bottom; y++) {
    for (let x = left; x < right; x++) {
      const p = (y * width + x) * 3;
      if (rgb[p] < 128 || rgb[p + 1] < 1) continue;
      const id = rgb[p + 1];
      const a = acc.get(id) ?? { n: 0, sx: 0, sy: 0, sxx: 0, syy: 0, sxy: 0, label: 0 };
      // Moments in window coordinates, as the detector sees its patch.
      const cx = x - left + 0.5;
      const cy = y - top + 0.5;
      a.n++;
      a.sx += cx;
      a.sy += cy;
      a.sxx += cx * cx;
      a.syy += cy * cy;
      a.sxy += cx * cy;
      a.label = Math.max(a.label, Math.floor(rgb[p + 2] / 16));
      acc.set(id, a);
    }
  }
  const boxes: ExpectedBox[] = [];
  for (const [id, a] of [...acc.entries()].sort((p, q) => p[0] - q[0])) {
    const mx = a.sx / a.n;
    const my = a.sy / a.n;
    const cxx = a.sxx / a.n - mx * mx;
    const cyy = a.syy / a.n - my * my;
    const cxy = a.sxy / a.n - mx * my;
    const disc = Math.sqrt(((cxx - cyy) / 2) ** 2 + cxy * cxy);
    const l1 = Math.max(0, (cxx + cyy) / 2 + disc);
    const l2 = Math.max(0, (cxx + cyy) / 2 - disc);
    let angle = 0.5 * Math.atan2(2 * cxy, cxx - cyy);
    angle = angle + Math.PI / 2 - Math.PI * Math.floor((angle + Math.PI / 2) / Math.PI) - Math.PI / 2;
    boxes.push({ id, cx: mx + left, cy: my + top, w: Math.sqrt(12 * l1 + 1), h: Math.sqrt(12 * l2 + 1), angle, score: a.n / (a.n + 100), index: a.label, pixels: a.n });
  }
  return boxes.sort((p, q) => q.score - p.score || p.id - q.id);
}
