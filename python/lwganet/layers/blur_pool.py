"""Anti-aliased blur-downsampling by 3 used inside the MRA branch, before its strip convolutions."""

from typing import List

import torch
import torch.nn.functional as F
from torch import nn

__all__ = ["BlurPool", "blur_filter", "mirror_indices"]

# Binomial taps of the 4-tap blur; the 2-D filter is their outer product / 64.
_TAPS = (1.0, 3.0, 3.0, 1.0)


def blur_filter(channels: int) -> torch.Tensor:
    """The fixed depthwise filter, shape [channels, 1, 4, 4], entries 1/64, 3/64, 9/64."""
    taps = torch.tensor(_TAPS, dtype=torch.float32)
    kernel = taps[:, None] * taps[None, :]
    return (kernel / kernel.sum()).expand(channels, 1, 4, 4).contiguous()


def mirror_indices(n: int, before: int, after: int) -> List[int]:
    """Source indices of a reflect-padded axis of length ``n``, valid for any pad width.

    For pads smaller than ``n`` this is exactly ``F.pad(mode='reflect')``; larger pads keep
    reflecting (period ``2(n-1)``), and a length-1 axis repeats its only element.
    """
    if n == 1:
        return [0] * (before + n + after)
    period = 2 * (n - 1)
    out: List[int] = []
    for i in range(-before, n + after):
        j = (i + period) % period  # i >= -period here; keeps the modulo non-negative
        out.append(j if j < n else period - j)
    return out


class BlurPool(nn.Module):
    """Reflect-pad (1 before, 2 after), then a fixed 4×4 binomial blur with stride 3.

    Output side = ceil(n / 3). ``filt`` is a persistent buffer because official checkpoints
    contain it (``MRA.max_m2.filt``); it must load, never be re-initialised.
    """

    def __init__(self, channels: int, stride: int = 3) -> None:
        super().__init__()
        self.channels = channels
        self.stride = stride
        # Reflection padding (left/top, right/bottom) that centres a 4-tap filter.
        self.pad_before = 1
        self.pad_after = 2
        self.register_buffer("filt", blur_filter(channels))

    def _pad(self, x: torch.Tensor) -> torch.Tensor:
        h, w = x.shape[-2], x.shape[-1]
        # A trace records one branch anyway; skipping the size test there keeps tracing free
        # of TracerWarnings. Traced graphs therefore need map sides >= 3 (inputs >= 68 px);
        # scripted ones (the default export) keep both branches.
        if torch.jit.is_tracing() or (h > self.pad_after and w > self.pad_after):
            return F.pad(x, [self.pad_before, self.pad_after, self.pad_before, self.pad_after], mode="reflect")
        # Maps with a side < 3 (inputs smaller than 68 px) are outside what reflection
        # padding accepts; keep mirroring instead (documented any-size rule).
        rows = torch.tensor(mirror_indices(h, self.pad_before, self.pad_after), device=x.device)
        cols = torch.tensor(mirror_indices(w, self.pad_before, self.pad_after), device=x.device)
        return x.index_select(2, rows).index_select(3, cols)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.conv2d(self._pad(x), self.filt, stride=self.stride, groups=self.channels)
