"""The "fast" export graph computes the same function as the "official" one (graph.py)."""

import copy

import pytest
import torch

import lwganet
from lwganet.backbone import MRA
from lwganet.export import build_metadata, load_exported
from lwganet.graph import GRAPHS, prepare_graph
from lwganet.layers import GA
from lwganet.metadata import WeightsInfo
from conftest import exported_twin, fill_, image


def run(module, *x):
    with torch.no_grad(), torch.jit.optimized_execution(False):
        return module(*x)


def both_graphs(model):
    official = prepare_graph(copy.deepcopy(model), "official")
    fast = prepare_graph(copy.deepcopy(model), "fast")
    return official, fast


@pytest.mark.parametrize("name", ["lwganet_l0", "lwganet_l2"])
@pytest.mark.parametrize("size", [(64, 64), (97, 131)])
def test_fast_equals_official_in_float64(name, size):
    official, fast = both_graphs(fill_(lwganet.create_model(name, features_only=True).double(), seed=4))
    x = image(*size, seed=5)
    for a, b in zip(run(official, x), run(fast, x), strict=True):
        torch.testing.assert_close(b, a, rtol=1e-10, atol=1e-10)


def test_fast_selects_its_formulations_and_channels_last():
    official, fast = both_graphs(lwganet.create_model("lwganet_l0"))
    mra = [m for m in fast.modules() if isinstance(m, MRA)]
    ga = [m for m in fast.modules() if isinstance(m, GA)]
    assert mra and ga and {m.formulation for m in mra} == {"fused"} and {m.formulation for m in ga} == {"sdpa"}
    assert {m.formulation for m in official.modules() if isinstance(m, MRA)} == {"shear"}
    assert {m.formulation for m in official.modules() if isinstance(m, GA)} == {"matmul"}
    convs = [p for n, p in fast.named_parameters() if p.dim() == 4]
    assert convs and all(p.is_contiguous(memory_format=torch.channels_last) for p in convs)
    assert all(p.is_contiguous() for p in official.parameters())


def test_fast_keeps_ordinary_tensors_at_the_boundary():
    # Callers pass NCHW-contiguous images and get contiguous or NHWC maps back: values are equal.
    _, fast = both_graphs(fill_(lwganet.create_model("lwganet_l0", features_only=True)))
    x = image(64, 96, seed=1, dtype=torch.float32)
    a = run(fast, x)
    b = run(fast, x.contiguous(memory_format=torch.channels_last))
    assert all(torch.equal(p, q) for p, q in zip(a, b, strict=True))


def test_unknown_graph_is_refused(tmp_path):
    with pytest.raises(ValueError, match="graph must be one of"):
        prepare_graph(lwganet.create_model("lwganet_l0"), "fastest")
    with pytest.raises(ValueError, match="graph must be one of"):
        lwganet.export_model("lwganet_l0", tmp_path / "x.pt", graph="fastest")
    assert GRAPHS == ("fast", "official")


def test_exports_of_both_graphs_agree_and_say_which_they_are(tmp_path):
    fast_path, official_path = tmp_path / "fast.pt", tmp_path / "official.pt"
    fast_meta = lwganet.export_model("lwganet_l0", fast_path, seed=2, freeze=True)
    official_meta = lwganet.export_model("lwganet_l0", official_path, seed=2, freeze=True, graph="official")
    assert (fast_meta.export.graph, official_meta.export.graph) == ("fast", "official")
    fast, read_fast = load_exported(fast_path)
    official, read_official = load_exported(official_path)
    assert (read_fast.export.graph, read_official.export.graph) == ("fast", "official")
    x = image(96, 96, seed=3, dtype=torch.float32)
    torch.testing.assert_close(run(fast, x), run(official, x), rtol=1e-4, atol=1e-5)
    torch.manual_seed(2)
    eager = exported_twin(lwganet.create_model("lwganet_l0"), "official")
    torch.testing.assert_close(run(official, x), run(eager, x), rtol=1e-4, atol=1e-5)


def test_archives_without_the_field_read_as_official():
    meta = build_metadata("lwganet_l0", "aid", [f"c{i}" for i in range(30)], WeightsInfo(source="random-init", seed=0))
    data = meta.to_dict()
    del data["export"]["graph"]
    assert lwganet.ModelMetadata.from_dict(data).export.graph == "official"
