"""Anchor grid of the oriented RPN (mmdet AnchorGenerator semantics).

Per level of stride s: base size s, one scale (8) and ratios (0.5, 1, 2) in this order, so
h = 8s·√r and w = 8s/√r. Anchors sit on the cell's top-left corner (x·s, y·s) — center
offset 0, no +s/2 — and are flattened row-major over (y, x) with the anchors innermost,
the order of the RPN conv outputs permuted to (H, W, A·c).
"""

from typing import List

import torch

__all__ = ["ANCHOR_STRIDES", "ANCHOR_RATIOS", "ANCHOR_SCALE", "grid_anchors"]

ANCHOR_STRIDES = (4, 8, 16, 32, 64)
ANCHOR_RATIOS = (0.5, 1.0, 2.0)
ANCHOR_SCALE = 8.0


def grid_anchors(height: int, width: int, stride: int, ratios: List[float], scale: float,
                 dtype: torch.dtype, device: torch.device) -> torch.Tensor:
    """(height·width·A, 4) anchors as (cx, cy, w, h) for a feature map of height × width.

    Returned in centre form because both coders use the anchor's centre and size; the
    corner form of upstream, (cx − w/2, cy − h/2, cx + w/2, cy + h/2), holds the same values.
    """
    r = torch.tensor(ratios, dtype=dtype, device=device)
    h_ratio = torch.sqrt(r)
    base_w = stride * scale / h_ratio  # w = 8s/√r
    base_h = stride * scale * h_ratio  # h = 8s·√r
    ys = torch.arange(height, dtype=dtype, device=device) * stride
    xs = torch.arange(width, dtype=dtype, device=device) * stride
    a = r.numel()
    cy = ys.view(height, 1, 1).expand(height, width, a)
    cx = xs.view(1, width, 1).expand(height, width, a)
    w = base_w.view(1, 1, a).expand(height, width, a)
    h = base_h.view(1, 1, a).expand(height, width, a)
    return torch.stack([cx, cy, w, h], dim=-1).reshape(-1, 4)
