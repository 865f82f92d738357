/**
 * Geometry of rotated boxes in the le90 convention (mmrotate's): (cx, cy, w, h, θ) with
 * θ ∈ [−π/2, π/2) in radians, w the long side, θ the angle of the w side from +x, positive
 * clockwise on screen (image y points down).
 */

/** A rotated box in pixel coordinates. */
export interface RotatedBox {
  cx: number;
  cy: number;
  w: number;
  h: number;
  angle: number;
}

/** Four corners [x, y]. */
export type Quad = [[number, number], [number, number], [number, number], [number, number]];

const HALF_PI = Math.PI / 2;

/** How far below −π/2 an angle may be and still count as −π/2: float32(−π/2) lies 4.4e-8 below it. */
const SNAP = 1e-6;

/**
 * θ wrapped into [−π/2, π/2) with a floored modulo (as torch.remainder). An angle a rounding
 * error below −π/2 — a detector's float32 −π/2 — is taken as −π/2 rather than wrapped to +π/2.
 */
export function wrapLe90(angle: number): number {
  if (angle < -HALF_PI && angle >= -HALF_PI - SNAP) return -HALF_PI;
  const shifted = angle + HALF_PI;
  const wrapped = shifted - Math.PI * Math.floor(shifted / Math.PI) - HALF_PI;
  // Rounding can land exactly on +π/2, which belongs to the other end of the interval, or (for
  // angles of thousands of radians) a few ulps below −π/2, which is −π/2.
  if (wrapped >= HALF_PI) return wrapped - Math.PI;
  return wrapped < -HALF_PI ? -HALF_PI : wrapped;
}

/** The same rectangle in le90 form: w ≥ h (swapping the sides turns the angle by π/2), θ wrapped. */
export function toLe90(box: RotatedBox): RotatedBox {
  const { cx, cy, w, h, angle } = box;
  return w >= h ? { cx, cy, w, h, angle: wrapLe90(angle) } : { cx, cy, w: h, h: w, angle: wrapLe90(angle + HALF_PI) };
}

/**
 * Corners p1..p4 = c − u − v, c + u − v, c + u + v, c − u + v with u = (w/2·cosθ, w/2·sinθ) and
 * v = (−h/2·sinθ, h/2·cosθ): at θ = 0 these are top-left, top-right, bottom-right, bottom-left.
 */
export function corners(box: RotatedBox): Quad {
  const { cx, cy, w, h, angle } = box;
  const cos = Math.cos(angle);
  const sin = Math.sin(angle);
  const ux = (w / 2) * cos;
  const uy = (w / 2) * sin;
  const vx = (-h / 2) * sin;
  const vy = (h / 2) * cos;
  return [
    [cx - ux - vx, cy - uy - vy],
    [cx + ux - vx, cy + uy - vy],
    [cx + ux + vx, cy + uy + vy],
    [cx - ux + vx, cy - uy + vy],
  ];
}

/**
 * The cyclic rotation of the corners whose summed distance to the axis-aligned bounding box's
 * (top-left, top-right, bottom-right, bottom-left) is smallest: the order DOTA files use.
 * The first such rotation wins a tie.
 */
export function dotaOrder(quad: Quad): Quad {
  const xs = quad.map((p) => p[0]);
  const ys = quad.map((p) => p[1]);
  const [x1, y1, x2, y2] = [Math.min(...xs), Math.min(...ys), Math.max(...xs), Math.max(...ys)];
  const target = [[x1, y1], [x2, y1], [x2, y2], [x1, y2]];
  let best = 0;
  let bestDistance = Infinity;
  for (let shift = 0; shift < 4; shift++) {
    let distance = 0;
    for (let i = 0; i < 4; i++) {
      const p = quad[(i + shift) % 4];
      distance += Math.hypot(p[0] - target[i][0], p[1] - target[i][1]);
    }
    if (distance < bestDistance) {
      bestDistance = distance;
      best = shift;
    }
  }
  return [0, 1, 2, 3].map((i) => quad[(i + best) % 4]) as Quad;
}
