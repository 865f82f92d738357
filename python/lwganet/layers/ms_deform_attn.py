"""Single-level multi-scale deformable attention in plain torch, as CLAFA uses it.

Same parameters and computation as mmcv's ``MultiScaleDeformableAttention`` with
``num_levels=1``, ``batch_first=True`` and dropout 0 (CLAFA's configuration), written with
``grid_sample`` so it scripts and runs in LibTorch without mmcv's custom op:

- offsets and attention weights come from ``query + query_pos``; the value from ``value``;
- sampling location = reference point + offset / (W, H), in normalised [0, 1] coordinates of
  the value map; bilinear, align_corners=False, zero outside (grid_sample convention);
- weighted sum over the points, output projection, plus the query *without* the position.
"""

from typing import Tuple

import torch
import torch.nn.functional as F
from torch import nn

__all__ = ["DeformableAttention", "deformable_attention_sample"]


def deformable_attention_sample(value: torch.Tensor, locations: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
    """The core op. value (B·M, D, H, W); locations (B·M, Nq, P, 2) as (x, y) in [0, 1];
    weights (B·M, Nq, P). Returns (B·M, D, Nq): Σ_p weight · bilinear(value, location)."""
    sampled = F.grid_sample(value, 2.0 * locations - 1.0, mode="bilinear", padding_mode="zeros",
                            align_corners=False)  # (B·M, D, Nq, P)
    return (sampled * weights.unsqueeze(1)).sum(-1)


class DeformableAttention(nn.Module):
    """One feature level, ``num_heads`` heads, ``num_points`` sampling points per head.

    Attribute names follow mmcv (``sampling_offsets``, ``attention_weights``, ``value_proj``,
    ``output_proj``) so checkpoints load strictly."""

    def __init__(self, embed_dims: int, num_heads: int, num_points: int) -> None:
        super().__init__()
        if embed_dims % num_heads:
            raise ValueError("embed_dims must be divisible by num_heads")
        self.embed_dims = embed_dims
        self.num_heads = num_heads
        self.num_points = num_points
        self.sampling_offsets = nn.Linear(embed_dims, num_heads * num_points * 2)
        self.attention_weights = nn.Linear(embed_dims, num_heads * num_points)
        self.value_proj = nn.Linear(embed_dims, embed_dims)
        self.output_proj = nn.Linear(embed_dims, embed_dims)

    def forward(self, query: torch.Tensor, value: torch.Tensor, query_pos: torch.Tensor,
                reference_points: torch.Tensor, value_shape: Tuple[int, int]) -> torch.Tensor:
        """query (B, Nq, C); value (B, H·W, C) row-major; query_pos broadcastable to query;
        reference_points (B or 1, Nq, 2) as (x, y) in [0, 1]; value_shape (H, W)."""
        batch, num_query, _ = query.shape
        height, width = value_shape
        heads, points = self.num_heads, self.num_points
        head_dim = self.embed_dims // heads

        v = self.value_proj(value).view(batch, height, width, heads, head_dim)
        v = v.permute(0, 3, 4, 1, 2).reshape(batch * heads, head_dim, height, width)
        q = query + query_pos
        offsets = self.sampling_offsets(q).view(batch, num_query, heads, points, 2)
        weights = self.attention_weights(q).view(batch, num_query, heads, points).softmax(-1)
        # Offsets are in value-map pixels: x / W, y / H (divided one by one, so a trace keeps
        # the sizes symbolic instead of baking a constant normaliser).
        scaled = torch.stack([offsets[..., 0] / width, offsets[..., 1] / height], dim=-1)
        locations = reference_points.view(-1, num_query, 1, 1, 2) + scaled
        locations = locations.permute(0, 2, 1, 3, 4).reshape(batch * heads, num_query, points, 2)
        weights = weights.permute(0, 2, 1, 3).reshape(batch * heads, num_query, points)
        out = deformable_attention_sample(v, locations, weights)  # (B·M, D, Nq)
        out = out.view(batch, heads * head_dim, num_query).transpose(1, 2)
        return self.output_proj(out) + query
