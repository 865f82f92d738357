"""Oriented R-CNN with the LWGANet backbone and FPN, test time, pure torch.

``OrientedRCNN.forward(image)`` takes one normalised RGB image (1, 3, H, W) and returns
``{"boxes": (N, 5) (cx, cy, w, h, θ) le90 radians, "scores": (N,), "labels": (N,) int64}`` in
input pixel coordinates, sorted by descending score. Steps: zero padding to a multiple
of 32 (mmdet's size_divisor pad, in normalised space) → backbone → FPN P2..P6 → oriented RPN
→ per level top-2000 → midpoint-offset decoding → per-level axis-aligned NMS 0.8 → top 2000
proposals → level mapping → rotated RoIAlign 7×7 → box head → delta decoding (centres clamped
to the unpadded H × W) → score > 0.05 per (RoI, class) → per-class rotated NMS 0.1 → top 2000.

Split for the native runtime: the two suppression steps call the TorchScript operators
``torch.ops.lwganet.nms_aligned`` (proposals, per level) and ``torch.ops.lwganet.nms_rotated``
(final boxes, per class), declared in native_ops.py. A scripted export records those calls;
the Node addon registers the same schemas with C++ kernels, so the archive runs native NMS
there, while in Python they run the pure-torch reference of nms.py. Everything else (anchors,
coders, RoIAlign through grid_sample, heads) is TorchScript and stays in the archive.

Unlike upstream (which would need a square input for this backbone) the input is padded
only to a multiple of 32; the LWGANet backbone here accepts non-square maps. On square DOTA
tiles (1024²) both coincide.
"""

from typing import Dict, List, Sequence, Tuple

import torch
from torch import nn

from ..backbone import VariantConfig
from ..layers.padding import pad_to_stride
from ..features import LWGANetFeatures
from .anchors import ANCHOR_RATIOS, ANCHOR_SCALE, ANCHOR_STRIDES, grid_anchors
from .bbox_head import RoIHead
from .coders import decode_delta_xywha, decode_midpoint_offset, rbox_to_hbox
from .fpn import FPN, FPN_CHANNELS
from . import native_ops  # noqa: F401 (registers torch.ops.lwganet.nms_aligned / nms_rotated)
from .rotated_roi_align import multilevel_rotated_roi_align
from .rpn_head import OrientedRPNHead

__all__ = ["OrientedRCNN", "DetectionThresholds", "DEFAULT_THRESHOLDS"]


class DetectionThresholds:
    """The test_cfg of the released configs, declared once."""

    rpn_pre_nms_top_k = 2000  # per level, by score
    rpn_nms_iou = 0.8
    rpn_max_proposals = 2000
    score_threshold = 0.05
    nms_iou = 0.1
    max_per_image = 2000


DEFAULT_THRESHOLDS = DetectionThresholds()


class OrientedRCNN(nn.Module):
    """Backbone + FPN + oriented RPN + RoI head, keys as the mmrotate checkpoints:
    ``backbone.*``, ``neck.*``, ``rpn_head.*``, ``roi_head.bbox_head.*``."""

    def __init__(self, cfg: VariantConfig, num_classes: int) -> None:
        super().__init__()
        self.num_classes = num_classes
        self.backbone = LWGANetFeatures(cfg)
        self.neck = FPN(cfg.widths, FPN_CHANNELS)
        self.rpn_head = OrientedRPNHead(FPN_CHANNELS)
        self.roi_head = RoIHead(num_classes)
        # Attributes, not globals: TorchScript reads them from the module.
        self.anchor_strides: List[int] = list(ANCHOR_STRIDES)
        self.roi_strides: List[int] = list(ANCHOR_STRIDES[:4])
        self.anchor_ratios: List[float] = list(ANCHOR_RATIOS)
        self.anchor_scale = ANCHOR_SCALE
        t = DEFAULT_THRESHOLDS
        self.rpn_pre_nms_top_k = t.rpn_pre_nms_top_k
        self.rpn_nms_iou = t.rpn_nms_iou
        self.rpn_max_proposals = t.rpn_max_proposals
        self.score_threshold = t.score_threshold
        self.nms_iou = t.nms_iou
        self.max_per_image = t.max_per_image

    def forward_dense(self, image: torch.Tensor) -> Tuple[List[torch.Tensor], List[torch.Tensor], List[torch.Tensor]]:
        """Padded image → (P2..P6, RPN logits per level, RPN deltas per level)."""
        x, _, _ = pad_to_stride(image, 32)
        c2, c3, c4, c5 = self.backbone(x)
        feats = self.neck([c2, c3, c4, c5])
        cls, reg = self.rpn_head(feats)
        return feats, cls, reg

    def proposals(self, cls: List[torch.Tensor], reg: List[torch.Tensor]) -> Tuple[torch.Tensor, torch.Tensor]:
        """RPN outputs → (P, 5) rotated proposals and (P,) scores, by descending score."""
        boxes: List[torch.Tensor] = []
        scores: List[torch.Tensor] = []
        levels: List[torch.Tensor] = []
        for i in range(len(cls)):
            logits, deltas = cls[i][0], reg[i][0]
            height, width = logits.shape[1], logits.shape[2]
            s = logits.permute(1, 2, 0).reshape(-1).sigmoid()
            d = deltas.permute(1, 2, 0).reshape(-1, 6)
            anchors = grid_anchors(height, width, self.anchor_strides[i], self.anchor_ratios, self.anchor_scale,
                                   d.dtype, d.device)
            if s.numel() > self.rpn_pre_nms_top_k:
                s, idx = torch.topk(s, self.rpn_pre_nms_top_k)
                d, anchors = d[idx], anchors[idx]
            boxes.append(decode_midpoint_offset(anchors, d))
            scores.append(s)
            levels.append(torch.full_like(s, i, dtype=torch.long))
        all_boxes, all_scores, all_levels = torch.cat(boxes), torch.cat(scores), torch.cat(levels)
        keep = torch.ops.lwganet.nms_aligned(rbox_to_hbox(all_boxes), all_scores, all_levels, self.rpn_nms_iou)
        keep = keep[:self.rpn_max_proposals]
        return all_boxes[keep], all_scores[keep]

    def detect(self, feats: List[torch.Tensor], proposals: torch.Tensor, height: int, width: int
               ) -> Dict[str, torch.Tensor]:
        """RoI stage on the proposals: final boxes, scores and labels."""
        roi_feats = multilevel_rotated_roi_align(feats[:len(self.roi_strides)], proposals, self.roi_strides)
        probs, deltas = self.roi_head(roi_feats)
        boxes = decode_delta_xywha(proposals, deltas, float(height), float(width))
        scores = probs[:, :-1]  # background is the last column
        pairs = (scores > self.score_threshold).nonzero()
        roi_idx, labels = pairs[:, 0], pairs[:, 1]
        cand_boxes, cand_scores = boxes[roi_idx], scores[roi_idx, labels]
        keep = torch.ops.lwganet.nms_rotated(cand_boxes, cand_scores, labels, self.nms_iou)
        keep = keep[:self.max_per_image]
        return {"boxes": cand_boxes[keep], "scores": cand_scores[keep], "labels": labels[keep]}

    def forward(self, image: torch.Tensor) -> Dict[str, torch.Tensor]:
        if image.dim() != 4 or image.shape[0] != 1 or image.shape[1] != 3:
            raise ValueError("OrientedRCNN takes one image: a (1, 3, H, W) tensor")
        height, width = image.shape[2], image.shape[3]
        feats, cls, reg = self.forward_dense(image)
        proposals, _ = self.proposals(cls, reg)
        return self.detect(feats, proposals, height, width)


def count_by_part(model: OrientedRCNN) -> Dict[str, int]:
    """Parameter counts of the four checkpoint prefixes."""
    parts: Sequence[str] = ("backbone", "neck", "rpn_head", "roi_head")
    return {p: sum(t.numel() for t in getattr(model, p).parameters()) for p in parts}
