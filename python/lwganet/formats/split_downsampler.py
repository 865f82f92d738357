"""LWGANet's downsampler (DRFD) with its channel-doubling convolution split into depthwise ones.

DRFD opens with a grouped 3x3 convolution C → 2C (groups = C: each input channel feeds two output
channels), which oneDNN runs 3–8× slower than a depthwise convolution of the same output size.
Output channel 2c + k of it (k = 0, 1) is input channel c convolved with filter 2c + k, so the
even and the odd output channels are two depthwise convolutions of the input. Everything after
it in DRFD is per channel (the depthwise strided conv, the activation, both batch norms, the max-pool) up to
the closing 1x1 fusion, so the two halves run through it separately and the fusion's input
columns are reordered to match: the same function, no copy added (the fusion's concatenation was
there already), channel for channel. Only where the map is large (``MIN_POSITIONS``): on small
maps the extra calls cost more than the slow convolution. (The fusion, now a functional conv, is never a candidate of
small_gemms.py; it is over a million multiply-adds at every LWGANet shape measured anyway.)
"""

from typing import Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from torch import nn

from ..backbone import DRFD
from .module_swap import calls_at, replace_modules

__all__ = ["SplitDRFD", "split_downsamplers", "MIN_POSITIONS"]

# Below this many positions (batch × H × W) at its input, a split downsampler measured slower in
# Node (L0 224² b1, maps of 56², 28², 14²: +15–24 %; L2 224² b1 +3 %), above it faster (b16,
# 50 k positions: −8 %; the 1024² backbone, 65 k: −5 %): the two halves are more calls, and at
# small sizes calls, not work, are the cost.
MIN_POSITIONS = 16384


class SplitDRFD(nn.Module):
    """``DRFD`` computed as two halves (even and odd channels of its expansion)."""

    def __init__(self, drfd: DRFD) -> None:
        super().__init__()
        self.drfd = drfd

    @staticmethod
    def _half(t: torch.Tensor, k: int) -> torch.Tensor:
        # Contiguous: compiled with freezing, a strided slice of a convolution weight gave wrong
        # outputs from 16 channels up (right with 8; which compile pass misreads it is not known).
        # Free at run time: the copy is of a frozen constant, folded when compiling.
        return t[k::2].contiguous()

    def _norm(self, t: torch.Tensor, norm: nn.BatchNorm2d, k: int) -> torch.Tensor:
        return F.batch_norm(t, self._half(norm.running_mean, k), self._half(norm.running_var, k),
                            self._half(norm.weight, k), self._half(norm.bias, k), False, 0.0, norm.eps)

    def _branches(self, x: torch.Tensor, k: int) -> Tuple[torch.Tensor, torch.Tensor]:
        d = self.drfd
        bias = None if d.conv.bias is None else self._half(d.conv.bias, k)
        y = F.conv2d(x, self._half(d.conv.weight, k), bias, d.conv.stride, d.conv.padding, d.conv.dilation, x.shape[1])
        c_bias = None if d.conv_c.bias is None else self._half(d.conv_c.bias, k)
        conv = F.conv2d(y, self._half(d.conv_c.weight, k), c_bias, d.conv_c.stride, d.conv_c.padding,
                        d.conv_c.dilation, y.shape[1])
        conv = self._norm(d.act_c(conv), d.norm_c, k)  # act before norm, as DRFD
        pool = self._norm(d.max_m(y), d.norm_m, k)
        return conv, pool

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        d = self.drfd
        conv_even, pool_even = self._branches(x, 0)
        conv_odd, pool_odd = self._branches(x, 1)
        # The fusion's input was [conv 0..2C-1, pool 0..2C-1]; it is now [conv even, conv odd,
        # pool even, pool odd]: take its weight's columns in that order.
        w = d.fusion.weight
        expanded = w.shape[1] // 2
        columns = torch.cat([w[:, 0:expanded:2], w[:, 1:expanded:2], w[:, expanded::2], w[:, expanded + 1::2]], dim=1)
        return F.conv2d(torch.cat([conv_even, conv_odd, pool_even, pool_odd], dim=1), columns, d.fusion.bias)


def _splittable(d: DRFD) -> bool:
    """The expansion doubles the channels, and what follows it is per channel as SplitDRFD slices
    it: an activation without parameters, batch norms with affine terms and running statistics."""
    norms_ok = all(n.affine and n.track_running_stats for n in (d.norm_c, d.norm_m))
    return (d.conv.out_channels == 2 * d.conv.in_channels and d.conv.groups == d.conv.in_channels
            and not any(True for _ in d.act_c.parameters()) and norms_ok)


def split_downsamplers(model: nn.Module, example: Optional[Sequence[torch.Tensor]] = None) -> int:
    """Replaces every ``DRFD`` of ``model`` that ``_splittable`` accepts by a ``SplitDRFD`` (in
    place) and returns how many. Given the ``example`` inputs of a compiled shape, only those
    whose input has at least ``MIN_POSITIONS`` positions there (every call, if called several times)."""
    sizes = {} if example is None else calls_at(
        model, example, lambda m: isinstance(m, DRFD),
        lambda _m, inputs, _output: inputs[0].shape[0] * inputs[0].shape[2] * inputs[0].shape[3])

    def split(child: nn.Module) -> Optional[SplitDRFD]:
        large = example is None or (sizes.get(child) and min(sizes[child]) >= MIN_POSITIONS)
        return SplitDRFD(child) if isinstance(child, DRFD) and _splittable(child) and large else None

    return replace_modules(model, split)
