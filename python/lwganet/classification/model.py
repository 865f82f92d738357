"""The scene classifier: LWGANet with the classification head after stage 4 (``fork_feat=False``,
as upstream)."""

import torch

from ..backbone import LWGANet, VariantConfig
from .head import build_classification_head

__all__ = ["LWGANetClassifier", "DEFAULT_NUM_CLASSES"]

DEFAULT_NUM_CLASSES = 1000


class LWGANetClassifier(LWGANet):
    """LWGANet with the classification head: (B, 3, H, W) → (B, num_classes) logits."""

    def __init__(self, cfg: VariantConfig, num_classes: int = DEFAULT_NUM_CLASSES, in_chans: int = 3) -> None:
        super().__init__(cfg, in_chans)
        self.num_classes = num_classes
        self.num_features = cfg.feature_dim
        self.avgpool_pre_head, self.head = build_classification_head(
            cfg.widths[3], cfg.feature_dim, num_classes, cfg.act_layer)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        """Stage-4 map, (B, 8C, H/32, W/32)."""
        return self.forward_stages(x)[3]

    def forward_head(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(torch.flatten(self.avgpool_pre_head(x), 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.forward_head(self.forward_features(x))
