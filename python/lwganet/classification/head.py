"""Scene-classification head (as upstream): global average pool → 1×1 conv (no bias) → act → Linear.

The official keys sit at the model's top level (``avgpool_pre_head.1.weight``, ``head.*``), so
the head is two modules that the task model registers under those names, not one sub-module.
"""

from typing import Tuple, Type

from torch import nn

__all__ = ["ClassificationHead", "build_classification_head"]

ClassificationHead = Tuple[nn.Sequential, nn.Module]


def build_classification_head(in_dim: int, feature_dim: int, num_classes: int,
                              act_layer: Type[nn.Module]) -> ClassificationHead:
    """Returns ``(avgpool_pre_head, head)``; ``head`` is Identity when ``num_classes == 0``."""
    avgpool_pre_head = nn.Sequential(
        nn.AdaptiveAvgPool2d(1), nn.Conv2d(in_dim, feature_dim, 1, bias=False), act_layer())
    head: nn.Module = nn.Linear(feature_dim, num_classes) if num_classes > 0 else nn.Identity()
    return avgpool_pre_head, head
