"""Rotated RoIAlign (mmcv ``RoIAlignRotated``, aligned=True, clockwise=True) with grid_sample,
and the RoI → FPN level rule (mmdet's: level = floor(log2(√(w·h) / 56 + 1e-6)), clamped to 0..3).

For a RoI (cx, cy, w, h, θ) at spatial scale σ the kernel samples a 7×7 grid of bins with
2×2 points each: local point (xx, yy) = (−w'/2 + (pw + (ix + ½)/2)·w'/7, −h'/2 + (ph +
(iy + ½)/2)·h'/7) maps to x = cx' + xx·cosθ − yy·sinθ, y = cy' + xx·sinθ + yy·cosθ with
cx' = cx·σ − ½, cy' = cy·σ − ½, w' = w·σ, h' = h·σ. mmcv's bilinear rule: points with
y < −1, y > H, x < −1 or x > W give 0; otherwise coordinates are clamped into [0, size − 1]
and interpolated. Clamping then ``grid_sample(align_corners=True, padding_mode="border")``
is that rule exactly; a validity mask zeroes the far points; ``avg_pool2d(2)`` averages the
4 points of a bin.

``rotated_roi_align`` (rotated_roi_align_reference.py) is the reference (the oracle): the detector calls it through the
operator ``torch.ops.lwganet.rotated_roi_align`` (native_ops.py), which the Node addon backs
with a C++ kernel (native/rotated_roi_align.cc), so an exported detector samples its RoIs
natively there while Python runs this code.
"""

from typing import List

import torch

from . import native_ops  # noqa: F401 (registers torch.ops.lwganet.rotated_roi_align)
from .rotated_roi_align_reference import ROI_CHUNK, ROI_OUT_SIZE, ROI_SAMPLES, roi_sample_points, rotated_roi_align

__all__ = ["ROI_OUT_SIZE", "ROI_SAMPLES", "ROI_CHUNK", "FINEST_SCALE", "roi_sample_points", "rotated_roi_align",
           "map_roi_levels", "multilevel_rotated_roi_align"]

FINEST_SCALE = 56.0


def map_roi_levels(rois: torch.Tensor, num_levels: int, finest_scale: float = FINEST_SCALE) -> torch.Tensor:
    """FPN level of each RoI: clamp(floor(log2(√(w·h)/56 + 1e-6)), 0, num_levels − 1)."""
    scale = torch.sqrt(rois[:, 2] * rois[:, 3])
    level = torch.floor(torch.log2(scale / finest_scale + 1e-6))
    return level.clamp(0, num_levels - 1).long()


def multilevel_rotated_roi_align(features: List[torch.Tensor], rois: torch.Tensor, strides: List[int],
                                 out_size: int = ROI_OUT_SIZE, samples: int = ROI_SAMPLES) -> torch.Tensor:
    """RoI features from the level each RoI maps to: (N, C, 7, 7), rows in RoI order, sampled by
    the ``lwganet::rotated_roi_align`` operator (native in the addon, the reference in Python)."""
    levels = map_roi_levels(rois, len(features))
    c = features[0].shape[1]
    out = features[0].new_zeros(rois.shape[0], c, out_size, out_size)
    for i, feature in enumerate(features):
        idx = (levels == i).nonzero().flatten()
        if idx.numel() > 0:
            out[idx] = torch.ops.lwganet.rotated_roi_align(feature, rois[idx], 1.0 / strides[i], out_size, samples)
    return out
