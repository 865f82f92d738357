"""The two suppression ops of the detector as TorchScript operators in the ``lwganet`` namespace.

An exported detector calls ``torch.ops.lwganet.nms_aligned`` and ``torch.ops.lwganet.nms_rotated``.
The Node addon registers the same two schemas with C++ kernels (native/nms_ops.cc), so the
exported file runs with native NMS in LibTorch; here, in Python, they are backed by the
pure-torch reference of ``nms.py`` so that export, tests and Python inference work too.

The contract, shared word for word with the C++ kernels:

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
"""

import torch

from .nms import batched_nms_aligned, batched_nms_rotated

__all__ = ["NAMESPACE", "SCHEMAS", "nms_aligned", "nms_rotated"]

NAMESPACE = "lwganet"
SCHEMAS = {
    "nms_aligned": "nms_aligned(Tensor boxes, Tensor scores, Tensor groups, float iou_threshold) -> Tensor",
    "nms_rotated": "nms_rotated(Tensor boxes, Tensor scores, Tensor groups, float iou_threshold) -> Tensor",
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


def _register() -> None:
    # Registering twice (a second import under another module name) would raise: skip it.
    if hasattr(torch.ops, NAMESPACE) and hasattr(getattr(torch.ops, NAMESPACE), "nms_rotated"):
        try:
            getattr(torch.ops, NAMESPACE).nms_rotated.default  # noqa: B018 (resolves or raises)
            return
        except (AttributeError, RuntimeError):
            pass
    lib = torch.library.Library(NAMESPACE, "DEF")
    for schema in SCHEMAS.values():
        lib.define(schema)
    lib.impl("nms_aligned", _nms_aligned_impl, "CompositeExplicitAutograd")
    lib.impl("nms_rotated", _nms_rotated_impl, "CompositeExplicitAutograd")
    _LIBRARIES.append(lib)  # a Library deregisters its ops when collected


_LIBRARIES: list = []
_register()


def nms_aligned(boxes: torch.Tensor, scores: torch.Tensor, groups: torch.Tensor, iou_threshold: float) -> torch.Tensor:
    return torch.ops.lwganet.nms_aligned(boxes, scores, groups, iou_threshold)


def nms_rotated(boxes: torch.Tensor, scores: torch.Tensor, groups: torch.Tensor, iou_threshold: float) -> torch.Tensor:
    return torch.ops.lwganet.nms_rotated(boxes, scores, groups, iou_threshold)
