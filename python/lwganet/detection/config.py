"""Registered oriented detectors and their defaults, declared once.

``orcnn_lwganet_l2`` is the released model (Oriented R-CNN, LWGANet-L2 + FPN, le90; DOTA-v1.0
with K = 15 or DOTA-v1.5 with K = 16). ``orcnn_lwganet_l0`` / ``_l1`` are the same detector on
the smaller backbones (FPN inputs follow the variant's widths); upstream released no weights
for them. ``create_model(name, labels="dota-v1.5")`` picks K from the labels; the default is
DOTA-v1.0.
"""

from dataclasses import dataclass
from typing import Dict, Tuple

from ..family import ModelCfg
from ..metadata import TilingSpec

__all__ = ["DetectionCfg", "CFGS", "MIN_DETECTION_SIZE", "TILING", "PADDING_RULE"]

# Inputs are padded to a multiple of 32 inside the model; the backbone runs from 32 px up.
MIN_DETECTION_SIZE = 32
PADDING_RULE = ("inputs whose sides are not multiples of 32 are zero-padded at the bottom/right (after "
                "normalisation) inside the model; box centres are clamped to the unpadded H x W")
# DOTA "ss" (single-scale) protocol: 1024² patches with 200 px overlap.
TILING = TilingSpec(default_tile_size=1024, tile_multiple=32, min_tile_size=MIN_DETECTION_SIZE, default_overlap=200)


@dataclass(frozen=True, kw_only=True)
class DetectionCfg(ModelCfg):
    """A detector: mmdet's img_norm_cfg of the released configs (RGB on 0..255, so no value
    scaling), scripted float32 only (its proposal and NMS steps are data-dependent and its
    rotated-IoU arithmetic is not meant for float16)."""

    default_label_set: str = "dota-v1.0"
    mean: Tuple[float, ...] = (123.675, 116.28, 103.53)
    std: Tuple[float, ...] = (58.395, 57.12, 57.375)
    value_scale: float = 1
    methods: Tuple[str, ...] = ("script",)
    dtypes: Tuple[str, ...] = ("float32",)


# The paper's count for the released L2 detector with K = 15: 29.25 M parameters.
CFGS: Dict[str, DetectionCfg] = {
    "orcnn_lwganet_l0": DetectionCfg(variant="l0"),
    "orcnn_lwganet_l1": DetectionCfg(variant="l1"),
    "orcnn_lwganet_l2": DetectionCfg(
        variant="l2", paper_params_millions=29.25,
        official_checkpoints=("ORCNN_LWGANet_L2_fpn_le90_dota10_ss_e30.pth",
                              "ORCNN_LWGANet_L2_fpn_le90_dota15_ss_e30.pth")),
}
