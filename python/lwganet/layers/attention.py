"""Multi-head self-attention over all pixels of a map, head dim 4, no biases (as upstream)."""

import torch
from torch import nn

from ..compat import scaled_dot_product_attention

__all__ = ["GA", "ATTENTION_FORMULATIONS"]

# "matmul": softmax(0.5·q kᵀ) v spelled out, the official op sequence (bit-exact).
# "sdpa": torch's fused scaled_dot_product_attention; same math, different rounding.
ATTENTION_FORMULATIONS = ("matmul", "sdpa")

HEAD_DIM = 4


class GA(nn.Module):
    """Global attention: tokens are the H·W pixels in row-major order."""

    def __init__(self, dim: int) -> None:
        super().__init__()
        self.head_dim = HEAD_DIM
        self.num_heads = max(dim // HEAD_DIM, 1)
        self.attn_dim = self.num_heads * HEAD_DIM
        self.scale = HEAD_DIM ** -0.5  # 0.5: a power of two, so scaling order never rounds
        self.formulation = "matmul"
        self.qkv = nn.Linear(dim, 3 * self.attn_dim, bias=False)
        self.proj = nn.Linear(self.attn_dim, dim, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, c, h, w = x.shape
        tokens = x.permute(0, 2, 3, 1).reshape(b, h * w, c)
        # qkv channel index = s·A + head·4 + d with s ∈ {q, k, v}.
        qkv = self.qkv(tokens).reshape(b, h * w, 3, self.num_heads, self.head_dim).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]
        if self.formulation == "sdpa":
            out = scaled_dot_product_attention(q, k, v, self.scale)  # matmul under torch < 2.1 (compat.py)
        else:
            attn = torch.softmax((q @ k.transpose(-2, -1)) * self.scale, dim=-1)
            out = attn @ v
        out = out.transpose(1, 2).reshape(b, h, w, self.attn_dim)
        return self.proj(out).permute(0, 3, 1, 2)
