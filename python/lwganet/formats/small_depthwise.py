"""Small depthwise convolutions of a compiled graph as ``lwganet::depthwise_conv2d`` calls.

Every oneDNN convolution an AOTInductor package runs costs ~17 µs of set-up around its kernel
(measured with ONEDNN_VERBOSE: 4 µs in the kernel of a 16-channel 5x5 on 14×14, 21 µs per call).
LWGANet at batch 1 has dozens of depthwise convolutions on small maps (GA12's 5x5 and dilated 7x7,
MRA's fused strip kernel and blur pool on the pooled map, DRFD's strided 3x3s), each mostly that
set-up. The addon's own kernel (native/depthwise_conv.cc), called from the package through
AOTInductor's proxy executor, costs ~2–3 µs plus ~1 µs per 12–24 k multiply-adds on one thread.
Measured: oneDNN's call in compiled chains 17–21 µs for every small case; the operator called from
Python (one thread, Python's call cost included) 6 µs for a 16-channel 5x5 on 14², 29 µs for an
8-channel 13x13 on 19² (488 k multiply-adds; oneDNN 21), 75 µs for a 64-channel 3x3 on 56² (1.8 M;
oneDNN 35). ``MAX_MACS`` sits below where the two meet; larger convolutions stay oneDNN's.

The rewrite works on the exported graph, so functional convolutions (MRA, blur pool) are found as
well as modules. Only constant weights are taken (the taps are computed from the weight in the
graph and folded into a constant by freezing). The package then needs the addon, which registers
the operator, to run; in Python the operator is the conv2d reference (depthwise_op.py).
"""

from typing import Optional, Tuple

import torch
from torch import fx

from . import depthwise_op  # noqa: F401  (registers torch.ops.lwganet.depthwise_conv2d)
from .module_swap import constant_nodes, replace_calls

__all__ = ["small_depthwise_as_op", "MAX_MACS"]

# Multiply-adds (batch × output pixels × channels × kernel taps) up to which the addon's kernel
# beats oneDNN's call.
MAX_MACS = 250_000

_CONV = torch.ops.aten.conv2d.default
_ARG_NAMES = ("input", "weight", "bias", "stride", "padding", "dilation", "groups")
_DEFAULTS = (None, None, None, [1, 1], [0, 0], [1, 1], 1)


def _pair(value) -> Optional[Tuple[int, int]]:
    if isinstance(value, int):
        return (value, value)
    if isinstance(value, (list, tuple)) and len(value) == 2 and all(isinstance(v, int) for v in value):
        return (value[0], value[1])
    return None


def _conv_args(node: fx.Node) -> Optional[tuple]:
    """input, weight, bias, stride, padding, dilation, groups of a ``conv2d`` node, defaults filled
    in, the three pairs as tuples; None when one is not a pair of ints (e.g. padding="same")."""
    args = list(node.args) + list(_DEFAULTS[len(node.args):])
    for i, name in enumerate(_ARG_NAMES):
        if name in node.kwargs:
            args[i] = node.kwargs[name]
    pairs = tuple(_pair(v) for v in args[3:6])
    return None if None in pairs else (*args[:3], *pairs, args[6])


def _macs(args: tuple, node: fx.Node) -> Optional[int]:
    """The multiply-adds of a depthwise conv node with ``_conv_args`` ``args``, or None when it is
    not one the kernel takes."""
    x, weight, _bias, _stride, _padding, _dilation, groups = args
    if not isinstance(x, fx.Node) or not isinstance(weight, fx.Node):
        return None
    xv, wv, out = x.meta.get("val"), weight.meta.get("val"), node.meta.get("val")
    if xv is None or wv is None or out is None or xv.dim() != 4 or xv.dtype != torch.float32:
        return None
    if not all(isinstance(s, int) for s in (*xv.shape, *wv.shape, *out.shape)):  # symbolic: dynamic entry
        return None
    channels = xv.shape[1]
    if groups != channels or tuple(wv.shape[:2]) != (channels, 1) or wv.dtype != torch.float32:
        return None
    return out.shape[0] * out.shape[2] * out.shape[3] * channels * wv.shape[2] * wv.shape[3]


def small_depthwise_as_op(module: fx.GraphModule, max_macs: int = MAX_MACS) -> int:
    """Replaces, in place, every depthwise ``conv2d`` of ``module`` (an exported program's
    ``module()`` at static shapes) with constant weight and bias and at most ``max_macs``
    multiply-adds by ``lwganet::depthwise_conv2d``; returns how many."""
    constant = constant_nodes(module.graph)

    def build(graph: fx.Graph, node: fx.Node) -> Optional[fx.Node]:
        args = _conv_args(node)
        macs = None if args is None else _macs(args, node)
        if macs is None or macs > max_macs:
            return None
        x, weight, bias, stride, padding, dilation, _groups = args
        if not constant[weight] or (bias is not None and not (isinstance(bias, fx.Node) and constant[bias])):
            return None
        taps = graph.call_function(torch.ops.aten.select.int, (weight, 1, 0))
        taps = graph.call_function(torch.ops.aten.permute.default, (taps, [1, 2, 0]))
        taps = graph.call_function(torch.ops.aten.clone.default, (taps,), {"memory_format": torch.contiguous_format})
        return graph.call_function(torch.ops.lwganet.depthwise_conv2d.default,
                                   (x, taps, bias, list(stride), list(padding), list(dilation)))

    return replace_calls(module, _CONV, build)
