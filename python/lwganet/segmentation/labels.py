"""Label sets of the segmentation models and their palettes (the datasets' own colours, one RGB
triple per class in class-index order, written into exported metadata).

UAVid: 8 classes. LoveDA: GeoSeg's remapping, raw 1..7 → 0..6 (raw 0 = no-data becomes the
ignore index).
"""

from typing import Dict, Tuple

__all__ = ["LOVEDA", "UAVID", "LOVEDA_PALETTE", "UAVID_PALETTE", "LABEL_SETS", "PALETTES"]

RGB = Tuple[int, int, int]

LOVEDA = ("background", "building", "road", "water", "barren", "forest", "agricultural")
LOVEDA_PALETTE: Tuple[RGB, ...] = ((255, 255, 255), (255, 0, 0), (255, 255, 0), (0, 0, 255),
                                   (159, 129, 183), (0, 255, 0), (255, 195, 128))

UAVID = ("Building", "Road", "Tree", "LowVeg", "Moving_Car", "Static_Car", "Human", "Clutter")
UAVID_PALETTE: Tuple[RGB, ...] = ((128, 0, 0), (128, 64, 128), (0, 128, 0), (128, 128, 0), (64, 0, 128),
                                  (192, 0, 192), (64, 64, 0), (0, 0, 0))

LABEL_SETS: Dict[str, Tuple[str, ...]] = {"loveda": LOVEDA, "uavid": UAVID}
PALETTES: Dict[str, Tuple[RGB, ...]] = {"loveda": LOVEDA_PALETTE, "uavid": UAVID_PALETTE}
