"""Every known label set, by name, and how a ``labels=`` argument resolves.

Each family declares its own sets in its ``labels`` module (classification, segmentation,
change_detection, detection); this module merges them and gives every set its palette: the
dataset's colours where it has some, else distinct generated ones.
"""

from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple, Union

from .change_detection import labels as _change
from .classification import labels as _classification
from .classification.labels import imagenet_synsets
from .detection import labels as _detection
from .segmentation import labels as _segmentation

__all__ = ["LABEL_SETS", "get_labels", "list_label_sets", "imagenet_synsets", "resolve_labels", "palette_for",
           "known_set_of"]

RGB = Tuple[int, int, int]
_FAMILIES = (_classification, _segmentation, _change, _detection)

LABEL_SETS: Dict[str, Tuple[str, ...]] = {name: names for f in _FAMILIES for name, names in f.LABEL_SETS.items()}
PALETTES: Dict[str, Tuple[RGB, ...]] = {name: colours for f in _FAMILIES for name, colours in f.PALETTES.items()}


def list_label_sets() -> List[str]:
    return sorted(LABEL_SETS)


def get_labels(name: str) -> List[str]:
    """Class names of a known label set, in class-index order."""
    try:
        return list(LABEL_SETS[name])
    except KeyError:
        raise ValueError(f"unknown label set {name!r}; known: {', '.join(list_label_sets())}") from None


def known_set_of(names: Sequence[str], among: Sequence[str]) -> Optional[str]:
    """The name of the set in ``among`` whose classes are exactly ``names``, else None."""
    return next((name for name in among if list(LABEL_SETS[name]) == list(names)), None)


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
