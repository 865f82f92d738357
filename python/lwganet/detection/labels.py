"""Label sets of the oriented detectors: DOTA-v1.0 (15 classes) and DOTA-v1.5 (v1.0 plus
container-crane), in the class-index order of mmrotate's DOTA datasets (the names DOTA's
annotation files and ``Task1_<class>.txt`` submissions use), with mmrotate's visualisation
colours. The lists live in ``data/dota_label_sets.json``, which the Node package reads too
(lib/detection/dota-classes.ts): one file for both languages.
"""

import json
from pathlib import Path
from typing import Dict, Tuple

__all__ = ["DOTA_V1_0", "DOTA_V1_5", "LABEL_SETS", "PALETTES"]

RGB = Tuple[int, int, int]

_FILE = Path(__file__).resolve().parents[1] / "data" / "dota_label_sets.json"
_SETS = json.loads(_FILE.read_text(encoding="utf-8"))

LABEL_SETS: Dict[str, Tuple[str, ...]] = {name: tuple(s["labels"]) for name, s in _SETS.items()}
PALETTES: Dict[str, Tuple[RGB, ...]] = {name: tuple(tuple(c) for c in s["palette"]) for name, s in _SETS.items()}

DOTA_V1_0 = LABEL_SETS["dota-v1.0"]
DOTA_V1_5 = LABEL_SETS["dota-v1.5"]
