"""Shims for torch APIs newer than Debian 12's torch 1.13 (python3-torch), so the package also
scripts and exports there: bench/compare.mjs's debian-ceiling column loads an export made with
that torch (a TorchScript file must not be newer than the LibTorch that loads it).

Each shim picks its implementation once, at import, so TorchScript compiles only the one whose
API exists. With the pinned torch (2.x) every shim is the plain 2.x call.
"""

import torch
import torch.nn.functional as F

__all__ = ["HAS_SDPA", "scaled_dot_product_attention"]

# F.scaled_dot_product_attention came in 2.0, its scale= argument in 2.1.
HAS_SDPA = hasattr(F, "scaled_dot_product_attention") and torch.__version__ >= "2.1"


def _fused_attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, scale: float) -> torch.Tensor:
    return F.scaled_dot_product_attention(q, k, v, scale=scale)


def _matmul_attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, scale: float) -> torch.Tensor:
    # The same math spelled out (GA's "matmul" formulation); no dropout, no mask.
    return torch.softmax((q @ k.transpose(-2, -1)) * scale, dim=-1) @ v


# softmax(scale · q kᵀ) v over the last two dimensions.
scaled_dot_product_attention = _fused_attention if HAS_SDPA else _matmul_attention
