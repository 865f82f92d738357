"""Shear transforms of the MRA branch and the fused strip-kernel placement.

The official code builds the sheared maps with pad/flatten/reshape on an n×n map. The
same recipe works unchanged for an H×W map if each row is padded by H (the row count):
``shear_rows(t)[r, r + j] = t[r, j]``. On squares it is the official computation op for
op, so results are bit-identical; on other sizes it equals the closed form below,
which is defined for any size.
"""

import torch
import torch.nn.functional as F

__all__ = ["shear_rows", "unshear_rows", "shear_cols", "unshear_cols", "fused_strip_placement"]


def shear_rows(t: torch.Tensor) -> torch.Tensor:
    """(B, C, H, W) → (B, C, H, W + H − 1): row r shifted right by r, zeros elsewhere."""
    b, c, h, w = t.shape
    flat = F.pad(t, [0, h]).flatten(2)
    return flat[:, :, : h * (w + h - 1)].reshape(b, c, h, w + h - 1)


def unshear_rows(y: torch.Tensor) -> torch.Tensor:
    """Inverse indexing of :func:`shear_rows`: (B, C, H, L) → (B, C, H, L − H + 1),
    ``out[r, c] = y[r, r + c]``."""
    b, c, h, length = y.shape
    w = length - h + 1
    flat = F.pad(y.flatten(2), [0, h])
    return flat.reshape(b, c, h, length + 1)[:, :, :, :w]


def shear_cols(t: torch.Tensor) -> torch.Tensor:
    """(B, C, H, W) → (B, C, H + W − 1, W): ``out[i, c] = t[i − c, c]`` (transposed shear_rows)."""
    return shear_rows(t.transpose(2, 3)).transpose(2, 3)


def unshear_cols(y: torch.Tensor) -> torch.Tensor:
    """Inverse indexing of :func:`shear_cols`: ``out[r, c] = y[r + c, c]``."""
    return unshear_rows(y.transpose(2, 3)).transpose(2, 3)


def fused_strip_placement(k: int) -> torch.Tensor:
    """0/1 matrix [12k, (k+2)²] that sums the four MRA strip kernels into one square kernel.

    Row order: taps of H_att1 (k×3), V_att1 (3×k), H_att2 (k×3), V_att2 (3×k), each
    row-major. Column = cell of a (k+2)×(k+2) kernel centred at (p+1, p+1), p = k // 2.
    The sheared branches use these closed forms:
    h2 tap (a, b) reads t[r + a, c + b − a]; v2 tap (a, b) reads t[r + a − b, c + b].
    """
    p = k // 2
    size = k + 2
    offsets = []  # (dy, dx) per tap, in row order
    offsets += [(i - p, j - 1) for i in range(k) for j in range(3)]
    offsets += [(i - 1, j - p) for i in range(3) for j in range(k)]
    offsets += [(i - p, (j - 1) - (i - p)) for i in range(k) for j in range(3)]
    offsets += [((i - 1) - (j - p), j - p) for i in range(3) for j in range(k)]
    placement = torch.zeros(len(offsets), size * size)
    for row, (dy, dx) in enumerate(offsets):
        placement[row, (dy + p + 1) * size + (dx + p + 1)] = 1.0
    return placement
