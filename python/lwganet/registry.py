"""The model registry: each registered name → its family (the hooks) and its config.

Registration is explicit: ``BUILTIN_FAMILIES`` below lists the families this package ships and
registers them; importing a family module registers nothing. Another family joins with
``register_family``.
"""

from dataclasses import dataclass
from typing import Dict, List, Tuple

from .change_detection.family import FAMILY as CHANGE_DETECTION
from .classification.family import FAMILY as CLASSIFICATION
from .detection.family import FAMILY as DETECTION
from .family import Family, ModelCfg
from .segmentation.family import FAMILY as SEGMENTATION

__all__ = ["ModelEntry", "BUILTIN_FAMILIES", "register_family", "get_entry", "list_models"]

BUILTIN_FAMILIES: Tuple[Family, ...] = (CLASSIFICATION, SEGMENTATION, CHANGE_DETECTION, DETECTION)


@dataclass(frozen=True)
class ModelEntry:
    name: str
    family: Family
    cfg: ModelCfg


_REGISTRY: Dict[str, ModelEntry] = {}


def register_family(family: Family) -> None:
    """Adds every name of ``family.cfgs``; a name can be registered only once."""
    for name, cfg in family.cfgs.items():
        if name in _REGISTRY:
            raise ValueError(f"model {name!r} is already registered")
        _REGISTRY[name] = ModelEntry(name=name, family=family, cfg=cfg)


def get_entry(name: str) -> ModelEntry:
    try:
        return _REGISTRY[name]
    except KeyError:
        raise ValueError(f"unknown model {name!r}; available: {', '.join(list_models())}") from None


def list_models() -> List[str]:
    """Registered model names, sorted."""
    return sorted(_REGISTRY)


for _family in BUILTIN_FAMILIES:
    register_family(_family)
