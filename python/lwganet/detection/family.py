"""Hooks of the oriented detectors.

An export's ``forward(image)`` takes one normalised RGB image (1, 3, H, W), any H, W ≥ the
declared minimum, and returns ``{"boxes", "scores", "labels"}`` (le90, input pixels, by
descending score); its two NMS steps call ``torch.ops.lwganet.nms_aligned`` / ``nms_rotated``,
which the Node addon provides natively.
"""

from typing import Any, Dict, List, Optional, Sequence, Tuple

import torch
from torch import nn

from ..backbone import VARIANTS
from ..checkpoint import LoadReport
from ..complexity import count_parameters
from ..family import Family, Labels
from ..labels import get_labels, palette_for
from ..metadata import AnySize, DetectionSpec, InputSpec, NoResize, OutputSpec, RpnSpec
from .checkpoint import choose_detection_labels, load_detection_checkpoint, read_detection_checkpoint
from .config import CFGS, MIN_DETECTION_SIZE, PADDING_RULE, TILING, DetectionCfg
from .orcnn import DEFAULT_THRESHOLDS, OrientedRCNN, count_by_part

__all__ = ["DetectionFamily", "FAMILY", "detection_spec"]


def detection_spec() -> DetectionSpec:
    """The thresholds the model applies, from the one place they are declared (orcnn.py)."""
    t = DEFAULT_THRESHOLDS
    return DetectionSpec(angle_convention="le90", box_format="cx,cy,w,h,angle", score_threshold=t.score_threshold,
                         nms_iou_threshold=t.nms_iou, max_per_image=t.max_per_image,
                         rpn=RpnSpec(pre_nms_top_k=t.rpn_pre_nms_top_k, nms_iou_threshold=t.rpn_nms_iou,
                                     max_proposals=t.rpn_max_proposals))


class DetectionFamily(Family):
    name = "detection"
    task = "rotated-detection"
    cfgs = CFGS

    def default_num_classes(self, name: str) -> int:
        return len(get_labels(self.cfgs[name].default_label_set))

    def create(self, name: str, num_classes: int, features_only: bool = False) -> nn.Module:
        if features_only:
            raise ValueError(f"{name} is a detector; for the dense backbone use lwganet_{self.cfgs[name].variant}")
        if num_classes < 1:
            raise ValueError(f"{name} needs at least one class, got num_classes={num_classes}")
        return OrientedRCNN(VARIANTS[self.cfgs[name].variant], num_classes).eval()

    def read_weights(self, path: Any) -> Any:
        return read_detection_checkpoint(path)

    def choose_labels(self, name: str, labels: Labels, weights: Any) -> Tuple[str, Sequence[str]]:
        return choose_detection_labels(labels, weights, self.cfgs[name].default_label_set)

    def load_weights(self, model: nn.Module, weights: Any, names: Sequence[str]) -> LoadReport:
        return load_detection_checkpoint(model, weights, names)[0]

    def check_export(self, name: str, method: str, dtype: str, features_only: bool) -> None:
        if method != "script" and not features_only:
            raise ValueError(f"{name} exports with method='script' only: a trace cannot follow its data-dependent "
                             "proposal and NMS steps")
        super().check_export(name, method, dtype, features_only)

    def describe(self, name: str, label_set: Optional[str], labels: Optional[Sequence[str]], dtype: str,
                 method: str, features_only: bool) -> Dict[str, Any]:
        cfg: DetectionCfg = self.cfgs[name]
        labels = list(labels or ())
        outputs: List[OutputSpec] = [OutputSpec(name="boxes", kind="rotated-boxes", shape=["D", 5]),
                                     OutputSpec(name="scores", kind="scores", shape=["D"]),
                                     OutputSpec(name="labels", kind="labels", shape=["D"])]
        return dict(task=self.task,
                    input=InputSpec(dtype=dtype, color_order=cfg.color_order, value_scale=cfg.value_scale,
                                    mean=list(cfg.mean), std=list(cfg.std),
                                    size=AnySize(min_height=MIN_DETECTION_SIZE, min_width=MIN_DETECTION_SIZE,
                                                 padding=PADDING_RULE),
                                    resize=NoResize()),
                    outputs=outputs, palette=palette_for(label_set, labels), tiling=TILING, detection=detection_spec())

    def example_inputs(self, name: str, dtype: torch.dtype, seed: int, features_only: bool
                       ) -> Tuple[torch.Tensor, ...]:
        raise ValueError(f"{name} is not traced")

    def info(self, name: str, size: int = 224) -> Dict[str, Any]:
        """Parameter counts (K = the default label set's size), by checkpoint prefix."""
        cfg: DetectionCfg = self.cfgs[name]
        model = self.create(name, self.default_num_classes(name))
        return {"model": name, "variant": cfg.variant, "task": "rotated-detection",
                "labelSet": cfg.default_label_set, "params": count_parameters(model),
                "paramsByPart": count_by_part(model), "paper": {"paramsMillions": cfg.paper_params_millions}}


FAMILY = DetectionFamily()
