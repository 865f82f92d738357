"""Attention with small heads in a compiled graph as ``lwganet::attention`` calls.

LWGANet's global attention (GA, D_GA) has 4 channels per head: each score is four multiply-adds
and one exponential. ATen's CPU attention, built around matrix-product tiles for wide heads,
spends ~0.7 ns per score at 2 threads on it (6 ms for 8 heads over 1024 tokens): in the L0
backbone at 1024² its six calls are half of the forward. The addon's kernel
(native/small_head_attention.cc: keys and values transposed so one vector holds eight keys, the
scores of a query kept in L1, a vector exponential) runs the same attention 3.2× faster there
(2.2 vs 7.0 ms for 8 heads × 1024 tokens, 4.4 vs 13.8 ms for 16, 2 threads, through Node), and
1.4–2× faster on the 49 tokens of a 224² input.

Every ``scaled_dot_product_attention`` of an exported graph (static shapes) with float32 inputs,
heads of ``NATIVE_HEAD_DIMS`` channels, no mask, no dropout, not causal, is replaced. The package
then needs the addon, which registers the operator, to run; in Python the operator is the
reference (attention_op.py).
"""

from typing import Optional

import torch
from torch import fx

from .attention_op import NATIVE_HEAD_DIMS
from .module_swap import replace_calls

__all__ = ["small_head_attention_as_op"]

_SDPA = torch.ops.aten.scaled_dot_product_attention.default
_ARG_NAMES = ("query", "key", "value", "attn_mask", "dropout_p", "is_causal")
_DEFAULTS = (None, None, None, None, 0.0, False)


def _static_float(node: object) -> bool:
    val = node.meta.get("val") if isinstance(node, fx.Node) else None
    return (val is not None and val.dim() == 4 and val.dtype == torch.float32
            and all(isinstance(s, int) for s in val.shape))


def _sdpa_args(node: fx.Node) -> list:
    """query, key, value, attn_mask, dropout_p, is_causal of an SDPA node, defaults filled in."""
    args = list(node.args[:len(_ARG_NAMES)]) + list(_DEFAULTS[len(node.args):])
    for i, name in enumerate(_ARG_NAMES):
        if name in node.kwargs:
            args[i] = node.kwargs[name]
    return args


def _replaceable(node: fx.Node) -> bool:
    query, key, value, mask, dropout, causal = _sdpa_args(node)
    if mask is not None or dropout != 0.0 or causal or node.kwargs.get("enable_gqa", False):
        return False
    if not all(_static_float(t) for t in (query, key, value)):
        return False
    q, k, v = (t.meta["val"].shape for t in (query, key, value))
    return q[3] in NATIVE_HEAD_DIMS and k == v and (q[0], q[1], q[3]) == (k[0], k[1], k[3]) and k[2] > 0


def small_head_attention_as_op(module: fx.GraphModule) -> int:
    """Replaces, in place, every ``scaled_dot_product_attention`` of ``module`` (an exported
    program's ``module()`` at static shapes) that the addon's kernel runs by
    ``lwganet::attention``; returns how many."""

    def build(graph: fx.Graph, node: fx.Node) -> Optional[fx.Node]:
        if not _replaceable(node):
            return None
        query, key, value = _sdpa_args(node)[:3]
        scale = node.kwargs.get("scale")
        if scale is None:
            scale = query.meta["val"].shape[3] ** -0.5
        return graph.call_function(torch.ops.lwganet.attention.default, (query, key, value, float(scale)))

    return replace_calls(module, _SDPA, build)
