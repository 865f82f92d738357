"""ONNX export (onnx_export.py): a valid graph with the scatter unpool, onnxruntime outputs equal
to the eager model (and so to the official max_unpool2d op sequence), argument errors.

One L0 classifier export at 96² (~15–30 s: export time hardly depends on the size). The dense
backbone export differs only in its four named outputs; bench/compare.mjs checks those against
lwganet-node on every run instead of a second slow export here."""

import json
import sys

import numpy as np
import onnx
import onnxruntime as ort
import pytest
import torch

from lwganet.backbone import set_formulation
from lwganet.cli import main
from lwganet.build import build_model
from lwganet.export import export_onnx
from lwganet.formats.onnx import ONNX_METADATA_KEY
from conftest import image

SIZE, SEED = 96, 3


def _session(path):
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def _description(graph):
    props = {p.key: p.value for p in graph.metadata_props}
    return json.loads(props[ONNX_METADATA_KEY])


@pytest.fixture(scope="module")
def classifier(tmp_path_factory):
    path = tmp_path_factory.mktemp("onnx") / "l0.onnx"
    # Through the CLI, so its --format/--size wiring is covered by the same (slow) export.
    assert main(["export", "lwganet_l0", "--out", str(path), "--format", "onnx", "--size", str(SIZE),
                 "--seed", str(SEED), "--labels", "nwpu-resisc45"]) == 0
    return path


def test_classifier_graph_is_valid_onnx_with_a_scatter_unpool(classifier):
    graph = onnx.load(str(classifier))
    onnx.checker.check_model(graph, full_check=True)
    ops = {node.op_type for node in graph.graph.node}
    assert "ScatterElements" in ops and "MaxUnpool" not in ops
    (inp,) = graph.graph.input
    dims = [d.dim_param or d.dim_value for d in inp.type.tensor_type.shape.dim]
    assert inp.name == "input" and dims[1:] == [3, SIZE, SIZE] and isinstance(dims[0], str)
    assert [o.name for o in graph.graph.output] == ["logits"]
    description = _description(graph)
    assert description["model"] == "lwganet_l0" and description["task"] == "classification"
    assert description["labelSet"] == "nwpu-resisc45" and len(description["labels"]) == 45
    assert description["weights"] == {"source": "random-init", "seed": SEED, "file": None, "sha256": None}
    assert description["input"]["shape"] == ["N", 3, SIZE, SIZE]


@pytest.mark.parametrize("batch", [1, 3])
def test_onnxruntime_logits_equal_eager_and_the_official_unpool(classifier, batch):
    model = build_model("lwganet_l0", labels="nwpu-resisc45", seed=SEED).model
    x = image(SIZE, SIZE, batch=batch, seed=batch, dtype=torch.float32)
    (got,) = _session(classifier).run(None, {"input": x.numpy()})
    with torch.no_grad():
        eager = model(x).numpy()
        official = set_formulation(model, unpool="max_unpool")(x).numpy()
    assert got.shape == (batch, 45)
    np.testing.assert_allclose(got, eager, rtol=0, atol=1e-5)
    np.testing.assert_array_equal(eager, official)  # scatter == max_unpool2d, bit for bit


@pytest.mark.parametrize("argv,message", [
    (["--format", "onnx", "--freeze"], "apply to TorchScript exports"),
    (["--format", "onnx", "--dtype", "float16"], "apply to TorchScript exports"),
    (["--format", "onnx", "--size", "16"], "size must be an integer >= 32"),
    (["--size", "224"], "--size applies to --format onnx and pt2 only"),
])
def test_cli_refuses_options_that_do_not_apply(tmp_path, capsys, argv, message):
    out = tmp_path / "x.onnx"
    assert main(["export", "lwganet_l0", "--out", str(out), *argv]) == 1
    assert message in capsys.readouterr().err
    assert not out.exists()


def test_task_models_and_missing_packages_are_clear_errors(tmp_path, monkeypatch):
    with pytest.raises(ValueError, match="not the task model 'unetformer_lwganet_l0'"):
        export_onnx("unetformer_lwganet_l0", tmp_path / "x.onnx")
    monkeypatch.setitem(sys.modules, "onnxscript", None)  # makes `import onnxscript` raise ImportError
    with pytest.raises(ImportError, match="needs the Python packages onnxscript: install them into the Python that runs the exporter"):
        export_onnx("lwganet_l0", tmp_path / "x.onnx")
    assert not (tmp_path / "x.onnx").exists()
