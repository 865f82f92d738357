"""Segmentation and change-detection models: registration, defaults, metadata and export.

Registered names: ``unetformer_lwganet_l{0,1,2}`` (segmentation, K classes),
``a2net_lwganet_l{0,1,2}`` and ``clafa_lwganet_l{0,2}`` (change detection: forward(a, b) →
(N, 1, H, W) probability of change). ``export_model`` hands these names to ``export_dense``.
Every preprocessing value is declared once, in ``DENSE_CFGS``.
"""

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable, Dict, Optional, Sequence, Tuple, Union

import torch
from torch import nn

from .backbone import VARIANTS
from .checkpoint import load_checkpoint, read_state_dict
from .complexity import count_parameters
from .dense_labels import palette_for
from .graph import DEFAULT_GRAPH, prepare_graph
from .export import EXPORT_DTYPES, EXPORT_METHODS, _created_at, _jit_quiet, _weights_info
from .heads.a2net import MIN_CHANGE_SIZE, A2NetLWGANet
from .heads.clafa import MIN_CLAFA_SIZE, CLAFALWGANet
from .heads.padding import PADDING_RULE
from .heads.unetformer import MIN_SEGMENTATION_SIZE, UNetFormerLWGANet
from .labels import resolve_labels
from .metadata import (METADATA_FILE, AnySize, ExportInfo, InputSpec, ModelMetadata, NoResize, OutputSpec,
                       TilingSpec, WeightsInfo)
from .registry import register_model
from .version import __version__

__all__ = ["DenseCfg", "DENSE_CFGS", "export_dense", "dense_info", "build_dense", "build_dense_metadata"]

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


@dataclass(frozen=True)
class DenseCfg:
    """Defaults of one dense model (heads.md §4.3, §5.3, §6.3)."""

    task: str  # "segmentation" | "change-detection"
    variant: str
    build: Callable[..., nn.Module]
    min_size: int
    tiling: TilingSpec
    default_label_set: str
    color_order: str = "RGB"
    mean: Tuple[float, float, float] = IMAGENET_MEAN
    std: Tuple[float, float, float] = IMAGENET_STD
    paper_params: Optional[float] = None  # millions, as the spec states them
    trace_size: int = 256


# Segmentation tiles of a multiple of 256 need no window padding (the official geometry);
# 1024 is upstream's UAVid/LoveDA tile. Change detection was trained on 256² pairs.
SEG_TILING = TilingSpec(default_tile_size=1024, tile_multiple=256, min_tile_size=256, default_overlap=128)
CHANGE_TILING = TilingSpec(default_tile_size=256, tile_multiple=32, min_tile_size=64, default_overlap=32)
# A trace keeps BlurPool's reflection-padding branch only, which needs MRA maps with sides ≥ 3
# (inputs ≥ 68 px): traced exports declare the next multiple of 32 as their smallest input.
TRACED_MIN_SIZE = 96

DENSE_CFGS: Dict[str, DenseCfg] = {}
for _v in ("l0", "l1", "l2"):
    DENSE_CFGS[f"unetformer_lwganet_{_v}"] = DenseCfg(
        task="segmentation", variant=_v, build=UNetFormerLWGANet, min_size=MIN_SEGMENTATION_SIZE,
        tiling=SEG_TILING, default_label_set="uavid", paper_params=12.58 if _v == "l2" else None)
    # A2Net reads images with OpenCV: BGR, with the ImageNet statistics in BGR order.
    DENSE_CFGS[f"a2net_lwganet_{_v}"] = DenseCfg(
        task="change-detection", variant=_v, build=A2NetLWGANet, min_size=MIN_CHANGE_SIZE, tiling=CHANGE_TILING,
        default_label_set="binary-change", color_order="BGR", mean=IMAGENET_MEAN[::-1], std=IMAGENET_STD[::-1],
        paper_params=14.31 if _v == "l2" else None)
for _v, _params in (("l0", 5.71), ("l2", 19.63)):
    DENSE_CFGS[f"clafa_lwganet_{_v}"] = DenseCfg(
        task="change-detection", variant=_v, build=CLAFALWGANet, min_size=MIN_CLAFA_SIZE, tiling=CHANGE_TILING,
        default_label_set="binary-change", paper_params=_params)


def _factory(name: str) -> Callable[..., nn.Module]:
    cfg = DENSE_CFGS[name]
    segmentation = cfg.task == "segmentation"

    def factory(num_classes: Optional[int] = None, features_only: bool = False) -> nn.Module:
        if features_only:
            raise ValueError(f"{name} is a {cfg.task} model; for the dense backbone use lwganet_{cfg.variant}")
        if segmentation:
            return cfg.build(VARIANTS[cfg.variant], num_classes or factory.default_num_classes)
        if num_classes not in (None, 2):
            raise ValueError(f"{name} predicts change / no change: it has 2 labels, not {num_classes}")
        return cfg.build(VARIANTS[cfg.variant])

    factory.default_num_classes = 8 if segmentation else 2  # read by create_model
    factory.__name__ = name
    return factory


for _name in DENSE_CFGS:
    register_model(_name, _factory(_name))


def _labels_for(name: str, labels: Union[None, str, Sequence[str]], state: Optional[Dict[str, torch.Tensor]]
                ) -> Tuple[str, Sequence[str]]:
    cfg = DENSE_CFGS[name]
    if cfg.task == "change-detection":
        label_set, names = resolve_labels(labels if labels is not None else cfg.default_label_set)
        if len(names) != 2:
            raise ValueError(f"{name} has 2 labels (unchanged, changed), got {len(names)}")
        return label_set, names
    head = [v.shape[0] for k, v in (state or {}).items() if k.endswith("decoder.segmentation_head.2.0.weight")]
    if labels is None:
        by_count = {7: "loveda", 8: "uavid"}
        if head and head[0] not in by_count:
            raise ValueError(f"the checkpoint has {head[0]} classes: pass labels (a label-set name or a file "
                             "with one class name per line)")
        labels = by_count[head[0]] if head else cfg.default_label_set
    label_set, names = resolve_labels(labels)
    if head and head[0] != len(names):
        raise ValueError(f"labels {label_set!r} have {len(names)} classes but the checkpoint has {head[0]}")
    return label_set, names


def build_dense_metadata(name: str, label_set: str, labels: Sequence[str], weights: WeightsInfo, method: str,
                         frozen: bool, dtype: str, graph: str) -> ModelMetadata:
    cfg = DENSE_CFGS[name]
    min_size, tiling = cfg.min_size, cfg.tiling
    if method == "trace" and min_size < TRACED_MIN_SIZE:
        min_size = TRACED_MIN_SIZE
        tiling = replace(tiling, min_tile_size=max(tiling.min_tile_size, TRACED_MIN_SIZE))
    if cfg.task == "segmentation":
        outputs = [OutputSpec(name="logits", kind="logits", shape=["N", len(labels), "H", "W"])]
    else:
        outputs = [OutputSpec(name="change", kind="probability", shape=["N", 1, "H", "W"])]
    return ModelMetadata(
        task=cfg.task, model=name, variant=cfg.variant, label_set=label_set, labels=list(labels),
        input=InputSpec(dtype=dtype, color_order=cfg.color_order, value_scale=255, mean=list(cfg.mean),
                        std=list(cfg.std), size=AnySize(min_height=min_size, min_width=min_size,
                                                        padding=PADDING_RULE), resize=NoResize()),
        outputs=outputs, palette=palette_for(label_set, labels), tiling=tiling, weights=weights,
        export=ExportInfo(torch_version=torch.__version__.split("+")[0], lwganet_version=__version__,
                          method=method, frozen=frozen, dtype=dtype, created_at=_created_at(), graph=graph))


def example_inputs(name: str, size: int, dtype: torch.dtype, seed: int) -> Tuple[torch.Tensor, ...]:
    generator = torch.Generator().manual_seed(seed)
    count = 1 if DENSE_CFGS[name].task == "segmentation" else 2
    return tuple(torch.randn(1, 3, size, size, generator=generator).to(dtype) for _ in range(count))


def _convert(name: str, model: nn.Module, method: str, dtype: torch.dtype, seed: int) -> torch.jit.ScriptModule:
    with _jit_quiet():
        if method == "script":
            return torch.jit.script(model)
        # A trace records one input size's control flow (padding, window padding): traced
        # exports are for tiles of that geometry (multiples of tiling.tileMultiple).
        example = example_inputs(name, DENSE_CFGS[name].trace_size, dtype, seed)
        with torch.no_grad(), torch.jit.optimized_execution(False):
            traced = torch.jit.trace(model, example, check_trace=False)
            if not torch.equal(traced(*example), model(*example)):
                raise RuntimeError("the traced graph does not reproduce the eager model; export with method='script'")
        return traced


def export_dense(name: str, out: Union[str, Path], weights: Optional[Union[str, Path]] = None,
                 labels: Union[None, str, Sequence[str]] = None, seed: int = 0, freeze: bool = False,
                 dtype: str = "float32", method: str = "script", features_only: bool = False,
                 graph: str = DEFAULT_GRAPH) -> ModelMetadata:
    """``export_model`` for segmentation / change-detection names (same arguments)."""
    if features_only:
        raise ValueError(f"{name} has no features export; use lwganet_{DENSE_CFGS[name].variant} --features")
    if method not in EXPORT_METHODS:
        raise ValueError(f"method must be one of {EXPORT_METHODS}, got {method!r}")
    if dtype not in EXPORT_DTYPES:
        raise ValueError(f"dtype must be one of {tuple(EXPORT_DTYPES)}, got {dtype!r}")
    model, label_set, names, info = build_dense(name, weights=weights, labels=labels, seed=seed)
    model = prepare_graph(model.to(EXPORT_DTYPES[dtype]).eval(), graph)
    module = _convert(name, model, method, EXPORT_DTYPES[dtype], seed)
    if freeze:
        with _jit_quiet():
            module = torch.jit.freeze(module)
    metadata = build_dense_metadata(name, label_set, names, info, method, freeze, dtype, graph)
    with _jit_quiet():
        torch.jit.save(module, str(out), _extra_files={METADATA_FILE: metadata.to_json()})
    return metadata


def build_dense(name: str, weights: Optional[Union[str, Path]] = None,
                labels: Union[None, str, Sequence[str]] = None, seed: int = 0
                ) -> Tuple[nn.Module, str, Sequence[str], WeightsInfo]:
    """The float32 eval-mode dense model an export of ``name`` holds (shared by the TorchScript
    and the AOTInductor exporters): (model, label set, class names, weights info)."""
    state = read_state_dict(weights) if weights is not None else None
    label_set, names = _labels_for(name, labels, state)
    torch.manual_seed(seed)
    model = _build(name, len(names))
    report = load_checkpoint(model, weights, strict=True) if state is not None else None
    return model, label_set, names, _weights_info(weights, report, seed)


def _build(name: str, num_classes: int) -> nn.Module:
    cfg = DENSE_CFGS[name]
    if cfg.task == "segmentation":
        return cfg.build(VARIANTS[cfg.variant], num_classes).eval()
    return cfg.build(VARIANTS[cfg.variant]).eval()


def dense_info(name: str) -> dict:
    """Parameter counts of a dense model (K = the default label set's size for segmentation)."""
    cfg = DENSE_CFGS[name]
    model = _build(name, 8)
    backbone = count_parameters(model.backbone)
    total = count_parameters(model)
    return {"model": name, "variant": cfg.variant, "task": cfg.task,
            "params": total, "backboneParams": backbone, "headParams": total - backbone,
            "paper": {"paramsMillions": cfg.paper_params}}
