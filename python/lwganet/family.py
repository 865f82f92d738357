"""What every model family provides: one config base class and the hooks the one builder and
the one export pipeline (build.py, export.py) call, as timm's ``build_model_with_cfg`` serves
every model file.

A family (classification, segmentation, change_detection, detection: one package each, with
``config``, ``labels`` and ``family`` modules) declares its registered names in ``CFGS`` — one
``ModelCfg`` each — and subclasses ``Family`` for what differs: which labels a checkpoint
implies, how the network is built, what its metadata says, which example inputs a trace takes.
"""

from dataclasses import dataclass
from typing import Any, Dict, Mapping, Optional, Sequence, Tuple, Union

import torch
from torch import nn

from .checkpoint import LoadReport, load_checkpoint, read_state_dict

__all__ = ["ModelCfg", "Family", "Labels", "IMAGENET_MEAN", "IMAGENET_STD"]

Labels = Union[None, str, Sequence[str]]

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


@dataclass(frozen=True, kw_only=True)
class ModelCfg:
    """Defaults of one registered model, declared once in its family's ``config`` module.

    Attributes:
        variant: backbone variant, "l0" | "l1" | "l2".
        default_label_set: labels of an export that names none and whose checkpoint implies none.
        mean, std, color_order, value_scale: the input normalisation written into the metadata.
        paper_params_millions: the paper's parameter count of this model, in millions (None
            where the paper gives none).
        official_checkpoints: file names of the released weights (none for unreleased models).
        methods, dtypes: the TorchScript conversions and weight dtypes the model exports with.
    """

    variant: str
    default_label_set: Optional[str]
    mean: Tuple[float, ...] = IMAGENET_MEAN
    std: Tuple[float, ...] = IMAGENET_STD
    color_order: str = "RGB"
    value_scale: float = 255
    paper_params_millions: Optional[float] = None
    official_checkpoints: Tuple[str, ...] = ()
    methods: Tuple[str, ...] = ("script", "trace")
    dtypes: Tuple[str, ...] = ("float32", "float16")


class Family:
    """Hooks of one model family. Subclasses set ``name``, ``cfgs`` and override what differs."""

    name: str = ""
    task: str = ""  # the metadata task of its exports (features exports say "features")
    cfgs: Mapping[str, ModelCfg] = {}
    features_export: bool = False  # True: ``features_only`` exports the dense backbone

    # --- building -----------------------------------------------------------------------------
    def default_num_classes(self, name: str) -> int:
        raise NotImplementedError

    def create(self, name: str, num_classes: int, features_only: bool = False) -> nn.Module:
        """The eval-mode network with ``num_classes`` outputs (or the dense backbone)."""
        raise NotImplementedError

    # --- checkpoints and labels ---------------------------------------------------------------
    def read_weights(self, path: Any) -> Any:
        """A checkpoint file read safely: what ``choose_labels`` and ``load_weights`` take."""
        return read_state_dict(path)

    def choose_labels(self, name: str, labels: Labels, weights: Any) -> Tuple[str, Sequence[str]]:
        """(label set, class names) of an export, checked against the checkpoint's head."""
        raise NotImplementedError

    def load_weights(self, model: nn.Module, weights: Any, names: Sequence[str]) -> LoadReport:
        return load_checkpoint(model, weights, strict=True)

    # --- export -------------------------------------------------------------------------------
    def check_export(self, name: str, method: str, dtype: str, features_only: bool) -> None:
        """Refuses what this model cannot export as (the pipeline has checked the vocabulary)."""
        cfg = self.cfgs[name]
        if features_only and not self.features_export:
            raise ValueError(f"{name} has no features export; use lwganet_{cfg.variant} --features")
        if method not in cfg.methods:
            raise ValueError(f"{name} exports with method={cfg.methods[0]!r} only")
        if dtype not in cfg.dtypes:
            raise ValueError(f"{name} exports in {' or '.join(cfg.dtypes)} only")

    def describe(self, name: str, label_set: Optional[str], labels: Optional[Sequence[str]], dtype: str,
                 method: str, features_only: bool) -> Dict[str, Any]:
        """The ModelMetadata fields of this export but weights and export (the pipeline adds those)."""
        raise NotImplementedError

    def example_inputs(self, name: str, dtype: torch.dtype, seed: int, features_only: bool
                       ) -> Tuple[torch.Tensor, ...]:
        """Deterministic inputs a trace (and the trace check) runs."""
        raise NotImplementedError

    def info(self, name: str, size: int = 224) -> Dict[str, Any]:
        """``python -m lwganet info``: parameter counts (and FLOPs where the paper gives them)."""
        raise NotImplementedError
