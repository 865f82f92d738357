"""Shared helpers for the lwganet tests.

Comparisons of whole models are made in float64: the 2×2 index max-pools of GA12/D_GA route
each value to its window's argmax, and in float32 near-ties (gaps ~1e-7 of the max)
can pick a different position under a different rounding, so float32 results of two
formulations may legitimately differ in a few elements. Exactness is asserted in float64.
"""

import json
from pathlib import Path

import torch
from torch import nn

from lwganet.graph import DEFAULT_GRAPH, prepare_graph

DATA = Path(__file__).resolve().parent / "data"

VARIANT_NAMES = ("lwganet_l0", "lwganet_l1", "lwganet_l2")


def fill_(model: nn.Module, seed: int = 0) -> nn.Module:
    """Randomises every parameter and BN statistic (default init leaves BN as identity,
    which would hide mistakes in the normalisation order). Keeps BlurPool's filt."""
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, tensor in model.state_dict().items():
            if name.endswith("filt") or not tensor.is_floating_point():
                continue
            noise = torch.randn(tensor.shape, generator=generator, dtype=torch.float64)
            if name.endswith("running_var"):
                tensor.copy_(noise.abs() + 0.5)
            elif name.endswith(".weight") and tensor.dim() == 1:  # BN gamma
                tensor.copy_(1.0 + 0.2 * noise)
            else:
                fan_in = max(1, tensor[0].numel()) if tensor.dim() > 1 else 1
                tensor.copy_(noise / fan_in ** 0.5 if tensor.dim() > 1 else 0.1 * noise)
    return model.eval()


def image(height: int, width: int, batch: int = 1, seed: int = 0, dtype=torch.float64) -> torch.Tensor:
    return torch.randn(batch, 3, height, width, generator=torch.Generator().manual_seed(seed), dtype=dtype)


# One intra-op thread: the suite's tensors are small, and on a shared 2-core CI machine extra
# OpenMP threads mostly spin waiting for each other (measured: several times the CPU time
# under load). It also keeps reductions in one fixed order.
torch.set_num_threads(1)


def manifest_shapes(name: str):
    """A task model's key manifest in tests/data and the shapes it lists, with the backbone
    manifest it refers to merged in under ``backbone.``: (manifest, {key: shape})."""
    ref = json.loads((DATA / name).read_text())
    backbone = json.loads((DATA / ref["backbone_manifest"]).read_text())
    shapes = {"backbone." + e["key"]: e["shape"] for e in backbone["entries"]}
    shapes.update({e["key"]: e["shape"] for e in ref["entries"]})
    return ref, shapes


def exported_twin(model: nn.Module, graph: str = DEFAULT_GRAPH) -> nn.Module:
    """The eager model in the graph an export writes (default: the export's default graph), so an
    exported archive can be compared with it element for element."""
    return prepare_graph(model.eval(), graph)
