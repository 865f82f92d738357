/**
 * Clipping a box's corners to the image, for DOTA files (whose boxes are 4 points inside the
 * image): the quadrilateral is intersected with the rectangle [0, width] × [0, height]
 * (Sutherland–Hodgman, exact for a convex polygon and a rectangle), and while the intersection
 * has more than 4 vertices the vertex whose removal loses the least area is dropped. Dropping a
 * vertex of a convex polygon only cuts a triangle off, so the result stays convex and inside the
 * image; it keeps the clipped box's largest greedy 4-gon. A 3-vertex intersection repeats its
 * last vertex (a degenerate quad, which DOTA tools accept). Null when nothing of the box is in
 * the image.
 */

import type { Quad } from './rotated-box.js';

type Point = [number, number];

function clipEdge(points: Point[], inside: (p: Point) => boolean, cross: (a: Point, b: Point) => Point): Point[] {
  const out: Point[] = [];
  for (let i = 0; i < points.length; i++) {
    const current = points[i];
    const previous = points[(i + points.length - 1) % points.length];
    if (inside(current)) {
      if (!inside(previous)) out.push(cross(previous, current));
      out.push(current);
    } else if (inside(previous)) {
      out.push(cross(previous, current));
    }
  }
  return out;
}

function atX(x: number): (a: Point, b: Point) => Point {
  return (a, b) => [x, a[1] + ((b[1] - a[1]) * (x - a[0])) / (b[0] - a[0])];
}

function atY(y: number): (a: Point, b: Point) => Point {
  return (a, b) => [a[0] + ((b[0] - a[0]) * (y - a[1])) / (b[1] - a[1]), y];
}

function triangleArea(a: Point, b: Point, c: Point): number {
  return Math.abs((b[0] - a[0]) * (c[1] - a[1]) - (c[0] - a[0]) * (b[1] - a[1])) / 2;
}

/** The part of `quad` inside the image as 4 points, or null when none of it is. */
export function clipQuadToImage(quad: Quad, width: number, height: number): Quad | null {
  let points: Point[] = quad.map(([x, y]) => [x, y]);
  points = clipEdge(points, (p) => p[0] >= 0, atX(0));
  points = clipEdge(points, (p) => p[0] <= width, atX(width));
  points = clipEdge(points, (p) => p[1] >= 0, atY(0));
  points = clipEdge(points, (p) => p[1] <= height, atY(height));
  // Repeated points (a corner exactly on the border) carry no area.
  points = points.filter((p, i) => {
    const q = points[(i + 1) % points.length];
    return p[0] !== q[0] || p[1] !== q[1];
  });
  if (points.length < 3) return null;
  while (points.length > 4) {
    let best = 0;
    let bestLoss = Infinity;
    for (let i = 0; i < points.length; i++) {
      const loss = triangleArea(points[(i + points.length - 1) % points.length], points[i], points[(i + 1) % points.length]);
      if (loss < bestLoss) {
        bestLoss = loss;
        best = i;
      }
    }
    points.splice(best, 1);
  }
  if (points.length === 3) points.push(points[2]);
  let area = 0;
  for (let i = 0; i < 4; i++) area += points[i][0] * points[(i + 1) % 4][1] - points[(i + 1) % 4][0] * points[i][1];
  return area === 0 ? null : (points as Quad);
}
