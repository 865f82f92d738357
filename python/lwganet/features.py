"""The dense backbone every dense task model (segmentation, change detection, detection) and the
``--features`` export are built on: LWGANet with ``fork_feat=True`` as upstream, four
BN-normalised stage outputs.
"""

from typing import Dict, List, Tuple

import torch
from torch import nn

from .backbone import LWGANet, VariantConfig

__all__ = ["LWGANetFeatures"]


class LWGANetFeatures(LWGANet):
    """Dense backbone: a tuple of four maps, strides 4/8/16/32, channels C/2C/4C/8C.

    Each is its block stack's output through its own BN, named by the index in ``stages``
    (``norm0``, ``norm2``, ``norm4``, ``norm6``), registered after ``stages`` as upstream.
    """

    def __init__(self, cfg: VariantConfig, in_chans: int = 3) -> None:
        super().__init__(cfg, in_chans)
        c1, c2, c3, c4 = cfg.widths
        self.norm0 = nn.BatchNorm2d(c1)
        self.norm2 = nn.BatchNorm2d(c2)
        self.norm4 = nn.BatchNorm2d(c3)
        self.norm6 = nn.BatchNorm2d(c4)
        # timm-style description of the outputs, for wiring dense heads.
        self.feature_info: List[Dict[str, object]] = [
            dict(num_chs=ch, reduction=4 * 2 ** i, module=f"norm{2 * i}") for i, ch in enumerate(cfg.widths)]

    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        f = self.forward_stages(x)
        return self.norm0(f[0]), self.norm2(f[1]), self.norm4(f[2]), self.norm6(f[3])
