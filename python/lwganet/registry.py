"""Explicit model registry: name → factory. No registration by import side effect elsewhere."""

from typing import Callable, Dict, List

from torch import nn

__all__ = ["register_model", "get_model_factory", "list_models"]

ModelFactory = Callable[..., nn.Module]

_REGISTRY: Dict[str, ModelFactory] = {}


def register_model(name: str, factory: ModelFactory) -> None:
    """Adds ``factory`` under ``name``; a name can be registered only once."""
    if name in _REGISTRY:
        raise ValueError(f"model {name!r} is already registered")
    _REGISTRY[name] = factory


def get_model_factory(name: str) -> ModelFactory:
    try:
        return _REGISTRY[name]
    except KeyError:
        raise ValueError(f"unknown model {name!r}; available: {', '.join(list_models())}") from None


def list_models() -> List[str]:
    """Registered model names, sorted."""
    return sorted(_REGISTRY)
