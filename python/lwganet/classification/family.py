"""Hooks of the classifiers and their ``--features`` export (the dense backbone)."""

import re
from typing import Any, Dict, Optional, Sequence, Tuple

import torch
from torch import nn

from ..backbone import MIN_INPUT_SIZE, SIZE_RULE, VARIANTS
from ..complexity import count_flops_all, count_parameters
from ..family import Family, Labels
from ..features import LWGANetFeatures
from ..labels import resolve_labels
from ..metadata import AnySize, FixedSize, InputSpec, NoResize, OutputSpec, ShortSideCenterCrop
from .config import CFGS, ClassifierCfg
from .model import DEFAULT_NUM_CLASSES, LWGANetClassifier

__all__ = ["ClassificationFamily", "FAMILY", "PAPER_LABELS"]

_HEAD_WEIGHT = re.compile(r"^((module|backbone|net)\.)*head\.weight$")
_TRACE_SIZE = 224
PAPER_LABELS = "nwpu-resisc45"  # the paper's parameter and FLOP table is of the 45-class classifier


class ClassificationFamily(Family):
    name = "classification"
    task = "classification"
    cfgs = CFGS
    features_export = True

    def default_num_classes(self, name: str) -> int:
        return DEFAULT_NUM_CLASSES

    def create(self, name: str, num_classes: int, features_only: bool = False) -> nn.Module:
        variant = VARIANTS[self.cfgs[name].variant]
        if features_only:
            return LWGANetFeatures(variant).eval()
        return LWGANetClassifier(variant, num_classes=num_classes).eval()

    def choose_labels(self, name: str, labels: Labels, weights: Any) -> Tuple[str, Sequence[str]]:
        head = [v.shape[0] for k, v in (weights or {}).items() if _HEAD_WEIGHT.match(k)]
        head_classes = head[0] if head else None
        label_set, names = resolve_labels(labels)
        if names is None:
            if head_classes not in (None, 1000):
                raise ValueError(f"the checkpoint has a {head_classes}-class head: pass labels "
                                 "(a label-set name or a file with one class name per line)")
            label_set, names = resolve_labels(self.cfgs[name].default_label_set)
        if head_classes is not None and head_classes != len(names):
            raise ValueError(f"labels {label_set!r} have {len(names)} classes but the checkpoint head has "
                             f"{head_classes}")
        return label_set, names

    def describe(self, name: str, label_set: Optional[str], labels: Optional[Sequence[str]], dtype: str,
                 method: str, features_only: bool) -> Dict[str, Any]:
        cfg: ClassifierCfg = self.cfgs[name]
        if features_only:
            size, resize = AnySize(min_height=MIN_INPUT_SIZE, min_width=MIN_INPUT_SIZE, padding=SIZE_RULE), NoResize()
            outputs = [OutputSpec(name=f"stage{i + 1}", kind="features", shape=["N", ch, f"H/{4 << i}", f"W/{4 << i}"])
                       for i, ch in enumerate(VARIANTS[cfg.variant].widths)]
        else:
            height, width = cfg.input_size
            size = FixedSize(height=height, width=width)
            resize = ShortSideCenterCrop(short_side=cfg.resize_short_side, crop=height, interpolation=cfg.interpolation)
            outputs = [OutputSpec(name="logits", kind="logits", shape=["N", len(labels or ())])]
        return dict(task="features" if features_only else "classification",
                    input=InputSpec(dtype=dtype, color_order=cfg.color_order, value_scale=cfg.value_scale,
                                    mean=list(cfg.mean), std=list(cfg.std), size=size, resize=resize),
                    outputs=outputs)

    def example_inputs(self, name: str, dtype: torch.dtype, seed: int, features_only: bool
                       ) -> Tuple[torch.Tensor, ...]:
        generator = torch.Generator().manual_seed(seed)
        return (torch.randn(1, 3, _TRACE_SIZE, _TRACE_SIZE, generator=generator).to(dtype),)

    def info(self, name: str, size: int = 224) -> Dict[str, Any]:
        """Parameter and FLOP counts of the paper's 45-class classifier (both conventions of
        complexity.py), the 1000-class ImageNet model and the dense backbone."""
        cfg: ClassifierCfg = self.cfgs[name]
        paper_model = self.create(name, len(resolve_labels(PAPER_LABELS)[1]))
        imagenet_model = self.create(name, DEFAULT_NUM_CLASSES)
        nwpu = count_flops_all(paper_model, (size, size), ("ptflops", "macs"))
        imagenet = count_flops_all(imagenet_model, (size, size), ("ptflops", "macs"))
        return {
            "model": name, "variant": cfg.variant, "inputSize": size,
            "paper": {"labels": PAPER_LABELS, "paramsMillions": cfg.paper_params_millions, "gflops": cfg.paper_gflops},
            "nwpu45": {"params": count_parameters(paper_model), "flops": nwpu["ptflops"], "macs": nwpu["macs"]},
            "imagenet1k": {"params": count_parameters(imagenet_model), "flops": imagenet["ptflops"],
                           "macs": imagenet["macs"]},
            "features": {"params": count_parameters(self.create(name, 0, features_only=True))},
        }


FAMILY = ClassificationFamily()
