"""The model registry: each registered name → its family (the hooks) and its config.

Registration is explicit: ``FAMILIES`` below lists the built-in families, and the registry is
filled from that list on first use; importing a family module registers nothing. Another
family joins with ``register_family``.
"""

from dataclasses import dataclass
from typing import Dict, List, Tuple

from .family import Family, ModelCfg

__all__ = ["ModelEntry", "register_family", "get_entry", "list_models", "builtin_families"]


@dataclass(frozen=True)
class ModelEntry:
    name: str
    family: Family
    cfg: ModelCfg


_REGISTRY: Dict[str, ModelEntry] = {}
_BUILTINS_REGISTERED = False


def builtin_families() -> Tuple[Family, ...]:
    """The families this package ships, in the order ``list_models`` groups them."""
    from .change_detection.family import FAMILY as change_detection
    from .classification.family import FAMILY as classification
    from .detection.family import FAMILY as detection
    from .segmentation.family import FAMILY as segmentation
    return classification, segmentation, change_detection, detection


def register_family(family: Family) -> None:
    """Adds every name of ``family.cfgs``; a name can be registered only once."""
    for name, cfg in family.cfgs.items():
        if name in _REGISTRY:
            raise ValueError(f"model {name!r} is already registered")
        _REGISTRY[name] = ModelEntry(name=name, family=family, cfg=cfg)


def _registry() -> Dict[str, ModelEntry]:
    global _BUILTINS_REGISTERED
    if not _BUILTINS_REGISTERED:
        _BUILTINS_REGISTERED = True
        for family in builtin_families():
            register_family(family)
    return _REGISTRY


def get_entry(name: str) -> ModelEntry:
    try:
        return _registry()[name]
    except KeyError:
        raise ValueError(f"unknown model {name!r}; available: {', '.join(list_models())}") from None


def list_models() -> List[str]:
    """Registered model names, sorted."""
    return sorted(_registry())
