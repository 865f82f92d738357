"""Registered change-detection models and their defaults, declared once."""

from typing import Dict

from ..dense import DenseCfg
from ..family import IMAGENET_MEAN, IMAGENET_STD
from ..metadata import TilingSpec
from .a2net import MIN_CHANGE_SIZE, A2NetLWGANet
from .clafa import MIN_CLAFA_SIZE, CLAFALWGANet

__all__ = ["TILING", "CFGS"]

# Change detection was trained on 256² pairs; its tiles need only the 32-pixel stride geometry.
TILING = TilingSpec(default_tile_size=256, tile_multiple=32, min_tile_size=64, default_overlap=32)

# Paper parameter counts: A2Net-LWGANet-L2 14.31 M; CLAFA-LWGANet L0 5.71 M and L2 19.63 M.
CFGS: Dict[str, DenseCfg] = {}
for _v in ("l0", "l1", "l2"):
    # A2Net reads images with OpenCV: BGR, with the ImageNet statistics in BGR order.
    CFGS[f"a2net_lwganet_{_v}"] = DenseCfg(
        variant=_v, build=A2NetLWGANet, min_size=MIN_CHANGE_SIZE, tiling=TILING, default_label_set="binary-change",
        color_order="BGR", mean=IMAGENET_MEAN[::-1], std=IMAGENET_STD[::-1],
        paper_params_millions=14.31 if _v == "l2" else None)
for _v, _params in (("l0", 5.71), ("l2", 19.63)):
    CFGS[f"clafa_lwganet_{_v}"] = DenseCfg(
        variant=_v, build=CLAFALWGANet, min_size=MIN_CLAFA_SIZE, tiling=TILING, default_label_set="binary-change",
        paper_params_millions=_params)
