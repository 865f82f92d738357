"""Registered segmentation models and their defaults, declared once."""

from typing import Dict

from ..dense import DenseCfg
from ..metadata import TilingSpec
from .unetformer import MIN_SEGMENTATION_SIZE, UNetFormerLWGANet

__all__ = ["TILING", "CFGS"]

# Tiles of a multiple of 256 need no window padding (the official geometry); 1024 is upstream's
# UAVid/LoveDA tile.
TILING = TilingSpec(default_tile_size=1024, tile_multiple=256, min_tile_size=256, default_overlap=128)

# The paper gives the parameter count of the L2 model only: 12.58 M (aux_head included, as the
# official model builds it).
CFGS: Dict[str, DenseCfg] = {
    f"unetformer_lwganet_{v}": DenseCfg(variant=v, build=UNetFormerLWGANet, min_size=MIN_SEGMENTATION_SIZE,
                                        tiling=TILING, default_label_set="uavid",
                                        paper_params_millions=12.58 if v == "l2" else None)
    for v in ("l0", "l1", "l2")
}
