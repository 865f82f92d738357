"""Label sets and palettes of the dense tasks (heads.md §4.3, §5.3), declared once.

labels.py merges the names into its LABEL_SETS; the palettes (one RGB triple per class, in
class-index order) are the datasets' own colours, written into exported metadata.
"""

from typing import Dict, List, Sequence, Tuple

__all__ = ["LOVEDA", "UAVID", "BINARY_CHANGE", "DENSE_LABEL_SETS", "PALETTES", "palette_for"]

RGB = Tuple[int, int, int]

# GeoSeg's remapping of LoveDA: raw 1..7 → 0..6 (raw 0 = no-data becomes the ignore index).
LOVEDA = ("background", "building", "road", "water", "barren", "forest", "agricultural")
LOVEDA_PALETTE: Tuple[RGB, ...] = ((255, 255, 255), (255, 0, 0), (255, 255, 0), (0, 0, 255),
                                   (159, 129, 183), (0, 255, 0), (255, 195, 128))

UAVID = ("Building", "Road", "Tree", "LowVeg", "Moving_Car", "Static_Car", "Human", "Clutter")
UAVID_PALETTE: Tuple[RGB, ...] = ((128, 0, 0), (128, 64, 128), (0, 128, 0), (128, 128, 0), (64, 0, 128),
                                  (192, 0, 192), (64, 64, 0), (0, 0, 0))

# Change detection: every dataset labels 0 = unchanged, 1 = changed (mask pixel // 255).
BINARY_CHANGE = ("unchanged", "changed")
BINARY_CHANGE_PALETTE: Tuple[RGB, ...] = ((0, 0, 0), (255, 255, 255))

DENSE_LABEL_SETS: Dict[str, Tuple[str, ...]] = {"loveda": LOVEDA, "uavid": UAVID, "binary-change": BINARY_CHANGE}
PALETTES: Dict[str, Tuple[RGB, ...]] = {"loveda": LOVEDA_PALETTE, "uavid": UAVID_PALETTE,
                                        "binary-change": BINARY_CHANGE_PALETTE}


def _generated(index: int) -> RGB:
    # PASCAL-VOC style bit spreading: distinct, deterministic colours for custom label lists.
    r = g = b = 0
    for shift in range(8):
        r |= ((index >> 0) & 1) << (7 - shift)
        g |= ((index >> 1) & 1) << (7 - shift)
        b |= ((index >> 2) & 1) << (7 - shift)
        index >>= 3
    return r, g, b


def palette_for(label_set: str, labels: Sequence[str]) -> List[List[int]]:
    """The dataset palette of a known set; generated distinct colours for custom labels."""
    colours = PALETTES.get(label_set) or tuple(_generated(i) for i in range(len(labels)))
    if len(colours) != len(labels):
        raise ValueError(f"palette of {label_set!r} has {len(colours)} colours for {len(labels)} labels")
    return [list(c) for c in colours]
