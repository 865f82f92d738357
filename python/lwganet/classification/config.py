"""Registered classifiers and their defaults, declared once."""

from dataclasses import dataclass
from typing import Dict, Tuple

from ..family import ModelCfg

__all__ = ["ClassifierCfg", "CFGS"]


@dataclass(frozen=True, kw_only=True)
class ClassifierCfg(ModelCfg):
    """A classifier's eval preprocessing and the paper's numbers for it.

    Attributes:
        input_size: (height, width) the classifier takes.
        resize_short_side, interpolation: eval preprocessing as upstream: short side 256
            (int(224 * 1.143)), then a centre crop of ``input_size``.
        paper_gflops: the paper's FLOPs of the 45-class (NWPU-RESISC45) classifier at 224².
    """

    default_label_set: str = "imagenet-1k"
    input_size: Tuple[int, int] = (224, 224)
    resize_short_side: int = 256
    interpolation: str = "bilinear"
    paper_gflops: float = 0.0


# The paper's parameter counts (millions, to 3 significant digits) and FLOPs are of the 45-class
# NWPU-RESISC45 classifier at 224²; our models count 1,717,423 / 5,906,975 / 13,040,667.
CFGS: Dict[str, ClassifierCfg] = {
    "lwganet_l0": ClassifierCfg(variant="l0", official_checkpoints=("lwganet_l0_e299.pth",),
                                paper_params_millions=1.72, paper_gflops=0.186),
    "lwganet_l1": ClassifierCfg(variant="l1", official_checkpoints=("lwganet_l1_e299.pth",),
                                paper_params_millions=5.90, paper_gflops=0.709),
    "lwganet_l2": ClassifierCfg(variant="l2", official_checkpoints=("lwganet_l2_e296.pth",),
                                paper_params_millions=13.0, paper_gflops=1.87),
}
