"""The rotated RoIAlign reference (mmcv ``RoIAlignRotated``, aligned=True, clockwise=True) with
grid_sample: the oracle of the ``lwganet::rotated_roi_align`` operator, and its Python
implementation (native_ops.py registers it). See rotated_roi_align.py for the sampling rule.
"""

from typing import List, Tuple

import torch
import torch.nn.functional as F

__all__ = ["ROI_OUT_SIZE", "ROI_SAMPLES", "ROI_CHUNK", "roi_sample_points", "rotated_roi_align"]

ROI_OUT_SIZE = 7
ROI_SAMPLES = 2  # sample_num: points per bin side
# RoIs per grid_sample call: 256 RoIs × 196 points × 256 channels × 4 B ≈ 51 MB of samples.
ROI_CHUNK = 256


def roi_sample_points(rois: torch.Tensor, scale: float, out_size: int = ROI_OUT_SIZE,
                      samples: int = ROI_SAMPLES) -> Tuple[torch.Tensor, torch.Tensor]:
    """Feature-map coordinates of every sample point: two (N, S, S) tensors, S = out_size·samples,
    rows along h, columns along w (row r = ph·samples + iy, column c = pw·samples + ix)."""
    cx = rois[:, 0] * scale - 0.5
    cy = rois[:, 1] * scale - 0.5
    w = rois[:, 2] * scale
    h = rois[:, 3] * scale
    theta = rois[:, 4]
    n = out_size * samples
    # (bin + (i + ½)/samples)/out_size for bin = c // samples, i = c % samples, as a fraction of w.
    steps = (torch.arange(n, dtype=rois.dtype, device=rois.device) + 0.5) / n
    xx = -w[:, None] * 0.5 + steps[None, :] * w[:, None]  # (N, S)
    yy = -h[:, None] * 0.5 + steps[None, :] * h[:, None]
    cos, sin = torch.cos(theta)[:, None, None], torch.sin(theta)[:, None, None]
    xx, yy = xx[:, None, :], yy[:, :, None]
    x = cx[:, None, None] + xx * cos - yy * sin
    y = cy[:, None, None] + xx * sin + yy * cos
    return x, y


def rotated_roi_align(features: torch.Tensor, rois: torch.Tensor, scale: float,
                      out_size: int = ROI_OUT_SIZE, samples: int = ROI_SAMPLES,
                      chunk: int = ROI_CHUNK) -> torch.Tensor:
    """(1, C, H, W) map and (N, 5) RoIs in image pixels → (N, C, out_size, out_size), sampled
    ``chunk`` RoIs at a time to bound memory."""
    c, height, width = features.shape[1], features.shape[2], features.shape[3]
    n = rois.shape[0]
    if n == 0:
        return features.new_zeros(0, c, out_size, out_size)
    outputs: List[torch.Tensor] = []
    for start in range(0, n, chunk):
        x, y = roi_sample_points(rois[start:start + chunk], scale, out_size, samples)
        valid = (y >= -1.0) & (y <= float(height)) & (x >= -1.0) & (x <= float(width))
        x = x.clamp(0.0, float(width - 1))
        y = y.clamp(0.0, float(height - 1))
        # align_corners=True maps −1/+1 to the centres of the first/last pixel; a side of 1
        # has a single pixel, where any normalised coordinate (0 here) reads it.
        gx = x * (2.0 / (width - 1)) - 1.0 if width > 1 else torch.zeros_like(x)
        gy = y * (2.0 / (height - 1)) - 1.0 if height > 1 else torch.zeros_like(y)
        k, s = x.shape[0], x.shape[1]
        grid = torch.stack([gx, gy], dim=-1).reshape(1, k * s, s, 2).to(features.dtype)
        sampled = F.grid_sample(features, grid, mode="bilinear", padding_mode="border", align_corners=True)
        sampled = sampled.reshape(c, k, s, s).permute(1, 0, 2, 3)
        sampled = sampled * valid[:, None, :, :].to(sampled.dtype)
        outputs.append(F.avg_pool2d(sampled, samples))
    return torch.cat(outputs, dim=0)
