"""The one builder every family goes through (as timm's ``build_model_with_cfg``): the registry
finds the family, the family's hooks do what differs.

``create_model`` builds a registered network; ``build_model`` builds the model an export holds
(labels checked against the checkpoint, the checkpoint loaded strictly, or a seeded init).
"""

import os
from dataclasses import dataclass
from typing import Optional, Sequence, Union

import torch
from torch import nn

from .archive import weights_info
from .family import Labels
from .labels import resolve_labels
from .metadata import WeightsInfo
from .registry import get_entry

__all__ = ["create_model", "build_model", "BuiltModel"]


def create_model(name: str, num_classes: Optional[int] = None, labels: Labels = None,
                 features_only: bool = False) -> nn.Module:
    """Builds a registered model in eval mode, with the deterministic default initialisation.

    Args:
        name: a registered name, see ``list_models()``.
        num_classes: outputs of the classifier / segmentation / detection head (default: the
            family's, e.g. 1000 ImageNet classes for a classifier; 0 drops a classifier's Linear).
        labels: a known label-set name (``"nwpu-resisc45"``…) or a list of class names; fixes
            ``num_classes`` (passing a different ``num_classes`` too is an error).
        features_only: build the dense backbone (four feature maps) instead of the classifier.
    """
    entry = get_entry(name)
    if features_only:
        if labels is not None or num_classes is not None:
            raise ValueError("features_only models have no classifier: do not pass num_classes or labels")
        return entry.family.create(name, 0, features_only=True).eval()
    _, names = resolve_labels(labels)
    if names is not None:
        if num_classes is not None and num_classes != len(names):
            raise ValueError(f"num_classes={num_classes} contradicts labels ({len(names)} classes)")
        num_classes = len(names)
    if num_classes is None:
        num_classes = entry.family.default_num_classes(name)
    if num_classes < 0:
        raise ValueError(f"num_classes must be >= 0, got {num_classes}")
    return entry.family.create(name, num_classes).eval()


@dataclass
class BuiltModel:
    """The float32 eval-mode model of an export and what its metadata says about it; the label
    fields are None for a features export."""

    model: nn.Module
    label_set: Optional[str]
    labels: Optional[Sequence[str]]
    weights: WeightsInfo


def build_model(name: str, weights: Optional[Union[str, os.PathLike]] = None, labels: Labels = None, seed: int = 0,
                features_only: bool = False) -> BuiltModel:
    """The model an export of ``name`` holds: checkpoint weights, or the default initialisation
    drawn after ``torch.manual_seed(seed)``. Every format goes through it, so all files of one
    seed or checkpoint carry the same weights."""
    family = get_entry(name).family
    if features_only and labels is not None:
        raise ValueError("a features export has no classifier: labels do not apply")
    checkpoint = family.read_weights(weights) if weights is not None else None
    label_set: Optional[str] = None
    names: Optional[Sequence[str]] = None
    if not features_only:
        label_set, names = family.choose_labels(name, labels, checkpoint)
    torch.manual_seed(seed)
    model = family.create(name, 0 if names is None else len(names), features_only=features_only)
    report = family.load_weights(model, checkpoint, names or ()) if checkpoint is not None else None
    return BuiltModel(model=model.eval(), label_set=label_set, labels=names,
                      weights=weights_info(weights, report, seed))
