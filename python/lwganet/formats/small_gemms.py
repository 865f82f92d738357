"""Small 1x1 convolutions compiled as Inductor's own GEMM kernels instead of oneDNN calls.

At batch 1 most of LWGANet's 1x1 convolutions are tiny (16→8 channels on a 14×14 map is 25 k
multiply-adds), and every oneDNN convolution costs 15–25 µs through ATen however small it is.
Written as a matrix product over the channels of the channels-last map and compiled with
Inductor's C++ GEMM template, the same products take 2–12 µs. Autotuning every 1x1 convolution
of LWGANet-L0 at 224² batch 1 both ways (oneDNN vs the template, 2 threads) gave one rule: the
template wins up to about a million multiply-adds, except with few output channels on a large
map (a 32→8 convolution on 56×56: 64 µs vs oneDNN's 23); above that oneDNN wins (a 128→256 on
14×14, 6.4 M: 78 µs vs 41). ``small_convs_as_gemms`` applies that rule per compiled shape, so
large batches and large maps keep their convolutions. bench/README.md has the measurements.

Only the compiled graph changes: the weights are the convolutions' own (no state_dict change),
and the products equal the convolutions up to float rounding. A graph that also multiplies two
activations (window attention, CLAFA's kernels) is compiled without the rewrite: see
``GEMM_INDUCTOR_OPTIONS``.
"""

import copy
from typing import List, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from torch import nn

from .module_swap import calls_at, constant_nodes, replace_modules

__all__ = ["PointwiseGemm", "small_convs_as_gemms", "GEMM_INDUCTOR_OPTIONS", "MAX_MACS", "MIN_OUT_ON_LARGE_MAPS",
           "LARGE_MAP_PIXELS"]

# Multiply-adds (batch × pixels × in × out) up to which the template beats oneDNN.
MAX_MACS = 1_000_000
# On maps of more than LARGE_MAP_PIXELS positions (batch × H × W), the template needs at least
# this many output channels to fill its vector registers.
MIN_OUT_ON_LARGE_MAPS = 16
LARGE_MAP_PIXELS = 1024

# Inductor options of a compile with rewritten convolutions. They apply to every matrix product
# of the graph: with the C++ GEMM template as the only backend nothing is benchmarked at compile
# time, products with a constant (frozen) operand fall back to ATen where the template does not
# apply, and a product of two activations has no choice at all and fails the compile; so an
# entry whose graph has one is compiled without the rewrite (``activation_products``).
GEMM_INDUCTOR_OPTIONS = {"max_autotune": True, "max_autotune_gemm_backends": "CPP"}

_PRODUCTS = {"aten.matmul.default", "aten.mm.default", "aten.bmm.default", "aten.addmm.default",
             "aten.baddbmm.default", "aten.addbmm.default", "aten.einsum.default"}


class PointwiseGemm(nn.Module):
    """A stride-1, unpadded, ungrouped 1x1 convolution as ``linear`` over the channels of the
    NHWC view of its input, returned as an NCHW view (channels-last strides) like the conv's."""

    def __init__(self, conv: nn.Conv2d) -> None:
        super().__init__()
        self.weight = conv.weight
        self.bias = conv.bias

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = F.linear(x.permute(0, 2, 3, 1), self.weight.flatten(1), self.bias)
        return y.permute(0, 3, 1, 2)


def _is_pointwise(conv: nn.Conv2d) -> bool:
    return (conv.kernel_size == (1, 1) and conv.stride == (1, 1) and conv.groups == 1
            and conv.dilation == (1, 1) and conv.padding in ((0, 0), "valid") and conv.padding_mode == "zeros")


def _template_wins(conv: nn.Conv2d, out_shape: Tuple[int, ...]) -> bool:
    pixels = out_shape[0] * out_shape[2] * out_shape[3]
    if pixels * conv.in_channels * conv.out_channels > MAX_MACS:
        return False
    return pixels <= LARGE_MAP_PIXELS or conv.out_channels >= MIN_OUT_ON_LARGE_MAPS


def small_convs_as_gemms(model: nn.Module, example: Sequence[torch.Tensor]) -> Tuple[nn.Module, int]:
    """A copy of ``model`` whose 1x1 convolutions that are small at ``example``'s shapes are
    ``PointwiseGemm`` modules, and how many were replaced (0: the copy is unchanged). ``model``
    itself is left as it is. A convolution the forward does not call is left alone; one it calls
    several times is replaced only if every call is small."""
    model = copy.deepcopy(model)
    shapes = calls_at(model, example, lambda m: isinstance(m, nn.Conv2d) and _is_pointwise(m),
                      lambda _m, _inputs, output: tuple(output.shape))

    def gemm(child: nn.Module) -> Optional[PointwiseGemm]:
        small = shapes.get(child) and all(_template_wins(child, shape) for shape in shapes[child])
        return PointwiseGemm(child) if small else None

    return model, replace_modules(model, gemm)


def activation_products(program: "torch.export.ExportedProgram") -> List[str]:
    """The matrix products of an exported graph that the GEMM options cannot compile: every
    matmul-like op, and ``linear`` whose weight is not computed from constants alone. A product
    of constants only (MRA's fused strip kernel, ``taps @ placement``) is not one: freezing folds
    it into a constant before any kernel is chosen."""
    from torch.export.graph_signature import InputKind
    constant = constant_nodes(program.graph, {spec.arg.name for spec in program.graph_signature.input_specs
                                              if spec.kind in (InputKind.PARAMETER, InputKind.BUFFER,
                                                               InputKind.CONSTANT_TENSOR)})
    found = []
    for node in program.graph.nodes:
        if node.op != "call_function" or constant[node]:
            continue
        target = str(node.target)
        if target in _PRODUCTS or (target == "aten.linear.default" and not constant[node.args[1]]):
            found.append(node.name)
    return found
