"""Shared building blocks of LWGANet, one concept per file."""

from .attention import ATTENTION_FORMULATIONS, GA
from .blur_pool import BlurPool, blur_filter, mirror_indices
from .pool_unpool import max_pool_2x2, max_unpool_2x2, scatter_unpool
from .shear import fused_strip_placement, shear_cols, shear_rows, unshear_cols, unshear_rows

__all__ = [
    "ATTENTION_FORMULATIONS", "GA", "BlurPool", "blur_filter", "mirror_indices",
    "max_pool_2x2", "max_unpool_2x2", "scatter_unpool",
    "fused_strip_placement", "shear_cols", "shear_rows", "unshear_cols", "unshear_rows",
]
