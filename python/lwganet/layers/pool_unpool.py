"""2×2 max-pool with indices and the matching scatter-back used by GA12 and D_GA."""

from typing import Tuple

import torch
import torch.nn.functional as F

__all__ = ["max_pool_2x2", "scatter_unpool", "max_unpool_2x2"]


def max_pool_2x2(x: torch.Tensor, ceil_mode: bool) -> Tuple[torch.Tensor, torch.Tensor]:
    """2×2/stride-2 max-pool returning the flat ``row·W + col`` input position of each max.

    Ties resolve to the first maximum in row-major window order (PyTorch semantics, as
    upstream). With ``ceil_mode`` an odd trailing row/column forms its own partial window;
    on even sides both modes are the same computation.
    """
    return F.max_pool2d_with_indices(x, [2, 2], [2, 2], [0, 0], [1, 1], ceil_mode)


def scatter_unpool(z: torch.Tensor, indices: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    """Zero map shaped like ``like`` with each pooled value written at its argmax.

    Pure data movement, so it equals ``max_unpool2d`` exactly; it is defined for any size and
    needs no size arithmetic (traces stay shape-generic).
    """
    out = torch.zeros_like(like, memory_format=torch.contiguous_format).flatten(2)
    return out.scatter(2, indices.flatten(2), z.flatten(2)).view(like.shape)


def max_unpool_2x2(z: torch.Tensor, indices: torch.Tensor) -> torch.Tensor:
    """The official operator (functional form, which scripts): output 2·h' × 2·w'."""
    return F.max_unpool2d(z, indices, [2, 2], [2, 2], [0, 0])
