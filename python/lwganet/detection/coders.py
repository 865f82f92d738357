"""Box coders of Oriented R-CNN at test time, in plain tensor math.

Rotated boxes are (cx, cy, w, h, θ) in pixels and radians, le90: θ ∈ [−π/2, π/2) is the
angle of the w side from +x, positive clockwise on screen (image y points down), and the
decoders return w ≥ h.
"""

import math

import torch

__all__ = ["MAX_RATIO", "MIDPOINT_STDS", "DELTA_STDS", "norm_angle_le90", "decode_midpoint_offset",
           "decode_delta_xywha", "rbox_to_corners", "rbox_to_hbox"]

# |ln(16/1000)|: the wh_ratio_clip bound on the log size deltas of both coders.
MAX_RATIO = abs(math.log(16.0 / 1000.0))
# Target stds of the two coders (means are 0). Written out again as literals inside the
# decoders: TorchScript cannot read a global tuple.
MIDPOINT_STDS = (1.0, 1.0, 1.0, 1.0, 0.5, 0.5)
DELTA_STDS = (0.1, 0.1, 0.2, 0.2, 0.1)


def norm_angle_le90(angle: torch.Tensor) -> torch.Tensor:
    """((θ + π/2) mod π) − π/2 with floored modulo (torch.remainder, not fmod): [−π/2, π/2)."""
    return torch.remainder(angle + math.pi / 2, math.pi) - math.pi / 2


def decode_midpoint_offset(anchors: torch.Tensor, deltas: torch.Tensor) -> torch.Tensor:
    """Oriented-RPN decoding: (N, 4) anchors (cx, cy, w, h) and (N, 6) raw deltas
    (dx, dy, dw, dh, da, db) → (N, 5) le90 rotated boxes. No clipping, no minimum size."""
    std = torch.tensor([1.0, 1.0, 1.0, 1.0, 0.5, 0.5], dtype=deltas.dtype, device=deltas.device)
    d = deltas * std
    dx, dy = d[:, 0], d[:, 1]
    max_ratio = abs(math.log(16.0 / 1000.0))  # = MAX_RATIO (TorchScript cannot read a global float)
    dw = d[:, 2].clamp(-max_ratio, max_ratio)
    dh = d[:, 3].clamp(-max_ratio, max_ratio)
    da = d[:, 4].clamp(-0.5, 0.5)
    db = d[:, 5].clamp(-0.5, 0.5)
    px, py, pw, ph = anchors[:, 0], anchors[:, 1], anchors[:, 2], anchors[:, 3]
    gw = pw * torch.exp(dw)
    gh = ph * torch.exp(dh)
    gx = px + pw * dx
    gy = py + ph * dy
    x1, x2 = gx - gw * 0.5, gx + gw * 0.5
    y1, y2 = gy - gh * 0.5, gy + gh * 0.5
    # One vertex on each edge of the axis-aligned box: top, right, bottom, left. The four form
    # a parallelogram centred on (gx, gy).
    vx = torch.stack([gx + da * gw, x2, gx - da * gw, x1], dim=1)
    vy = torch.stack([y1, gy + db * gh, y2, gy - db * gh], dim=1)
    # Rectify: stretch every centre→vertex vector to the longest one; equal diagonals of a
    # parallelogram make it a rectangle.
    ox, oy = vx - gx[:, None], vy - gy[:, None]
    length = torch.sqrt(ox * ox + oy * oy)
    longest = length.max(dim=1, keepdim=True).values
    factor = torch.where(length > 0, longest / length.clamp_min(1e-30), torch.ones_like(length))
    vx = gx[:, None] + ox * factor
    vy = gy[:, None] + oy * factor
    return _rect_polygon_to_rbox(vx, vy)


def _rect_polygon_to_rbox(vx: torch.Tensor, vy: torch.Tensor) -> torch.Tensor:
    """(N, 4) vertex coordinates of rectangles (v1..v4 in order) → le90 (cx, cy, w, h, θ)."""
    e1 = torch.sqrt((vx[:, 1] - vx[:, 0]) ** 2 + (vy[:, 1] - vy[:, 0]) ** 2)
    e2 = torch.sqrt((vx[:, 2] - vx[:, 1]) ** 2 + (vy[:, 2] - vy[:, 1]) ** 2)
    a1 = torch.atan2(vy[:, 1] - vy[:, 0], vx[:, 1] - vx[:, 0])
    a2 = torch.atan2(vy[:, 3] - vy[:, 0], vx[:, 3] - vx[:, 0])
    theta = norm_angle_le90(torch.where(e1 > e2, a1, a2))
    cx = (vx[:, 0] + vx[:, 2]) * 0.5
    cy = (vy[:, 0] + vy[:, 2]) * 0.5
    return torch.stack([cx, cy, torch.maximum(e1, e2), torch.minimum(e1, e2), theta], dim=1)


def decode_delta_xywha(rois: torch.Tensor, deltas: torch.Tensor, max_height: float,
                       max_width: float) -> torch.Tensor:
    """RoI-head decoding (DeltaXYWHAOBBoxCoder, le90, proj_xy, edge_swap): (N, 5) RoIs and
    (N, 5) raw deltas → (N, 5) boxes with w ≥ h, centres clamped to the unpadded image."""
    std = torch.tensor([0.1, 0.1, 0.2, 0.2, 0.1], dtype=deltas.dtype, device=deltas.device)
    d = deltas * std
    dx, dy, da = d[:, 0], d[:, 1], d[:, 4]
    max_ratio = abs(math.log(16.0 / 1000.0))  # = MAX_RATIO (TorchScript cannot read a global float)
    dw = d[:, 2].clamp(-max_ratio, max_ratio)
    dh = d[:, 3].clamp(-max_ratio, max_ratio)
    px, py, pw, ph, pa = rois[:, 0], rois[:, 1], rois[:, 2], rois[:, 3], rois[:, 4]
    gw = pw * torch.exp(dw)
    gh = ph * torch.exp(dh)
    cos, sin = torch.cos(pa), torch.sin(pa)
    # The centre offset is expressed in the RoI's own rotated frame (proj_xy); summed in
    # upstream's order, so float32 rounding matches too.
    gx = dx * pw * cos - dy * ph * sin + px
    gy = dx * pw * sin + dy * ph * cos + py
    ga = norm_angle_le90(pa + da)
    gx = gx.clamp(0.0, max_width - 1)
    gy = gy.clamp(0.0, max_height - 1)
    wider = gw > gh
    w = torch.where(wider, gw, gh)
    h = torch.where(wider, gh, gw)
    a = norm_angle_le90(torch.where(wider, ga, ga + math.pi / 2))
    return torch.stack([gx, gy, w, h, a], dim=1)


def rbox_to_corners(boxes: torch.Tensor) -> torch.Tensor:
    """(N, 5) → (N, 4, 2) corners p1..p4 = c − u − v, c + u − v, c + u + v, c − u + v with
    u = (w/2·cosθ, w/2·sinθ), v = (−h/2·sinθ, h/2·cosθ): tl, tr, br, bl at θ = 0."""
    cos, sin = torch.cos(boxes[:, 4]), torch.sin(boxes[:, 4])
    ux, uy = boxes[:, 2] * 0.5 * cos, boxes[:, 2] * 0.5 * sin
    vx, vy = -boxes[:, 3] * 0.5 * sin, boxes[:, 3] * 0.5 * cos
    cx, cy = boxes[:, 0], boxes[:, 1]
    xs = torch.stack([cx - ux - vx, cx + ux - vx, cx + ux + vx, cx - ux + vx], dim=1)
    ys = torch.stack([cy - uy - vy, cy + uy - vy, cy + uy + vy, cy - uy + vy], dim=1)
    return torch.stack([xs, ys], dim=2)


def rbox_to_hbox(boxes: torch.Tensor) -> torch.Tensor:
    """(N, 5) → (N, 4) enclosing axis-aligned boxes (x1, y1, x2, y2)."""
    cos, sin = torch.abs(torch.cos(boxes[:, 4])), torch.abs(torch.sin(boxes[:, 4]))
    half_w = boxes[:, 2] * 0.5 * cos + boxes[:, 3] * 0.5 * sin
    half_h = boxes[:, 2] * 0.5 * sin + boxes[:, 3] * 0.5 * cos
    return torch.stack([boxes[:, 0] - half_w, boxes[:, 1] - half_h, boxes[:, 0] + half_w,
                        boxes[:, 1] + half_h], dim=1)
