"""``torch.ops.lwganet.attention``: multi-head attention for small heads as an operator of our own.

The .pt2 exporter puts it in place of ``scaled_dot_product_attention`` calls whose heads have 4
or 8 channels (small_head_attention.py). The Node addon registers the same schema with a C++
kernel (native/small_head_attention.cc) built for such heads; here, in Python, it is backed by
``scaled_dot_product_attention`` (the reference the C++ kernel is tested against) so that export,
compilation and Python inference work without compiled code.

The contract, shared with the C++ kernel:

- ``attention(Tensor query, Tensor key, Tensor value, float scale) -> Tensor``
- query (B, H, Nq, D); key and value (B, H, Nk, D), one shape; any strides. No mask, no dropout.
- Returns ``softmax(scale · query keyᵀ) value``, (B, H, Nq, D), laid out in memory as a
  contiguous (B, Nq, H, D) tensor (strides (Nq·H·D, D, H·D, 1)), as ATen's CPU flash attention
  lays out its output: the heads' outputs of one token are adjacent, ready for the output projection.
- A NaN in a row's inputs, or an infinite score, makes that row's output NaN, as in ATen.
- float32 CPU tensors with D = 4 or 8 take the C++ kernel; other dtypes, devices and head sizes
  go through ATen's attention.
"""

import torch
import torch.nn.functional as F

from .op_library import define_op

__all__ = ["SCHEMA", "NATIVE_HEAD_DIMS", "attention"]

SCHEMA = "attention(Tensor query, Tensor key, Tensor value, float scale) -> Tensor"
# Head sizes the C++ kernel runs itself (others take ATen's attention there too).
NATIVE_HEAD_DIMS = (4, 8)


def _check(query: torch.Tensor, key: torch.Tensor, value: torch.Tensor) -> None:
    if query.dim() != 4 or key.dim() != 4 or value.dim() != 4:
        raise RuntimeError(f"attention: query, key and value must be (B, H, N, D), got {tuple(query.shape)}, "
                           f"{tuple(key.shape)}, {tuple(value.shape)}")
    if key.shape != value.shape:
        raise RuntimeError(f"attention: key and value must have one shape, got {tuple(key.shape)} and "
                           f"{tuple(value.shape)}")
    if (query.shape[0], query.shape[1], query.shape[3]) != (key.shape[0], key.shape[1], key.shape[3]):
        raise RuntimeError(f"attention: query {tuple(query.shape)} and key {tuple(key.shape)} must share B, H and D")
    if key.shape[2] == 0 and query.shape[2] != 0:
        raise RuntimeError("attention: no keys to attend to")


def _empty_result(query: torch.Tensor) -> torch.Tensor:
    b, h, n, d = query.shape
    return query.new_empty((b, n, h, d)).transpose(1, 2)


def _reference(query: torch.Tensor, key: torch.Tensor, value: torch.Tensor, scale: float) -> torch.Tensor:
    _check(query, key, value)
    out = _empty_result(query)
    out.copy_(F.scaled_dot_product_attention(query, key, value, scale=scale))
    return out


def _fake(query: torch.Tensor, key: torch.Tensor, value: torch.Tensor, scale: float) -> torch.Tensor:
    _check(query, key, value)
    return _empty_result(query)


define_op(SCHEMA, _reference, _fake)


def attention(query: torch.Tensor, key: torch.Tensor, value: torch.Tensor, scale: float) -> torch.Tensor:
    return torch.ops.lwganet.attention(query, key, value, scale)
