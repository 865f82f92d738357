"""Registered oriented detectors and their defaults (heads.md §7), declared once.

``orcnn_lwganet_l2`` is the released model (Oriented R-CNN, LWGANet-L2 + FPN, le90; DOTA-v1.0
with K = 15 or DOTA-v1.5 with K = 16). ``orcnn_lwganet_l0`` / ``_l1`` are the same detector on
the smaller backbones (FPN inputs follow the variant's widths); upstream released no weights
for them. ``create_model(name, labels="dota-v1.5")`` picks K from the labels; the default is
DOTA-v1.0.
"""

from dataclasses import dataclass
from typing import Callable, Dict, Optional, Tuple

from torch import nn

from ..backbone import VARIANTS
from ..labels import get_labels
from ..metadata import TilingSpec
from ..registry import register_model
from .orcnn import OrientedRCNN

__all__ = ["DetectionCfg", "DETECTION_CFGS", "MIN_DETECTION_SIZE", "DETECTION_TILING", "DETECTION_MEAN",
           "DETECTION_STD"]

# mmdet's img_norm_cfg of the released configs: RGB on 0..255 (heads.md §7.3).
DETECTION_MEAN = (123.675, 116.28, 103.53)
DETECTION_STD = (58.395, 57.12, 57.375)
# Inputs are padded to a multiple of 32 inside the model; the backbone runs from 32 px up.
MIN_DETECTION_SIZE = 32
# DOTA "ss" protocol: 1024² patches with 200 px overlap (heads.md §7.5).
DETECTION_TILING = TilingSpec(default_tile_size=1024, tile_multiple=32, min_tile_size=MIN_DETECTION_SIZE,
                              default_overlap=200)


@dataclass(frozen=True)
class DetectionCfg:
    """Defaults of one registered detector."""

    variant: str
    default_label_set: str = "dota-v1.0"
    official_checkpoints: Tuple[str, ...] = ()
    paper_params_millions: Optional[float] = None


DETECTION_CFGS: Dict[str, DetectionCfg] = {
    "orcnn_lwganet_l0": DetectionCfg(variant="l0"),
    "orcnn_lwganet_l1": DetectionCfg(variant="l1"),
    "orcnn_lwganet_l2": DetectionCfg(
        variant="l2", paper_params_millions=29.25,
        official_checkpoints=("ORCNN_LWGANet_L2_fpn_le90_dota10_ss_e30.pth",
                              "ORCNN_LWGANet_L2_fpn_le90_dota15_ss_e30.pth")),
}


def build_detector(name: str, num_classes: int) -> OrientedRCNN:
    if num_classes < 1:
        raise ValueError(f"{name} needs at least one class, got num_classes={num_classes}")
    return OrientedRCNN(VARIANTS[DETECTION_CFGS[name].variant], num_classes).eval()


def _factory(name: str) -> Callable[..., nn.Module]:
    default = len(get_labels(DETECTION_CFGS[name].default_label_set))

    def factory(num_classes: Optional[int] = None, features_only: bool = False) -> nn.Module:
        if features_only:
            raise ValueError(f"{name} is a detector; for the dense backbone use lwganet_{DETECTION_CFGS[name].variant}")
        return build_detector(name, default if num_classes is None else num_classes)

    factory.default_num_classes = default  # read by create_model
    factory.__name__ = name
    return factory


for _name in DETECTION_CFGS:
    register_model(_name, _factory(_name))
