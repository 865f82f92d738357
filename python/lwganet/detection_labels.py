"""Label sets of the oriented-detection models (heads.md §7.6), declared once.

Class index order of mmrotate's DOTA datasets (the names DOTA's annotation files use); the
palettes are mmrotate's DOTA visualisation colours, one RGB triple per class, written into
exported metadata for drawing boxes. lib/dota-classes.ts holds the same lists.
"""

from typing import Dict, List, Sequence, Tuple

from .dense_labels import palette_for

__all__ = ["DOTA_V1_0", "DOTA_V1_5", "DETECTION_LABEL_SETS", "DETECTION_PALETTES", "detection_palette"]

RGB = Tuple[int, int, int]

DOTA_V1_0 = (
    "plane", "baseball-diamond", "bridge", "ground-track-field", "small-vehicle", "large-vehicle", "ship",
    "tennis-court", "basketball-court", "storage-tank", "soccer-ball-field", "roundabout", "harbor",
    "swimming-pool", "helicopter",
)
DOTA_V1_5 = DOTA_V1_0 + ("container-crane",)

DOTA_V1_0_PALETTE: Tuple[RGB, ...] = (
    (165, 42, 42), (189, 183, 107), (0, 255, 0), (255, 0, 0), (138, 43, 226), (255, 128, 0), (255, 0, 255),
    (0, 255, 255), (255, 193, 193), (0, 51, 153), (255, 250, 205), (0, 139, 139), (255, 255, 0),
    (147, 116, 116), (0, 0, 255),
)
DOTA_V1_5_PALETTE: Tuple[RGB, ...] = DOTA_V1_0_PALETTE + ((220, 20, 60),)

DETECTION_LABEL_SETS: Dict[str, Tuple[str, ...]] = {"dota-v1.0": DOTA_V1_0, "dota-v1.5": DOTA_V1_5}
DETECTION_PALETTES: Dict[str, Tuple[RGB, ...]] = {"dota-v1.0": DOTA_V1_0_PALETTE, "dota-v1.5": DOTA_V1_5_PALETTE}


def detection_palette(label_set: str, labels: Sequence[str]) -> List[List[int]]:
    """mmrotate's colours for a DOTA set; generated distinct colours for custom labels."""
    colours = DETECTION_PALETTES.get(label_set)
    if colours is None:
        return palette_for(label_set, labels)
    if len(colours) != len(labels):
        raise ValueError(f"palette of {label_set!r} has {len(colours)} colours for {len(labels)} labels")
    return [list(c) for c in colours]
