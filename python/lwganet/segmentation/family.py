"""Hooks of the segmentation models (UNetFormer-LWGANet): K-class logits at full resolution."""

from typing import Any, List, Sequence, Tuple

from torch import nn

from ..dense import DenseFamily
from ..family import Labels
from ..labels import LABEL_SETS, resolve_labels
from ..metadata import OutputSpec
from .config import CFGS
from .labels import LABEL_SETS as SEGMENTATION_SETS

__all__ = ["SegmentationFamily", "FAMILY"]

_HEAD_WEIGHT = "decoder.segmentation_head.2.0.weight"


class SegmentationFamily(DenseFamily):
    name = "segmentation"
    cfgs = CFGS
    task = "segmentation"

    def create(self, name: str, num_classes: int, features_only: bool = False) -> nn.Module:
        if features_only:
            raise ValueError(f"{name} is a segmentation model; for the dense backbone use "
                             f"lwganet_{self.cfgs[name].variant}")
        return self.cfgs[name].build(self._variant(name), num_classes).eval()

    def choose_labels(self, name: str, labels: Labels, weights: Any) -> Tuple[str, Sequence[str]]:
        head = [v.shape[0] for k, v in (weights or {}).items() if k.endswith(_HEAD_WEIGHT)]
        if labels is None:
            by_count = {len(LABEL_SETS[s]): s for s in SEGMENTATION_SETS}
            if head and head[0] not in by_count:
                raise ValueError(f"the checkpoint has {head[0]} classes: pass labels (a label-set name or a file "
                                 "with one class name per line)")
            labels = by_count[head[0]] if head else self.cfgs[name].default_label_set
        label_set, names = resolve_labels(labels)
        if head and head[0] != len(names):
            raise ValueError(f"labels {label_set!r} have {len(names)} classes but the checkpoint has {head[0]}")
        return label_set, names

    def outputs(self, labels: Sequence[str]) -> List[OutputSpec]:
        return [OutputSpec(name="logits", kind="logits", shape=["N", len(labels), "H", "W"])]


FAMILY = SegmentationFamily()
