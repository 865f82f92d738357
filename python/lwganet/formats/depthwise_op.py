"""``torch.ops.lwganet.depthwise_conv2d``: a depthwise convolution as an operator of our own.

The .pt2 exporter puts it in place of small depthwise convolutions (small_depthwise.py). The
Node addon registers the same schema with a C++ kernel (native/depthwise_conv.cc) whose call
costs a few microseconds, where oneDNN's costs ~17 µs however small the map; here, in Python,
it is backed by ``F.conv2d`` (the reference the C++ kernel is tested against) so that export,
compilation and Python inference work without compiled code.

The contract, shared with the C++ kernel:

- ``depthwise_conv2d(Tensor input, Tensor taps, Tensor? bias, int[2] stride, int[2] padding,
  int[2] dilation) -> Tensor``
- input (N, C, H, W); taps (kh, kw, C): the conv weight (C, 1, kh, kw) with the channels
  innermost (``weight[:, 0].permute(1, 2, 0)``), so one tap of every channel is contiguous;
  bias (C,) or None. Zero padding.
- Returns ``conv2d(input, weight, bias, stride, padding, dilation, groups=C)``, channels-last.
- float32 CPU tensors take the C++ kernel (on the calling thread: it is for small maps); other
  dtypes and devices go through ATen's conv2d with the rebuilt weight.
"""

from typing import List, Optional

import torch
import torch.nn.functional as F

from .op_library import define_op

__all__ = ["SCHEMA", "depthwise_conv2d", "taps_of"]

SCHEMA = ("depthwise_conv2d(Tensor input, Tensor taps, Tensor? bias, int[2] stride, int[2] padding, "
          "int[2] dilation) -> Tensor")


def taps_of(weight: torch.Tensor) -> torch.Tensor:
    """The (kh, kw, C) taps of a depthwise conv weight (C, 1, kh, kw)."""
    return weight[:, 0].permute(1, 2, 0).contiguous()


def _out_side(size: int, kernel: int, stride: int, padding: int, dilation: int) -> int:
    return (size + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1


def _check(input: torch.Tensor, taps: torch.Tensor, bias: Optional[torch.Tensor]) -> None:
    if input.dim() != 4:
        raise RuntimeError(f"depthwise_conv2d: input must be (N, C, H, W), got {tuple(input.shape)}")
    if taps.dim() != 3 or taps.shape[2] != input.shape[1]:
        raise RuntimeError(f"depthwise_conv2d: taps must be (kh, kw, C) with C = {input.shape[1]}, "
                           f"got {tuple(taps.shape)}")
    if bias is not None and (bias.dim() != 1 or bias.shape[0] != input.shape[1]):
        raise RuntimeError(f"depthwise_conv2d: bias must be (C,), got {tuple(bias.shape)}")


def _reference(input: torch.Tensor, taps: torch.Tensor, bias: Optional[torch.Tensor], stride: List[int],
               padding: List[int], dilation: List[int]) -> torch.Tensor:
    _check(input, taps, bias)
    weight = taps.permute(2, 0, 1).unsqueeze(1).to(input.dtype)
    out = F.conv2d(input, weight, bias, stride, padding, dilation, input.shape[1])
    return out.contiguous(memory_format=torch.channels_last)


def _fake(input: torch.Tensor, taps: torch.Tensor, bias: Optional[torch.Tensor], stride: List[int],
          padding: List[int], dilation: List[int]) -> torch.Tensor:
    _check(input, taps, bias)
    n, c, h, w = input.shape
    shape = (n, c, _out_side(h, taps.shape[0], stride[0], padding[0], dilation[0]),
             _out_side(w, taps.shape[1], stride[1], padding[1], dilation[1]))
    return input.new_empty(shape).contiguous(memory_format=torch.channels_last)


define_op(SCHEMA, _reference, _fake)


def depthwise_conv2d(input: torch.Tensor, taps: torch.Tensor, bias: Optional[torch.Tensor], stride: List[int],
                     padding: List[int], dilation: List[int]) -> torch.Tensor:
    return torch.ops.lwganet.depthwise_conv2d(input, taps, bias, stride, padding, dilation)
