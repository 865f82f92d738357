"""Modulated deformable convolution (DCNv2) in plain torch, for CLAFA.

mmcv's ``modulated_deform_conv2d`` is a custom C++/CUDA op that LibTorch cannot load, so the
same computation is written with ``grid_sample``: every kernel tap of every output position
samples the input at (base + learned offset) with zero-outside bilinear interpolation, the
samples are scaled by the mask, and one matmul with the flattened weight finishes the conv.

Layout (mmcv / torchvision): the input channels are split into ``deform_groups`` contiguous
groups; for group g and tap k = ki·kw + kj, offset channels 2(g·K + k) and 2(g·K + k) + 1
hold (dy, dx) and mask channel g·K + k the modulation. Only ``groups == 1`` (CLAFA's case).
"""

from typing import List

import torch
import torch.nn.functional as F

__all__ = ["modulated_deform_conv2d"]


def modulated_deform_conv2d(x: torch.Tensor, offset: torch.Tensor, mask: torch.Tensor, weight: torch.Tensor,
                            bias: torch.Tensor, stride: List[int], padding: List[int], dilation: List[int],
                            deform_groups: int) -> torch.Tensor:
    """DCNv2 forward. x (B, C, H, W); offset (B, 2·G·K, Ho, Wo); mask (B, G·K, Ho, Wo);
    weight (O, C, kh, kw); bias (O). Returns (B, O, Ho, Wo)."""
    batch, channels, height, width = x.shape
    out_ch, _, kh, kw = weight.shape
    taps = kh * kw
    groups = deform_groups
    out_h, out_w = offset.shape[2], offset.shape[3]

    # Base sampling positions in input pixels: output position · stride − padding + tap · dilation.
    rows = torch.arange(out_h, dtype=x.dtype, device=x.device) * stride[0] - padding[0]
    cols = torch.arange(out_w, dtype=x.dtype, device=x.device) * stride[1] - padding[1]
    tap_y = (torch.arange(kh, dtype=x.dtype, device=x.device) * dilation[0]).repeat_interleave(kw)
    tap_x = (torch.arange(kw, dtype=x.dtype, device=x.device) * dilation[1]).repeat(kh)
    base_y = tap_y.view(taps, 1, 1) + rows.view(1, out_h, 1)  # (K, Ho, 1)
    base_x = tap_x.view(taps, 1, 1) + cols.view(1, 1, out_w)  # (K, 1, Wo)

    off = offset.reshape(batch, groups, taps, 2, out_h, out_w)
    pos_y = base_y + off[:, :, :, 0]  # (B, G, K, Ho, Wo)
    pos_x = base_x + off[:, :, :, 1]
    # align_corners=True maps normalised −1..1 onto pixel centres 0..size−1, so a pixel
    # coordinate maps linearly, and grid_sample's zero padding gives exactly the DCN rule
    # (corners outside the map contribute 0). Needs sides ≥ 2. Tensor ÷ size (not a Python
    # float factor) keeps the size symbolic in a trace and computes in the input's dtype.
    norm_y = pos_y * 2.0 / (height - 1) - 1.0
    norm_x = pos_x * 2.0 / (width - 1) - 1.0
    grid = torch.stack([norm_x, norm_y], dim=-1).reshape(batch * groups, taps * out_h, out_w, 2)

    grouped = x.reshape(batch * groups, channels // groups, height, width)
    sampled = F.grid_sample(grouped, grid, mode="bilinear", padding_mode="zeros", align_corners=True)
    sampled = sampled.reshape(batch, groups, channels // groups, taps, out_h, out_w)
    sampled = sampled * mask.reshape(batch, groups, 1, taps, out_h, out_w)
    # Columns in weight order: input channel outer (group-major, as the groups are contiguous),
    # tap inner.
    columns = sampled.reshape(batch, channels * taps, out_h * out_w)
    out = torch.matmul(weight.reshape(out_ch, channels * taps), columns)
    return (out + bias.view(1, out_ch, 1)).reshape(batch, out_ch, out_h, out_w)
