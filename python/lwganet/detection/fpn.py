"""FPN neck of Oriented R-CNN (mmdet defaults): 4 inputs, 5 outputs, 256 ch.

Lateral 1×1 convs, top-down nearest upsampling to the finer map's exact size and addition,
3×3 output convs, and P6 = every second pixel of P5 (max-pool kernel 1, stride 2). No norm,
no activation. Each conv sits in a ``.conv`` submodule because mmcv's ConvModule wraps it,
which is where the checkpoint keys (``lateral_convs.{i}.conv.weight``) come from.
Initialisation as mmdet's FPN (Xavier uniform weights, zero biases).
"""

from typing import List, Sequence

import torch
import torch.nn.functional as F
from torch import nn

__all__ = ["FPN", "FPN_CHANNELS"]

FPN_CHANNELS = 256


class ConvWrap(nn.Module):
    """A conv with bias under the attribute ``conv`` (mmcv ConvModule without norm/act)."""

    def __init__(self, cin: int, cout: int, kernel: int) -> None:
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, kernel, padding=kernel // 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(x)


class FPN(nn.Module):
    def __init__(self, in_channels: Sequence[int], out_channels: int = FPN_CHANNELS) -> None:
        super().__init__()
        self.lateral_convs = nn.ModuleList([ConvWrap(c, out_channels, 1) for c in in_channels])
        self.fpn_convs = nn.ModuleList([ConvWrap(out_channels, out_channels, 3) for _ in in_channels])
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.xavier_uniform_(m.weight)
                nn.init.zeros_(m.bias)

    def forward(self, feats: List[torch.Tensor]) -> List[torch.Tensor]:
        laterals: List[torch.Tensor] = [conv(feats[i]) for i, conv in enumerate(self.lateral_convs)]
        for i in range(len(laterals) - 1, 0, -1):
            finer = laterals[i - 1]
            laterals[i - 1] = finer + F.interpolate(laterals[i], size=[finer.shape[2], finer.shape[3]],
                                                    mode="nearest")
        outs: List[torch.Tensor] = [conv(laterals[i]) for i, conv in enumerate(self.fpn_convs)]
        outs.append(F.max_pool2d(outs[-1], 1, stride=2))
        return outs
