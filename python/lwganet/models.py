"""Task models built on the LWGANet trunk, their default configs, and the registered factories.

Two forms per variant, as upstream: the classifier (``fork_feat=False``: head after stage 4)
and the dense backbone (``fork_feat=True``: four BN-normalised stage outputs for dense heads).
"""

from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence, Tuple, Union

import torch
from torch import nn

from .backbone import VARIANTS, LWGANet, VariantConfig
from .heads import build_classification_head
from .labels import resolve_labels
from .registry import get_model_factory, register_model

__all__ = ["LWGANetClassifier", "LWGANetFeatures", "ModelCfg", "DEFAULT_CFGS", "create_model",
           "DEFAULT_NUM_CLASSES"]

DEFAULT_NUM_CLASSES = 1000


class LWGANetClassifier(LWGANet):
    """LWGANet with the classification head: (B, 3, H, W) → (B, num_classes) logits."""

    def __init__(self, cfg: VariantConfig, num_classes: int = DEFAULT_NUM_CLASSES, in_chans: int = 3) -> None:
        super().__init__(cfg, in_chans)
        self.num_classes = num_classes
        self.num_features = cfg.feature_dim
        self.avgpool_pre_head, self.head = build_classification_head(
            cfg.widths[3], cfg.feature_dim, num_classes, cfg.act_layer)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        """Stage-4 map, (B, 8C, H/32, W/32)."""
        return self.forward_stages(x)[3]

    def forward_head(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(torch.flatten(self.avgpool_pre_head(x), 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.forward_head(self.forward_features(x))


class LWGANetFeatures(LWGANet):
    """Dense backbone: a tuple of four maps, strides 4/8/16/32, channels C/2C/4C/8C.

    Each is its block stack's output through its own BN, named by the index in ``stages``
    (``norm0``, ``norm2``, ``norm4``, ``norm6``), registered after ``stages`` as upstream.
    """

    def __init__(self, cfg: VariantConfig, in_chans: int = 3) -> None:
        super().__init__(cfg, in_chans)
        c1, c2, c3, c4 = cfg.widths
        self.norm0 = nn.BatchNorm2d(c1)
        self.norm2 = nn.BatchNorm2d(c2)
        self.norm4 = nn.BatchNorm2d(c3)
        self.norm6 = nn.BatchNorm2d(c4)
        # timm-style description of the outputs, for wiring dense heads.
        self.feature_info: List[Dict[str, object]] = [
            dict(num_chs=ch, reduction=4 * 2 ** i, module=f"norm{2 * i}") for i, ch in enumerate(cfg.widths)]

    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        f = self.forward_stages(x)
        return self.norm0(f[0]), self.norm2(f[1]), self.norm4(f[2]), self.norm6(f[3])


@dataclass(frozen=True)
class ModelCfg:
    """Default input/provenance config of a registered model (values declared once here)."""

    variant: str
    input_size: Tuple[int, int] = (224, 224)
    # Eval preprocessing of heads.md §3: short side 256 (int(224 * 1.143)), centre crop 224.
    resize_short_side: int = 256
    interpolation: str = "bilinear"
    mean: Tuple[float, float, float] = (0.485, 0.456, 0.406)
    std: Tuple[float, float, float] = (0.229, 0.224, 0.225)
    color_order: str = "RGB"
    value_scale: float = 255  # an int in JSON, as documented
    official_checkpoint: str = ""
    # Paper's 45-class (NWPU-RESISC45) classifier at 224² (heads.md §3): params, GFLOPs.
    paper_params: int = 0
    paper_gflops: float = 0.0
    origin_url: str = "https://github.com/AeroVILab-AHU/LWGANet"
    license: str = "CC BY-NC 4.0 (official weights)"


DEFAULT_CFGS: Dict[str, ModelCfg] = {
    "lwganet_l0": ModelCfg(variant="l0", official_checkpoint="lwganet_l0_e299.pth",
                           paper_params=1_717_423, paper_gflops=0.186),
    "lwganet_l1": ModelCfg(variant="l1", official_checkpoint="lwganet_l1_e299.pth",
                           paper_params=5_906_975, paper_gflops=0.709),
    "lwganet_l2": ModelCfg(variant="l2", official_checkpoint="lwganet_l2_e296.pth",
                           paper_params=13_040_667, paper_gflops=1.87),
}


def _create_lwganet(variant: str, num_classes: int, features_only: bool) -> nn.Module:
    cfg = VARIANTS[variant]
    if features_only:
        return LWGANetFeatures(cfg)
    return LWGANetClassifier(cfg, num_classes=num_classes)


def lwganet_l0(num_classes: int = DEFAULT_NUM_CLASSES, features_only: bool = False) -> nn.Module:
    return _create_lwganet("l0", num_classes, features_only)


def lwganet_l1(num_classes: int = DEFAULT_NUM_CLASSES, features_only: bool = False) -> nn.Module:
    return _create_lwganet("l1", num_classes, features_only)


def lwganet_l2(num_classes: int = DEFAULT_NUM_CLASSES, features_only: bool = False) -> nn.Module:
    return _create_lwganet("l2", num_classes, features_only)


register_model("lwganet_l0", lwganet_l0)
register_model("lwganet_l1", lwganet_l1)
register_model("lwganet_l2", lwganet_l2)


def create_model(name: str, num_classes: Optional[int] = None,
                 labels: Union[None, str, Sequence[str]] = None, features_only: bool = False) -> nn.Module:
    """Builds a registered model in eval mode, with the deterministic default initialisation.

    Args:
        name: a registered name, see ``list_models()``.
        num_classes: classifier outputs (default 1000, the ImageNet head; 0 drops the Linear).
        labels: a known label-set name (``"nwpu-resisc45"``…) or a list of class names; fixes
            ``num_classes`` (passing a different ``num_classes`` too is an error).
        features_only: build the dense backbone (four feature maps) instead of the classifier.
    """
    factory = get_model_factory(name)
    if features_only:
        if labels is not None or num_classes is not None:
            raise ValueError("features_only models have no classifier: do not pass num_classes or labels")
        return factory(features_only=True).eval()
    _, names = resolve_labels(labels)
    if names is not None:
        if num_classes is not None and num_classes != len(names):
            raise ValueError(f"num_classes={num_classes} contradicts labels ({len(names)} classes)")
        num_classes = len(names)
    if num_classes is None:
        # Dense task factories (tasks.py) declare their own default (8 UAVid classes, 2 for change).
        num_classes = getattr(factory, "default_num_classes", DEFAULT_NUM_CLASSES)
    if num_classes < 0:
        raise ValueError(f"num_classes must be >= 0, got {num_classes}")
    return factory(num_classes=num_classes).eval()
