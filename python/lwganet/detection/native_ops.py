"""The detector's two suppression ops and its rotated RoIAlign as TorchScript operators in the
``lwganet`` namespace.

An exported detector calls ``torch.ops.lwganet.nms_aligned``, ``torch.ops.lwganet.nms_rotated``
and ``torch.ops.lwganet.rotated_roi_align``. The Node addon registers the same schemas with C++
kernels (native/nms_ops.cc, native/rotated_roi_align.cc), so the exported file runs them natively
in LibTorch; here, in Python, they are backed by the pure-torch references of ``nms.py`` and
``rotated_roi_align.py`` (the oracles of the C++ kernels) so that export, tests and Python
inference work without any compiled code.

The contract of the NMS ops, shared word for word with the C++ kernels:

- ``nms_aligned(Tensor boxes, Tensor scores, Tensor groups, float iou_threshold) -> Tensor``
  boxes (N, 4) ``x1, y1, x2, y2``; areas without +1 (mmcv).
- ``nms_rotated(Tensor boxes, Tensor scores, Tensor groups, float iou_threshold) -> Tensor``
  boxes (N, 5) ``cx, cy, w, h, θ`` (radians); IoU is the exact area of the intersection
  polygon of the two rectangles over their union.
- scores (N,) floating point, groups (N,) int64; boxes and scores share one float dtype.
- Greedy suppression within each group, never across groups: candidates are visited by
  descending score, ties by ascending index (a stable sort); a candidate is dropped when its
  IoU with an already kept candidate of its group is **greater than** ``iou_threshold``.
- Returns the kept indices into the inputs (int64, on the inputs' device), ordered by
  descending score, ties by ascending index.
- Sizes w, h are ≥ 0. IoUs are computed in float64 whatever the input dtype (both here and in
  C++), so the two implementations decide near-threshold pairs alike.

The contract of the RoIAlign op (mmcv ``RoIAlignRotated`` with aligned=True, clockwise=True):

- ``rotated_roi_align(Tensor features, Tensor rois, float spatial_scale, int out_size,
  int sampling_ratio) -> Tensor``: features (1, C, H, W), rois (N, 5) ``cx, cy, w, h, θ`` in
  image pixels (θ radians), one dtype (float32 or float64) → (N, C, out_size, out_size).
- Each bin averages sampling_ratio² points (sampling_ratio ≥ 1; mmcv's adaptive 0 is not
  supported). Point (r, c) of the S × S grid, S = out_size·sampling_ratio, sits at local
  (xx, yy) = (−w'/2 + (c + ½)·w'/S, −h'/2 + (r + ½)·h'/S) and reads the map at
  x = cx' + xx·cosθ − yy·sinθ, y = cy' + xx·sinθ + yy·cosθ, with cx' = cx·σ − ½,
  cy' = cy·σ − ½, w' = w·σ, h' = h·σ, σ = spatial_scale.
- A point with y < −1, y > H, x < −1 or x > W reads 0; the others are clamped into
  [0, size − 1] and interpolated bilinearly.
"""

import torch

from .nms import batched_nms_aligned, batched_nms_rotated
from .rotated_roi_align_reference import rotated_roi_align as reference_rotated_roi_align

__all__ = ["NAMESPACE", "SCHEMAS", "nms_aligned", "nms_rotated", "rotated_roi_align"]

NAMESPACE = "lwganet"
SCHEMAS = {
    "nms_aligned": "nms_aligned(Tensor boxes, Tensor scores, Tensor groups, float iou_threshold) -> Tensor",
    "nms_rotated": "nms_rotated(Tensor boxes, Tensor scores, Tensor groups, float iou_threshold) -> Tensor",
    "rotated_roi_align": "rotated_roi_align(Tensor features, Tensor rois, float spatial_scale, int out_size, "
                         "int sampling_ratio) -> Tensor",
}


def _check(name: str, boxes: torch.Tensor, scores: torch.Tensor, groups: torch.Tensor, width: int) -> None:
    n = scores.shape[0] if scores.dim() == 1 else -1
    if boxes.dim() != 2 or boxes.shape[1] != width or n != boxes.shape[0]:
        raise ValueError(f"{name}: boxes must be (N, {width}) and scores (N,), got {list(boxes.shape)} "
                         f"and {list(scores.shape)}")
    if groups.dim() != 1 or groups.shape[0] != n or groups.dtype != torch.int64:
        raise ValueError(f"{name}: groups must be (N,) int64, got {list(groups.shape)} {groups.dtype}")
    if not boxes.is_floating_point() or boxes.dtype != scores.dtype:
        raise ValueError(f"{name}: boxes and scores must share one floating dtype, got {boxes.dtype} "
                         f"and {scores.dtype}")


def _stable_order(keep: torch.Tensor, scores: torch.Tensor) -> torch.Tensor:
    """Kept indices by descending score, ties by ascending index."""
    keep = keep.sort().values
    return keep[torch.sort(scores[keep], descending=True, stable=True).indices]


def _nms_aligned_impl(boxes: torch.Tensor, scores: torch.Tensor, groups: torch.Tensor,
                      iou_threshold: float) -> torch.Tensor:
    _check("nms_aligned", boxes, scores, groups, 4)
    return _stable_order(batched_nms_aligned(boxes.double(), scores.double(), groups, iou_threshold), scores)


def _nms_rotated_impl(boxes: torch.Tensor, scores: torch.Tensor, groups: torch.Tensor,
                      iou_threshold: float) -> torch.Tensor:
    _check("nms_rotated", boxes, scores, groups, 5)
    return _stable_order(batched_nms_rotated(boxes.double(), scores.double(), groups, iou_threshold), scores)


def _rotated_roi_align_impl(features: torch.Tensor, rois: torch.Tensor, spatial_scale: float, out_size: int,
                            sampling_ratio: int) -> torch.Tensor:
    if features.dim() != 4 or features.shape[0] != 1 or rois.dim() != 2 or rois.shape[1] != 5:
        raise ValueError(f"rotated_roi_align: features must be (1, C, H, W) and rois (N, 5), got "
                         f"{list(features.shape)} and {list(rois.shape)}")
    if features.dtype not in (torch.float32, torch.float64) or rois.dtype != features.dtype:
        raise ValueError(f"rotated_roi_align: features and rois must share one dtype, float32 or float64, got "
                         f"{features.dtype} and {rois.dtype}")
    if not (spatial_scale > 0 and spatial_scale < float("inf")):
        raise ValueError(f"rotated_roi_align: spatial_scale must be positive and finite, got {spatial_scale}")
    if out_size < 1 or sampling_ratio < 1:
        raise ValueError(f"rotated_roi_align: out_size must be at least 1 and sampling_ratio at least 1 (adaptive "
                         f"sampling, 0, is not supported), got {out_size} and {sampling_ratio}")
    return reference_rotated_roi_align(features, rois, spatial_scale, out_size, sampling_ratio)


def _register() -> None:
    # Registering twice (a second import under another module name) would raise: skip it.
    if hasattr(torch.ops, NAMESPACE) and hasattr(getattr(torch.ops, NAMESPACE), "rotated_roi_align"):
        try:
            getattr(torch.ops, NAMESPACE).rotated_roi_align.default  # noqa: B018 (resolves or raises)
            return
        except (AttributeError, RuntimeError):
            pass
    lib = torch.library.Library(NAMESPACE, "DEF")
    for schema in SCHEMAS.values():
        lib.define(schema)
    lib.impl("nms_aligned", _nms_aligned_impl, "CompositeExplicitAutograd")
    lib.impl("nms_rotated", _nms_rotated_impl, "CompositeExplicitAutograd")
    lib.impl("rotated_roi_align", _rotated_roi_align_impl, "CompositeExplicitAutograd")
    _LIBRARIES.append(lib)  # a Library deregisters its ops when collected


_LIBRARIES: list = []
_register()


def nms_aligned(boxes: torch.Tensor, scores: torch.Tensor, groups: torch.Tensor, iou_threshold: float) -> torch.Tensor:
    return torch.ops.lwganet.nms_aligned(boxes, scores, groups, iou_threshold)


def nms_rotated(boxes: torch.Tensor, scores: torch.Tensor, groups: torch.Tensor, iou_threshold: float) -> torch.Tensor:
    return torch.ops.lwganet.nms_rotated(boxes, scores, groups, iou_threshold)


def rotated_roi_align(features: torch.Tensor, rois: torch.Tensor, spatial_scale: float, out_size: int,
                      sampling_ratio: int) -> torch.Tensor:
    return torch.ops.lwganet.rotated_roi_align(features, rois, spatial_scale, out_size, sampling_ratio)
