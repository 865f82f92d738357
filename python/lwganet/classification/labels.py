"""Label sets of the scene classifiers.

Remote-sensing sets (NWPU-RESISC45, AID, UCM): class index = position of the dataset's folder
name in sorted order, as written by the upstream training script. ImageNet-1k: the standard
synset order; the names are the first WordNet lemma of each synset (data/imagenet_1k.tsv), with
the two ambiguous ones made unique ("crane (bird)" / "crane (machine)", "maillot" / "tank suit").
"""

from pathlib import Path
from typing import Dict, List, Tuple

__all__ = ["NWPU_RESISC45", "AID", "UCM", "IMAGENET_1K", "LABEL_SETS", "PALETTES", "imagenet_synsets"]

NWPU_RESISC45 = (
    "airplane", "airport", "baseball_diamond", "basketball_court", "beach", "bridge", "chaparral",
    "church", "circular_farmland", "cloud", "commercial_area", "dense_residential", "desert",
    "forest", "freeway", "golf_course", "ground_track_field", "harbor", "industrial_area",
    "intersection", "island", "lake", "meadow", "medium_residential", "mobile_home_park",
    "mountain", "overpass", "palace", "parking_lot", "railway", "railway_station",
    "rectangular_farmland", "river", "roundabout", "runway", "sea_ice", "ship", "snowberg",
    "sparse_residential", "stadium", "storage_tank", "tennis_court", "terrace",
    "thermal_power_station", "wetland",
)

AID = (
    "Airport", "BareLand", "BaseballField", "Beach", "Bridge", "Center", "Church", "Commercial",
    "DenseResidential", "Desert", "Farmland", "Forest", "Industrial", "Meadow",
    "MediumResidential", "Mountain", "Park", "Parking", "Playground", "Pond", "Port",
    "RailwayStation", "Resort", "River", "School", "SparseResidential", "Square", "Stadium",
    "StorageTanks", "Viaduct",
)

UCM = (
    "agricultural", "airplane", "baseballdiamond", "beach", "buildings", "chaparral",
    "denseresidential", "forest", "freeway", "golfcourse", "harbor", "intersection",
    "mediumresidential", "mobilehomepark", "overpass", "parkinglot", "river", "runway",
    "sparseresidential", "storagetanks", "tenniscourt",
)

_IMAGENET_FILE = Path(__file__).resolve().parents[1] / "data" / "imagenet_1k.tsv"


def _read_imagenet() -> Tuple[Tuple[str, ...], Tuple[str, ...]]:
    rows = [line.split("\t") for line in _IMAGENET_FILE.read_text(encoding="utf-8").splitlines() if line]
    return tuple(r[0] for r in rows), tuple(r[1] for r in rows)


_IMAGENET_SYNSETS, IMAGENET_1K = _read_imagenet()

LABEL_SETS: Dict[str, Tuple[str, ...]] = {"imagenet-1k": IMAGENET_1K, "nwpu-resisc45": NWPU_RESISC45, "aid": AID,
                                         "ucm": UCM}
PALETTES: Dict[str, Tuple[Tuple[int, int, int], ...]] = {}  # classification draws no masks


def imagenet_synsets() -> List[str]:
    """WordNet ids (n01440764, …) of the ImageNet-1k classes, aligned with its names."""
    return list(_IMAGENET_SYNSETS)
