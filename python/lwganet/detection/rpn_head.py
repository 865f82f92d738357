"""Oriented RPN head: one 3×3 conv + ReLU shared over P2..P6, then a 1×1
classifier (one sigmoid logit per anchor) and a 1×1 regressor (6 midpoint-offset deltas per
anchor). Channel a of ``rpn_cls`` and channels 6a..6a+5 of ``rpn_reg`` belong to anchor a.
Initialisation as mmdet's RPNHead (normal weights, std 0.01, zero biases): a fresh head
proposes boxes close to the anchors."""

from typing import List, Tuple

import torch
import torch.nn.functional as F
from torch import nn

__all__ = ["OrientedRPNHead", "NUM_ANCHORS"]

NUM_ANCHORS = 3


class OrientedRPNHead(nn.Module):
    def __init__(self, channels: int = 256, num_anchors: int = NUM_ANCHORS) -> None:
        super().__init__()
        self.rpn_conv = nn.Conv2d(channels, channels, 3, padding=1)
        self.rpn_cls = nn.Conv2d(channels, num_anchors, 1)
        self.rpn_reg = nn.Conv2d(channels, num_anchors * 6, 1)
        for conv in (self.rpn_conv, self.rpn_cls, self.rpn_reg):
            nn.init.normal_(conv.weight, std=0.01)
            nn.init.zeros_(conv.bias)

    def forward(self, feats: List[torch.Tensor]) -> Tuple[List[torch.Tensor], List[torch.Tensor]]:
        """Per level: (1, A, H, W) logits and (1, 6A, H, W) deltas."""
        cls: List[torch.Tensor] = []
        reg: List[torch.Tensor] = []
        for x in feats:
            x = F.relu(self.rpn_conv(x))
            cls.append(self.rpn_cls(x))
            reg.append(self.rpn_reg(x))
        return cls, reg
