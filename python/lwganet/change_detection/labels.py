"""Label set of the change-detection models: every dataset labels 0 = unchanged, 1 = changed
(mask pixel // 255); drawn black and white."""

from typing import Dict, Tuple

__all__ = ["BINARY_CHANGE", "LABEL_SETS", "PALETTES"]

BINARY_CHANGE = ("unchanged", "changed")

LABEL_SETS: Dict[str, Tuple[str, ...]] = {"binary-change": BINARY_CHANGE}
PALETTES: Dict[str, Tuple[Tuple[int, int, int], ...]] = {"binary-change": ((0, 0, 0), (255, 255, 255))}
