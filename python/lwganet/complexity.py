"""Parameter and FLOP counts under two conventions.

``ptflops``: what the paper reports (upstream ran ``ptflops.get_model_complexity_info``):
module hooks only — conv and linear multiply-accumulates plus their bias adds, 2·numel for
each BN input, numel for each activation output and each pooling input (including the 2×2
index max-pool of GA12/D_GA, a module upstream). Functional ops (BlurPool's conv, attention
matmuls, interpolation, sigmoid gates, unpooling) are not counted.

``macs``: the cost that actually runs — multiply-accumulates of every conv and linear layer
(no bias adds), the attention matmuls and BlurPool's filter; element-wise ops are ignored.

Both count one multiply-accumulate as one FLOP, like the paper. Counts are taken on the
default (official) formulation, whose op shapes match upstream.
"""

from typing import Callable, Dict, List, Sequence, Tuple

import torch
from torch import nn

from .backbone import DEFAULT_FORMULATIONS, PooledBranch, set_formulation
from .layers import GA, BlurPool

__all__ = ["count_parameters", "count_flops", "count_flops_all", "CONVENTIONS"]

CONVENTIONS = ("ptflops", "macs")

_ACTIVATIONS = (nn.ReLU, nn.GELU)
_POOLS = (nn.MaxPool2d, nn.AdaptiveAvgPool2d)


def count_parameters(model: nn.Module) -> int:
    """Number of learnable parameters (buffers such as BN statistics and ``filt`` excluded)."""
    return sum(p.numel() for p in model.parameters())


def _conv_macs(module: nn.Conv2d, out: torch.Tensor) -> int:
    kh, kw = module.kernel_size
    return out.numel() * (module.in_channels // module.groups) * kh * kw


def _ptflops(module: nn.Module, inp: torch.Tensor, out: torch.Tensor) -> int:
    if isinstance(module, nn.Conv2d):
        return _conv_macs(module, out) + (out.numel() if module.bias is not None else 0)
    if isinstance(module, nn.Linear):
        # ptflops adds the bias once per output feature, not per row.
        return inp.numel() * out.shape[-1] + (out.shape[-1] if module.bias is not None else 0)
    if isinstance(module, nn.BatchNorm2d):
        return 2 * inp.numel()
    if isinstance(module, _ACTIVATIONS):
        return out.numel()
    if isinstance(module, _POOLS):
        return inp.numel()
    if isinstance(module, PooledBranch):
        return inp.numel()  # its 2×2 max-pool (the branch's own work is counted by its layers)
    return 0


def _macs(module: nn.Module, inp: torch.Tensor, out: torch.Tensor) -> int:
    if isinstance(module, BlurPool):
        return out.numel() * module.filt.shape[-2] * module.filt.shape[-1]
    if isinstance(module, nn.Conv2d):
        return _conv_macs(module, out)
    if isinstance(module, nn.Linear):
        return inp.numel() * out.shape[-1]
    if isinstance(module, GA):
        b, _, h, w = inp.shape
        tokens = h * w
        return 2 * b * module.attn_dim * tokens * tokens  # q·kᵀ and P·v
    return 0


_COUNTERS: Dict[str, Callable[[nn.Module, torch.Tensor, torch.Tensor], int]] = {
    "ptflops": _ptflops, "macs": _macs}


def count_flops(model: nn.Module, input_size: Tuple[int, int] = (224, 224),
                convention: str = "ptflops") -> int:
    """FLOPs of one forward pass on a 1×3×H×W input, counted by ``convention``."""
    return count_flops_all(model, input_size, (convention,))[convention]


@torch.no_grad()
def count_flops_all(model: nn.Module, input_size: Tuple[int, int] = (224, 224),
                    conventions: Sequence[str] = CONVENTIONS) -> Dict[str, int]:
    """Several conventions from a single forward pass: ``{convention: flops}``."""
    unknown = [c for c in conventions if c not in _COUNTERS]
    if unknown:
        raise ValueError(f"unknown convention {unknown[0]!r}; expected one of {CONVENTIONS}")
    saved = _formulations(model)
    set_formulation(model, **DEFAULT_FORMULATIONS)
    totals = {c: 0 for c in conventions}

    def hook(module: nn.Module, inputs: Tuple[torch.Tensor, ...], output: torch.Tensor) -> None:
        for c in conventions:
            totals[c] += _COUNTERS[c](module, inputs[0], output)

    handles = [m.register_forward_hook(hook) for m in model.modules()]
    try:
        param = next(model.parameters())
        model(torch.zeros(1, 3, *input_size, dtype=param.dtype, device=param.device))
    finally:
        for handle in handles:
            handle.remove()
        _restore(model, saved)
    return totals


def _formulations(model: nn.Module) -> List[Tuple[nn.Module, str, str]]:
    return [(m, name, getattr(m, name)) for m in model.modules()
            for name in ("formulation", "unpool_formulation") if hasattr(m, name)]


def _restore(model: nn.Module, saved: List[Tuple[nn.Module, str, str]]) -> None:
    for module, name, value in saved:
        setattr(module, name, value)
