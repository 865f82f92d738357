"""Hooks of the change-detection models (A2Net- and CLAFA-LWGANet): two co-registered images in,
one (N, 1, H, W) probability of change out."""

from typing import Any, List, Sequence, Tuple

from torch import nn

from ..dense import DenseFamily
from ..family import Labels
from ..labels import resolve_labels
from ..metadata import OutputSpec
from .config import CFGS

__all__ = ["ChangeDetectionFamily", "FAMILY"]


class ChangeDetectionFamily(DenseFamily):
    name = "change-detection"
    cfgs = CFGS
    task = "change-detection"
    input_count = 2

    def create(self, name: str, num_classes: int, features_only: bool = False) -> nn.Module:
        if features_only:
            raise ValueError(f"{name} is a change-detection model; for the dense backbone use "
                             f"lwganet_{self.cfgs[name].variant}")
        if num_classes != 2:
            raise ValueError(f"{name} predicts change / no change: it has 2 labels, not {num_classes}")
        return self.cfgs[name].build(self._variant(name)).eval()

    def choose_labels(self, name: str, labels: Labels, weights: Any) -> Tuple[str, Sequence[str]]:
        label_set, names = resolve_labels(labels if labels is not None else self.cfgs[name].default_label_set)
        if len(names) != 2:
            raise ValueError(f"{name} has 2 labels (unchanged, changed), got {len(names)}")
        return label_set, names

    def outputs(self, labels: Sequence[str]) -> List[OutputSpec]:
        return [OutputSpec(name="change", kind="probability", shape=["N", 1, "H", "W"])]


FAMILY = ChangeDetectionFamily()
