"""Input padding shared by the dense task models (segmentation, change detection).

The heads combine maps of strides 4..32 by ×2 upsampling and 2×2 pooling, which only line
up when every stage map is exactly half the previous one, i.e. when the input sides are
multiples of 32. Any other size is padded at the bottom/right with zeros (in normalised
space: the dataset mean colour, as mmdet's size_divisor padding), and the caller crops the
full-resolution output back to H × W.
"""

from typing import Tuple

import torch
import torch.nn.functional as F

__all__ = ["STRIDE", "pad_to_stride", "PADDING_RULE"]

STRIDE = 32
PADDING_RULE = ("inputs whose sides are not multiples of 32 are zero-padded at the bottom/right "
                "(after normalisation) inside the model and the output is cropped back to H x W")


def pad_to_stride(x: torch.Tensor, stride: int = STRIDE) -> Tuple[torch.Tensor, int, int]:
    """Returns (padded x, original height, original width)."""
    height, width = x.shape[-2], x.shape[-1]
    pad_h = (stride - height % stride) % stride
    pad_w = (stride - width % stride) % stride
    if pad_h > 0 or pad_w > 0:
        x = F.pad(x, [0, pad_w, 0, pad_h])
    return x, height, width
