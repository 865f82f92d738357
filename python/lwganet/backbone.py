"""LWGANet backbone (L0/L1/L2), written for lwganet-node from the paper and the official state_dict layout.

Paper: "LWGANet: Addressing Spatial and Channel Redundancy in Remote Sensing Visual Tasks with
Light-Weight Grouped Attention" (AAAI 2026), Wei Lu et al. Official code:
https://github.com/AeroVILab-AHU/LWGANet (CC BY-NC 4.0). None of that code is used here; module
attribute names and container indices follow the official state_dict layout (tests/data/lwganet_l*_keys.json) so the
official checkpoints load with ``strict=True``.

Any input size: the official network runs only on squares with side 32k..32k+3 (k ≥ 3). This
implementation gives the same results there and extends every size-dependent op in the
natural way, so any H×W ≥ 32 runs without padding the input (see ``SIZE_RULE``).
"""

from dataclasses import dataclass
from typing import Dict, List, Tuple, Type

import torch
import torch.nn.functional as F
from torch import nn

from .layers import (ATTENTION_FORMULATIONS, GA, BlurPool, fused_strip_placement, max_pool_2x2,
                     max_unpool_2x2, scatter_unpool, shear_cols, shear_rows, unshear_cols,
                     unshear_rows)

__all__ = ["LWGANet", "PooledBranch", "VariantConfig", "VARIANTS", "FORMULATIONS", "DEFAULT_FORMULATIONS",
           "set_formulation", "MIN_INPUT_SIZE", "SIZE_RULE", "feature_sizes"]

MIN_INPUT_SIZE = 32

SIZE_RULE = ("no input padding: stem floors each side to a multiple of 4; odd maps use ceil-mode "
             "2x2 windows in the max-pool/unpool branches; BlurPool keeps mirroring on map sides < 3; "
             "the shear transforms are defined for any H x W; identical to the official network on "
             "its valid sizes (square, side 32k..32k+3, k >= 3)")

# Numerically interchangeable implementations, chosen per module without touching the
# state_dict. The first entry of each is the default and reproduces the official op sequence.
FORMULATIONS: Dict[str, Tuple[str, ...]] = {
    # "shear": 4 strip convs + shear/unshear reshapes (official); "fused": one (k+2)² conv.
    "mra": ("shear", "fused"),
    # "scatter": ceil-mode pool + scatter (any size); "max_unpool": official floor-mode pool +
    # max_unpool2d (even map sides only, like upstream).
    "unpool": ("scatter", "max_unpool"),
    "attention": ATTENTION_FORMULATIONS,
}
DEFAULT_FORMULATIONS = {name: options[0] for name, options in FORMULATIONS.items()}


def feature_sizes(height: int, width: int) -> List[Tuple[int, int]]:
    """Spatial size of the four stage outputs (strides 4, 8, 16, 32) for an input H×W."""
    h, w = height // 4, width // 4
    sizes = [(h, w)]
    for _ in range(3):
        h, w = (h + 1) // 2, (w + 1) // 2
        sizes.append((h, w))
    return sizes


class PooledBranch(nn.Module):
    """Base for the branches that run at half resolution and scatter back to argmax positions."""

    def __init__(self) -> None:
        super().__init__()
        self.unpool_formulation = "scatter"

    def pooled(self, x: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        return max_pool_2x2(x, self.unpool_formulation == "scatter")

    def unpooled(self, z: torch.Tensor, indices: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
        if self.unpool_formulation == "scatter":
            return scatter_unpool(z, indices, like)
        return max_unpool_2x2(z, indices)


class PA(nn.Module):
    """Point attention: a sigmoid gate from a 1×1 bottleneck (×4). Returns x·σ(g(x))."""

    def __init__(self, dim: int, act_layer: Type[nn.Module]) -> None:
        super().__init__()
        self.p_conv = nn.Sequential(
            nn.Conv2d(dim, dim * 4, 1, bias=False), nn.BatchNorm2d(dim * 4), act_layer(),
            nn.Conv2d(dim * 4, dim, 1, bias=False))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * torch.sigmoid(self.p_conv(x))


class LA(nn.Module):
    """Local attention: full 3×3 conv → BN → act."""

    def __init__(self, dim: int, act_layer: Type[nn.Module]) -> None:
        super().__init__()
        self.conv = nn.Sequential(nn.Conv2d(dim, dim, 3, 1, 1, bias=False), nn.BatchNorm2d(dim), act_layer())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(x)


class MRA(nn.Module):
    """Medium-range attention: strip convs (plain and sheared) on a blur-pooled map, as a gate."""

    def __init__(self, dim: int, kernel: int) -> None:
        super().__init__()
        p = kernel // 2
        self.kernel = kernel
        self.formulation = "shear"
        self.max_m1 = nn.MaxPool2d(3, 1, 1)
        self.max_m2 = BlurPool(dim, stride=3)
        self.H_att1 = nn.Conv2d(dim, dim, (kernel, 3), 1, (p, 1), groups=dim, bias=False)
        self.V_att1 = nn.Conv2d(dim, dim, (3, kernel), 1, (1, p), groups=dim, bias=False)
        self.H_att2 = nn.Conv2d(dim, dim, (kernel, 3), 1, (p, 1), groups=dim, bias=False)
        self.V_att2 = nn.Conv2d(dim, dim, (3, kernel), 1, (1, p), groups=dim, bias=False)
        self.norm = nn.BatchNorm2d(dim)
        # Not in the state_dict: a fixed layout matrix, rebuilt identically at construction.
        self.register_buffer("placement", fused_strip_placement(kernel), persistent=False)

    def strips_shear(self, t: torch.Tensor) -> torch.Tensor:
        h2 = unshear_rows(self.H_att2(shear_rows(t)))
        v2 = unshear_cols(self.V_att2(shear_cols(t)))
        return self.H_att1(t) + self.V_att1(t) + h2 + v2

    def fused_kernel(self) -> torch.Tensor:
        """The four strip kernels summed into one [c, 1, k+2, k+2] depthwise kernel."""
        taps = torch.cat([conv.weight.flatten(1) for conv in
                          (self.H_att1, self.V_att1, self.H_att2, self.V_att2)], dim=1)
        size = self.kernel + 2
        return (taps @ self.placement).view(-1, 1, size, size)

    def strips_fused(self, t: torch.Tensor) -> torch.Tensor:
        return F.conv2d(t, self.fused_kernel(), padding=self.kernel // 2 + 1, groups=t.shape[1])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        t = self.max_m2(self.max_m1(x))
        att = self.strips_fused(t) if self.formulation == "fused" else self.strips_shear(t)
        gate = torch.sigmoid(self.norm(att))
        # Legacy 'nearest' (not 'nearest-exact') with an explicit size, as upstream.
        return x * F.interpolate(gate, size=[x.shape[2], x.shape[3]], mode="nearest")


class GA12(PooledBranch):
    """Stage 1–2 global branch: LSK-style large-kernel selection at half resolution."""

    def __init__(self, dim: int, act_layer: Type[nn.Module]) -> None:
        super().__init__()
        half = dim // 2
        self.proj_1 = nn.Conv2d(dim, dim, 1)
        self.act = act_layer()
        self.conv0 = nn.Conv2d(dim, dim, 5, padding=2, groups=dim)
        self.conv_spatial = nn.Conv2d(dim, dim, 7, stride=1, padding=9, groups=dim, dilation=3)
        self.conv1 = nn.Conv2d(dim, half, 1)
        self.conv2 = nn.Conv2d(dim, half, 1)
        self.conv_squeeze = nn.Conv2d(2, 2, 7, padding=3)
        self.conv = nn.Conv2d(half, dim, 1)
        self.proj_2 = nn.Conv2d(dim, dim, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        z, indices = self.pooled(x)
        z = self.act(self.proj_1(z))
        a1 = self.conv0(z)
        a2 = self.conv_spatial(a1)
        a1 = self.conv1(a1)
        a2 = self.conv2(a2)
        both = torch.cat([a1, a2], dim=1)
        stats = torch.cat([torch.mean(both, dim=1, keepdim=True),
                           torch.amax(both, dim=1, keepdim=True)], dim=1)
        select = torch.sigmoid(self.conv_squeeze(stats))
        att = self.conv(a1 * select[:, 0:1] + a2 * select[:, 1:2])
        return self.unpooled(self.proj_2(z * att), indices, x)


class D_GA(PooledBranch):
    """Stage 3 global branch: self-attention on the 2×2-max-pooled map, BN, scattered back."""

    def __init__(self, dim: int) -> None:
        super().__init__()
        self.norm = nn.BatchNorm2d(dim)  # registered first: the official key order
        self.attn = GA(dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        z, indices = self.pooled(x)
        return self.unpooled(self.norm(self.attn(z)), indices, x)


class LWGABlock(nn.Module):
    """Split into 4 channel groups (PA, LA, MRA, stage-specific global branch), MLP, post-norm."""

    def __init__(self, dim: int, stage: int, kernel: int, mlp_ratio: float,
                 act_layer: Type[nn.Module]) -> None:
        super().__init__()
        part = dim // 4
        hidden = int(dim * mlp_ratio)
        self.part = part
        self.mlp = nn.Sequential(
            nn.Conv2d(dim, hidden, 1, bias=False), nn.BatchNorm2d(hidden), act_layer(),
            nn.Conv2d(hidden, dim, 1, bias=False))
        self.PA = PA(part, act_layer)
        self.LA = LA(part, act_layer)
        self.MRA = MRA(part, kernel)
        if stage < 2:
            self.GA12 = GA12(part, act_layer)
            self.norm = nn.BatchNorm2d(part)
        elif stage == 2:
            self.GA3 = D_GA(part)
        else:
            self.GA4 = GA(part)
            self.norm = nn.BatchNorm2d(part)
        self.norm1 = nn.BatchNorm2d(dim)

    def global_branch(self, x: torch.Tensor) -> torch.Tensor:
        # hasattr on a module is resolved when scripting, so only the branch whose
        # sub-module exists is compiled (a stage-number test would compile all three).
        if hasattr(self, "GA12"):
            return self.norm(x + self.GA12(x))
        if hasattr(self, "GA3"):
            return x + self.GA3(x)
        return self.norm(x + self.GA4(x))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        parts = torch.split(x, self.part, dim=1)
        x1 = parts[0] + self.PA(parts[0])
        mixed = torch.cat([x1, self.LA(parts[1]), self.MRA(parts[2]), self.global_branch(parts[3])], dim=1)
        return x + self.norm1(self.mlp(mixed))


class LWGAStage(nn.Module):
    """A stack of blocks at one resolution (container name ``blocks`` as in the checkpoints)."""

    def __init__(self, dim: int, depth: int, stage: int, kernel: int, mlp_ratio: float,
                 act_layer: Type[nn.Module]) -> None:
        super().__init__()
        self.blocks = nn.Sequential(*[LWGABlock(dim, stage, kernel, mlp_ratio, act_layer)
                                      for _ in range(depth)])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.blocks(x)


class DRFD(nn.Module):
    """Downsampler D → 2D: grouped 3×3 expand, then a strided-conv and a max-pool branch, fused."""

    def __init__(self, dim: int, act_layer: Type[nn.Module]) -> None:
        super().__init__()
        out = dim * 2
        self.conv = nn.Conv2d(dim, out, 3, 1, 1, groups=dim)
        self.conv_c = nn.Conv2d(out, out, 3, 2, 1, groups=out)
        self.act_c = act_layer()
        self.norm_c = nn.BatchNorm2d(out)
        self.max_m = nn.MaxPool2d(3, 2, 1)
        self.norm_m = nn.BatchNorm2d(out)
        self.fusion = nn.Conv2d(out * 2, out, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.conv(x)
        conv_branch = self.norm_c(self.act_c(self.conv_c(x)))  # act before norm, as upstream
        pool_branch = self.norm_m(self.max_m(x))
        return self.fusion(torch.cat([conv_branch, pool_branch], dim=1))


class Stem(nn.Module):
    """4×4 stride-4 patch conv (no bias) + BN, no activation."""

    def __init__(self, in_chans: int, dim: int) -> None:
        super().__init__()
        self.proj = nn.Conv2d(in_chans, dim, 4, 4, bias=False)
        self.norm = nn.BatchNorm2d(dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.norm(self.proj(x))


@dataclass(frozen=True)
class VariantConfig:
    """Hyper-parameters of one LWGANet variant (stem width, depths, activation, as upstream)."""

    stem_dim: int
    depths: Tuple[int, int, int, int]
    act_layer: Type[nn.Module]
    kernel: int = 11
    mlp_ratio: float = 2.0
    feature_dim: int = 1280

    @property
    def widths(self) -> Tuple[int, int, int, int]:
        c = self.stem_dim
        return (c, 2 * c, 4 * c, 8 * c)


VARIANTS: Dict[str, VariantConfig] = {
    "l0": VariantConfig(stem_dim=32, depths=(1, 2, 4, 2), act_layer=nn.GELU),
    "l1": VariantConfig(stem_dim=64, depths=(1, 2, 4, 2), act_layer=nn.GELU),
    "l2": VariantConfig(stem_dim=96, depths=(1, 4, 4, 2), act_layer=nn.ReLU),
}


class LWGANet(nn.Module):
    """The trunk shared by every task model: ``Stem`` then the flat 7-entry ``stages``.

    Task models subclass it and register their own modules after ``stages`` (the official
    key order). ``forward_stages`` returns the four block-stack outputs, strides 4..32.
    """

    def __init__(self, cfg: VariantConfig, in_chans: int = 3) -> None:
        super().__init__()
        self.Stem = Stem(in_chans, cfg.stem_dim)
        stages: List[nn.Module] = []
        for s, (dim, depth) in enumerate(zip(cfg.widths, cfg.depths, strict=True)):
            stages.append(LWGAStage(dim, depth, s, cfg.kernel, cfg.mlp_ratio, cfg.act_layer))
            if s < 3:
                stages.append(DRFD(dim, cfg.act_layer))
        self.stages = nn.Sequential(*stages)
        self.min_input_size = MIN_INPUT_SIZE  # an attribute: scripted code cannot read globals

    def forward_stages(self, x: torch.Tensor) -> List[torch.Tensor]:
        # Not checked while tracing (a trace cannot keep a shape test, and would warn).
        if not torch.jit.is_tracing() and (x.shape[2] < self.min_input_size or x.shape[3] < self.min_input_size):
            # A constant message: TorchScript drops str.format() arguments from raised errors.
            raise ValueError("LWGANet needs an input of at least 32x32 pixels (height and width)")
        x = self.Stem(x)
        outputs: List[torch.Tensor] = []
        for i, stage in enumerate(self.stages):
            x = stage(x)
            if i % 2 == 0:
                outputs.append(x)
        return outputs


def set_formulation(model: nn.Module, **choices: str) -> nn.Module:
    """Select implementations by name (see ``FORMULATIONS``) on every module of ``model``.

    Example: ``set_formulation(model, mra="fused", attention="sdpa")``. Weights are untouched;
    call before scripting/tracing. Returns ``model``.
    """
    for name, value in choices.items():
        if name not in FORMULATIONS:
            raise ValueError(f"unknown formulation {name!r}; expected one of {sorted(FORMULATIONS)}")
        if value not in FORMULATIONS[name]:
            raise ValueError(f"unknown {name} formulation {value!r}; expected one of {FORMULATIONS[name]}")
    for module in model.modules():
        if isinstance(module, MRA) and "mra" in choices:
            module.formulation = choices["mra"]
        elif isinstance(module, PooledBranch) and "unpool" in choices:
            module.unpool_formulation = choices["unpool"]
        elif isinstance(module, GA) and "attention" in choices:
            module.formulation = choices["attention"]
    return model
