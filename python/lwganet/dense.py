"""What the dense task families (segmentation, change detection) share: their config class and
the hooks that depend only on it (input rule, tiling, trace inputs, parameter counts).

A dense model pads inputs to a multiple of 32 inside and crops its output back, so a scripted
export takes any size from its minimum up. A trace records one input size's control flow (no
padding at the trace size): traced exports take only tiles of their geometry, which their
metadata states as ``input.size.multipleOf`` (= ``tiling.tileMultiple``).
"""

from dataclasses import dataclass, replace
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

import torch
from torch import nn

from .backbone import VARIANTS
from .complexity import count_parameters
from .family import Family, ModelCfg
from .labels import get_labels, palette_for
from .layers.padding import PADDING_RULE
from .metadata import AnySize, InputSpec, NoResize, OutputSpec, TilingSpec

__all__ = ["DenseCfg", "DenseFamily", "TRACED_MIN_SIZE"]

# A trace keeps BlurPool's reflection-padding branch only, which needs MRA maps with sides ≥ 3
# (inputs ≥ 68 px): traced exports declare the next multiple of 32 as their smallest input.
TRACED_MIN_SIZE = 96


@dataclass(frozen=True, kw_only=True)
class DenseCfg(ModelCfg):
    """A dense model's network, smallest input and tiling.

    Attributes:
        build: the network class, built as ``build(VariantConfig[, num_classes])``.
        min_size: smallest input side the scripted model runs.
        tiling: how the Node pipelines cut images of any size into tiles.
        trace_size: square input side a ``method="trace"`` export is traced at.
    """

    build: Callable[..., nn.Module]
    min_size: int
    tiling: TilingSpec
    trace_size: int = 256


class DenseFamily(Family):
    """Hooks common to segmentation and change detection; subclasses set ``task``,
    ``input_count`` and the label and output hooks."""

    task: str = ""
    input_count: int = 1

    def default_num_classes(self, name: str) -> int:
        return len(get_labels(self.cfgs[name].default_label_set))

    def outputs(self, labels: Sequence[str]) -> List[OutputSpec]:
        raise NotImplementedError

    def describe(self, name: str, label_set: Optional[str], labels: Optional[Sequence[str]], dtype: str,
                 method: str, features_only: bool) -> Dict[str, Any]:
        cfg: DenseCfg = self.cfgs[name]
        min_size, tiling, multiple_of = cfg.min_size, cfg.tiling, None
        if method == "trace":
            min_size = max(min_size, TRACED_MIN_SIZE)
            tiling = replace(tiling, min_tile_size=max(tiling.min_tile_size, TRACED_MIN_SIZE))
            multiple_of = tiling.tile_multiple
        size = AnySize(min_height=min_size, min_width=min_size, padding=PADDING_RULE, multiple_of=multiple_of)
        return dict(task=self.task,
                    input=InputSpec(dtype=dtype, color_order=cfg.color_order, value_scale=cfg.value_scale,
                                    mean=list(cfg.mean), std=list(cfg.std), size=size, resize=NoResize()),
                    outputs=self.outputs(labels or ()), palette=palette_for(label_set, labels or ()), tiling=tiling)

    def example_inputs(self, name: str, dtype: torch.dtype, seed: int, features_only: bool
                       ) -> Tuple[torch.Tensor, ...]:
        size = self.cfgs[name].trace_size
        generator = torch.Generator().manual_seed(seed)
        return tuple(torch.randn(1, 3, size, size, generator=generator).to(dtype) for _ in range(self.input_count))

    def info(self, name: str, size: int = 224) -> Dict[str, Any]:
        """Parameter counts (K = the default label set's size for segmentation)."""
        cfg: DenseCfg = self.cfgs[name]
        model = self.create(name, self.default_num_classes(name))
        backbone = count_parameters(model.backbone)
        total = count_parameters(model)
        return {"model": name, "variant": cfg.variant, "task": self.task,
                "params": total, "backboneParams": backbone, "headParams": total - backbone,
                "paper": {"paramsMillions": cfg.paper_params_millions}}

    def _variant(self, name: str):
        return VARIANTS[self.cfgs[name].variant]
