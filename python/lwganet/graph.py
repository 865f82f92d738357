"""The graph an export writes: the formulation of each interchangeable op and the weights' layout.

"official" keeps the op sequence of the official code (four strip convs with shear reshapes,
softmax(q·kᵀ)·v spelled out): bit-exact with it, and the reference the tests compare against.
"fast" is the same function with fewer, larger ops, measured faster in every runtime
(bench/README.md, "Graph levers"):
- MRA's four strip convs summed into one (k+2)² depthwise conv (``mra="fused"``);
- attention through ``scaled_dot_product_attention`` (``attention="sdpa"``), which at dense sizes
  never materialises the tokens × tokens matrix;
- channels-last (NHWC) weights in TorchScript exports: LibTorch's oneDNN convolutions and
  max-pools run several times faster in NHWC, and a conv with NHWC weights makes its output NHWC,
  so the whole graph runs NHWC while callers keep passing ordinary NCHW tensors.
The two differ only by float rounding (tested against each other in tests/test_graph.py).
"""

import torch
from torch import nn

from .backbone import DEFAULT_FORMULATIONS, set_formulation

__all__ = ["GRAPHS", "DEFAULT_GRAPH", "prepare_graph"]

GRAPHS = ("fast", "official")
DEFAULT_GRAPH = "fast"

_FAST_FORMULATIONS = {"mra": "fused", "attention": "sdpa"}


def prepare_graph(model: nn.Module, graph: str, channels_last: bool = True) -> nn.Module:
    """Selects ``graph``'s formulations on every module of ``model`` (in place) and, for "fast"
    with ``channels_last``, moves the 4-D weights to channels-last. ONNX exports pass
    ``channels_last=False``: ONNX tensors carry no strides, the runtime picks its own layout.
    The unpool formulation is left as it is (scatter, the one defined for every size)."""
    if graph not in GRAPHS:
        raise ValueError(f"graph must be one of {GRAPHS}, got {graph!r}")
    formulations = _FAST_FORMULATIONS if graph == "fast" else {k: DEFAULT_FORMULATIONS[k] for k in _FAST_FORMULATIONS}
    set_formulation(model, **formulations)
    if graph == "fast" and channels_last:
        model.to(memory_format=torch.channels_last)
    return model
