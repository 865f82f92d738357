"""Non-maximum suppression of Oriented R-CNN, pure torch.

The Python reference behind the two ``lwganet`` operators (native_ops.py), whose docstring is
the contract the addon's C++ kernels follow too:

- ``batched_nms_aligned``: RPN stage; greedy NMS on axis-aligned (N, 4) boxes, separately per
  level (mmcv ``batched_nms`` with ``nms``: areas without +1, IoU > 0.8 suppresses);
- ``batched_nms_rotated``: final stage and patch merge; greedy NMS per class with the exact IoU
  of two rotated rectangles (mmcv ``nms_rotated``, IoU > 0.1 suppresses).

Both are the textbook sequential greedy loop: visit candidates by descending score (ties by
ascending index), keep one, drop every later candidate of its group whose IoU with it exceeds
the threshold. Each step computes the IoU of the kept box against the still-alive later ones
only, so the cost is (kept × alive) pairs instead of a full N × N matrix.
"""

from typing import Callable, List

import torch

from .coders import rbox_to_corners, rbox_to_hbox

__all__ = ["box_iou_aligned", "rotated_iou_pairs", "rotated_iou_matrix", "nms_aligned", "nms_rotated_reference",
           "batched_nms_aligned", "batched_nms_rotated"]

# Tolerance of the point-in-rectangle test, relative to the boxes' scale: vertices lying on the
# other box's boundary (identical or touching boxes) must count as inside, or the intersection
# polygon loses corners.
_EPS = 1e-6


def box_iou_aligned(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """IoU matrix of (N, 4) and (M, 4) boxes (x1, y1, x2, y2); areas without +1 (mmcv)."""
    lt = torch.maximum(a[:, None, :2], b[None, :, :2])
    rb = torch.minimum(a[:, None, 2:], b[None, :, 2:])
    wh = (rb - lt).clamp_min(0)
    inter = wh[..., 0] * wh[..., 1]
    area_a = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1])
    area_b = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    union = area_a[:, None] + area_b[None, :] - inter
    return torch.where(union > 0, inter / union.clamp_min(1e-30), torch.zeros_like(inter))


def _inside(points: torch.Tensor, quad: torch.Tensor) -> torch.Tensor:
    """(P, K, 2) points inside (P, 4, 2) convex quads (either orientation), boundary included."""
    edge = quad.roll(-1, dims=1) - quad  # (P, 4, 2)
    rel = points[:, :, None, :] - quad[:, None, :, :]  # (P, K, 4, 2)
    cross = edge[:, None, :, 0] * rel[..., 1] - edge[:, None, :, 1] * rel[..., 0]
    scale = (edge * edge).sum(-1).max(dim=1).values.clamp_min(1e-30)[:, None, None]
    tol = _EPS * scale
    return (cross >= -tol).all(dim=2) | (cross <= tol).all(dim=2)


def _edge_crossings(qa: torch.Tensor, qb: torch.Tensor):
    """All 16 crossings of an edge of qa with an edge of qb: (P, 16, 2) points and a mask."""
    a0, a1 = qa, qa.roll(-1, dims=1)
    b0, b1 = qb, qb.roll(-1, dims=1)
    p = a0[:, :, None, :]
    r = (a1 - a0)[:, :, None, :]
    q = b0[:, None, :, :]
    s = (b1 - b0)[:, None, :, :]
    denom = r[..., 0] * s[..., 1] - r[..., 1] * s[..., 0]  # (P, 4, 4)
    qp = q - p
    t_num = qp[..., 0] * s[..., 1] - qp[..., 1] * s[..., 0]
    u_num = qp[..., 0] * r[..., 1] - qp[..., 1] * r[..., 0]
    # Parallel edges are skipped: where they overlap, the overlap's ends are vertices of one
    # box inside the other and come from the inside tests.
    safe = torch.where(denom.abs() > 1e-30, denom, torch.ones_like(denom))
    t = t_num / safe
    u = u_num / safe
    ok = (denom.abs() > 1e-12 * (r * r).sum(-1).clamp_min(1e-30)) & (t >= 0) & (t <= 1) & (u >= 0) & (u <= 1)
    points = p + t[..., None] * r
    n = qa.shape[0]
    return points.reshape(n, 16, 2), ok.reshape(n, 16)


def rotated_iou_pairs(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """IoU of (P, 5) rotated boxes a[i] and b[i], exact: the intersection polygon is the
    convex hull of a's corners inside b, b's corners inside a and all edge crossings, ordered
    by angle around its centroid, area by the shoelace formula."""
    qa, qb = rbox_to_corners(a), rbox_to_corners(b)
    cross_pts, cross_ok = _edge_crossings(qa, qb)
    pts = torch.cat([qa, qb, cross_pts], dim=1)  # (P, 24, 2)
    ok = torch.cat([_inside(qa, qb), _inside(qb, qa), cross_ok], dim=1)
    count = ok.sum(dim=1)
    okf = ok.to(pts.dtype)
    centre = (pts * okf[..., None]).sum(1) / count.clamp_min(1).to(pts.dtype)[:, None]
    rel = pts - centre[:, None, :]
    angle = torch.atan2(rel[..., 1], rel[..., 0])
    angle = torch.where(ok, angle, torch.full_like(angle, 10.0))  # invalid points sort last
    order = torch.argsort(angle, dim=1)
    rel = torch.gather(rel, 1, order[..., None].expand(-1, -1, 2))
    oks = torch.gather(ok, 1, order)
    # Invalid slots repeat the first valid point: zero-length edges add no area.
    rel = torch.where(oks[..., None], rel, rel[:, :1, :].expand_as(rel))
    nxt = rel.roll(-1, dims=1)
    inter = 0.5 * (rel[..., 0] * nxt[..., 1] - rel[..., 1] * nxt[..., 0]).sum(1).abs()
    inter = torch.where(count >= 3, inter, torch.zeros_like(inter))
    area_a = a[:, 2] * a[:, 3]
    area_b = b[:, 2] * b[:, 3]
    union = area_a + area_b - inter
    return torch.where(union > 0, inter / union.clamp_min(1e-30), torch.zeros_like(inter))


def _hbox_overlap(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """(N, M) mask: the enclosing axis-aligned boxes of (N, 4) a and (M, 4) b overlap with a
    positive area (rotated boxes whose enclosing boxes do not cannot intersect)."""
    return (torch.minimum(a[:, None, 2], b[None, :, 2]) > torch.maximum(a[:, None, 0], b[None, :, 0])) & \
           (torch.minimum(a[:, None, 3], b[None, :, 3]) > torch.maximum(a[:, None, 1], b[None, :, 1]))


def rotated_iou_matrix(a: torch.Tensor, b: torch.Tensor, chunk: int = 65536) -> torch.Tensor:
    """(N, M) exact rotated IoU. Only pairs whose enclosing axis-aligned boxes overlap are
    clipped (the others are 0), in chunks to bound memory."""
    pairs = _hbox_overlap(rbox_to_hbox(a), rbox_to_hbox(b)).nonzero()
    iou = torch.zeros(a.shape[0], b.shape[0], dtype=a.dtype, device=a.device)
    for start in range(0, pairs.shape[0], chunk):
        i = pairs[start:start + chunk, 0]
        j = pairs[start:start + chunk, 1]
        iou[i, j] = rotated_iou_pairs(a[i], b[j])
    return iou


def _aligned_row(boxes: torch.Tensor, i: int, rest: torch.Tensor) -> torch.Tensor:
    return box_iou_aligned(boxes[i:i + 1], boxes[rest])[0]


def _rotated_row(boxes: torch.Tensor, i: int, rest: torch.Tensor) -> torch.Tensor:
    iou = torch.zeros(rest.shape[0], dtype=boxes.dtype, device=boxes.device)
    hbox = rbox_to_hbox(boxes[torch.cat([rest.new_tensor([i]), rest])])
    near = _hbox_overlap(hbox[:1], hbox[1:])[0].nonzero().flatten()
    if near.numel() > 0:
        others = boxes[rest[near]]
        iou[near] = rotated_iou_pairs(boxes[i:i + 1].expand_as(others), others)
    return iou


def _greedy(boxes: torch.Tensor, scores: torch.Tensor, iou_threshold: float,
            iou_row: Callable[[torch.Tensor, int, torch.Tensor], torch.Tensor]) -> torch.Tensor:
    """Kept indices of one group, by descending score (ties by ascending index)."""
    order = torch.sort(scores, descending=True, stable=True).indices
    ranked = boxes[order]
    n = ranked.shape[0]
    alive = torch.ones(n, dtype=torch.bool, device=boxes.device)
    kept: List[int] = []
    for i in range(n):
        if not bool(alive[i]):
            continue
        kept.append(i)
        rest = alive[i + 1:].nonzero().flatten() + (i + 1)
        if rest.numel() > 0:
            alive[rest[iou_row(ranked, i, rest) > iou_threshold]] = False
    return order[torch.tensor(kept, dtype=torch.long, device=boxes.device)]


def nms_aligned(boxes: torch.Tensor, scores: torch.Tensor, iou_threshold: float) -> torch.Tensor:
    """Indices kept by greedy axis-aligned NMS (IoU > threshold suppresses), by score."""
    return _greedy(boxes, scores, iou_threshold, _aligned_row)


def nms_rotated_reference(boxes: torch.Tensor, scores: torch.Tensor, iou_threshold: float) -> torch.Tensor:
    """Indices kept by greedy rotated NMS with exact IoU (IoU > threshold suppresses), sorted
    by descending score."""
    return _greedy(boxes, scores, iou_threshold, _rotated_row)


def _batched(boxes: torch.Tensor, scores: torch.Tensor, groups: torch.Tensor, iou_threshold: float,
             rotated: bool) -> torch.Tensor:
    kept: List[torch.Tensor] = []
    for g in torch.unique(groups).tolist():
        idx = (groups == g).nonzero().flatten()
        if rotated:
            local = nms_rotated_reference(boxes[idx], scores[idx], iou_threshold)
        else:
            local = nms_aligned(boxes[idx], scores[idx], iou_threshold)
        kept.append(idx[local])
    if len(kept) == 0:
        return torch.zeros(0, dtype=torch.long, device=boxes.device)
    keep = torch.cat(kept).sort().values
    return keep[torch.sort(scores[keep], descending=True, stable=True).indices]


def batched_nms_aligned(boxes: torch.Tensor, scores: torch.Tensor, groups: torch.Tensor,
                        iou_threshold: float) -> torch.Tensor:
    """Axis-aligned (N, 4) NMS within each group (never across); kept indices by descending
    score, ties by ascending index."""
    return _batched(boxes, scores, groups, iou_threshold, False)


def batched_nms_rotated(boxes: torch.Tensor, scores: torch.Tensor, groups: torch.Tensor,
                        iou_threshold: float) -> torch.Tensor:
    """Rotated (N, 5) NMS within each group (class); kept indices by descending score, ties
    by ascending index."""
    return _batched(boxes, scores, groups, iou_threshold, True)
