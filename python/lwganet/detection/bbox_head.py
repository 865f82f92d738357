"""RoI box head ``RotatedShared2FCBBoxHead`` (mmrotate's).

(N, 256, 7, 7) RoI features, flattened in channel, row, column order → two shared FCs with
ReLU → ``fc_cls`` (K + 1 logits, background LAST) and ``fc_reg`` (5 class-agnostic deltas).
Initialisation as mmdet's ConvFCBBoxHead: Xavier uniform shared FCs, ``fc_cls`` normal with
std 0.01, ``fc_reg`` normal with std 0.001, zero biases.
"""

from typing import Tuple

import torch
import torch.nn.functional as F
from torch import nn

__all__ = ["RotatedShared2FCBBoxHead", "RoIHead"]


class RotatedShared2FCBBoxHead(nn.Module):
    def __init__(self, num_classes: int, in_channels: int = 256, roi_size: int = 7, fc_dim: int = 1024) -> None:
        super().__init__()
        self.num_classes = num_classes
        self.shared_fcs = nn.ModuleList([nn.Linear(in_channels * roi_size * roi_size, fc_dim),
                                         nn.Linear(fc_dim, fc_dim)])
        self.fc_cls = nn.Linear(fc_dim, num_classes + 1)
        self.fc_reg = nn.Linear(fc_dim, 5)
        for fc in self.shared_fcs:
            nn.init.xavier_uniform_(fc.weight)
        nn.init.normal_(self.fc_cls.weight, std=0.01)
        nn.init.normal_(self.fc_reg.weight, std=0.001)
        for fc in (self.shared_fcs[0], self.shared_fcs[1], self.fc_cls, self.fc_reg):
            nn.init.zeros_(fc.bias)

    def forward(self, roi_feats: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        """Returns (N, K + 1) class probabilities (softmax) and (N, 5) raw deltas."""
        x = roi_feats.flatten(1)
        for fc in self.shared_fcs:
            x = F.relu(fc(x))
        return F.softmax(self.fc_cls(x), dim=1), self.fc_reg(x)


class RoIHead(nn.Module):
    """Holds the box head under ``bbox_head`` (checkpoint keys ``roi_head.bbox_head.*``); the
    rotated RoIAlign extractor has no parameters."""

    def __init__(self, num_classes: int) -> None:
        super().__init__()
        self.bbox_head = RotatedShared2FCBBoxHead(num_classes)

    def forward(self, roi_feats: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        return self.bbox_head(roi_feats)
