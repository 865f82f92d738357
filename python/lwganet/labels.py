"""Class-name lists of the label sets our models are trained on, declared once (heads.md §3).

Remote-sensing sets: class index = position of the dataset's folder name in sorted order, as
written by the upstream training script. ImageNet-1k: the standard synset order; the names are
the first WordNet lemma of each synset (data/imagenet_1k.tsv), with the two ambiguous ones made
unique ("crane (bird)" / "crane (machine)", "maillot" / "tank suit"). The segmentation, change
and detection sets are declared in dense_labels.py and detection_labels.py and merged here.
"""

from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple, Union

from .dense_labels import DENSE_LABEL_SETS
from .detection_labels import DETECTION_LABEL_SETS

__all__ = ["LABEL_SETS", "get_labels", "list_label_sets", "imagenet_synsets", "resolve_labels"]

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

_IMAGENET_FILE = Path(__file__).with_name("data") / "imagenet_1k.tsv"


def _read_imagenet() -> Tuple[Tuple[str, ...], Tuple[str, ...]]:
    rows = [line.split("\t") for line in _IMAGENET_FILE.read_text(encoding="utf-8").splitlines() if line]
    return tuple(r[0] for r in rows), tuple(r[1] for r in rows)


_IMAGENET_SYNSETS, IMAGENET_1K = _read_imagenet()

LABEL_SETS: Dict[str, Tuple[str, ...]] = {
    "imagenet-1k": IMAGENET_1K,
    "nwpu-resisc45": NWPU_RESISC45,
    "aid": AID,
    "ucm": UCM,
    **DENSE_LABEL_SETS,  # segmentation and change detection (dense_labels.py)
    **DETECTION_LABEL_SETS,  # oriented detection, DOTA (detection_labels.py)
}


def list_label_sets() -> List[str]:
    return sorted(LABEL_SETS)


def get_labels(name: str) -> List[str]:
    """Class names of a known label set, in class-index order."""
    try:
        return list(LABEL_SETS[name])
    except KeyError:
        raise ValueError(f"unknown label set {name!r}; known: {', '.join(list_label_sets())}") from None


def imagenet_synsets() -> List[str]:
    """WordNet ids (n01440764, …) of the ImageNet-1k classes, aligned with its names."""
    return list(_IMAGENET_SYNSETS)


def resolve_labels(labels: Union[None, str, Sequence[str]]) -> Tuple[Optional[str], Optional[List[str]]]:
    """Normalises a ``labels=`` argument to ``(label_set, names)``.

    A known set name gives that set; a sequence of names gives ``("custom", names)``; a path
    to a text file (one name per line) also counts as custom; None gives ``(None, None)``.
    """
    if labels is None:
        return None, None
    if isinstance(labels, str):
        if labels in LABEL_SETS:
            return labels, get_labels(labels)
        path = Path(labels)
        if path.is_file():
            names = [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
            return "custom", _checked(names, str(path))
        raise ValueError(f"unknown label set {labels!r}; known: {', '.join(list_label_sets())} "
                         "(or a text file with one class name per line)")
    return "custom", _checked([str(n) for n in labels], "labels")


def _checked(names: List[str], origin: str) -> List[str]:
    if not names:
        raise ValueError(f"{origin}: no class names")
    if len(set(names)) != len(names):
        raise ValueError(f"{origin}: class names must be unique")
    return names
