"""Export → reload → same outputs, metadata round trip, determinism, CLI."""

import hashlib
import json
import subprocess
import sys

import pytest
import torch

import lwganet
from lwganet.cli import main
from lwganet.export import load_exported
from conftest import exported_twin, fill_, image

BRIEF_KEYS = ["format", "formatVersion", "task", "model", "variant", "labelSet", "labels", "numClasses",
              "input", "outputs", "weights", "export"]


def run(module, x):
    with torch.no_grad(), torch.jit.optimized_execution(False):
        return module(x)


@pytest.fixture(scope="module")
def l0_export(tmp_path_factory):
    path = tmp_path_factory.mktemp("export") / "l0.pt"
    return path, lwganet.export_model("lwganet_l0", path, seed=3)


def test_export_reload_gives_the_eager_outputs(l0_export):
    path, meta = l0_export
    module, loaded_meta = load_exported(path)
    torch.manual_seed(3)
    eager = exported_twin(lwganet.create_model("lwganet_l0"))
    x = image(96, 96, dtype=torch.float32)
    assert torch.equal(run(module, x), run(eager, x))
    assert loaded_meta == meta == lwganet.read_metadata(path)


def test_classification_metadata(l0_export):
    _, meta = l0_export
    text = meta.to_json()
    data = json.loads(text)
    assert list(data) == BRIEF_KEYS
    assert '"valueScale": 255,' in text  # an integer, as lib/model/metadata.ts documents
    assert data["labelSet"] == "imagenet-1k" and data["numClasses"] == len(data["labels"]) == 1000
    assert data["labels"][:2] == ["tench", "goldfish"]
    assert data["input"] == {
        "channels": 3, "layout": "NCHW", "dtype": "float32", "colorOrder": "RGB", "valueScale": 255,
        "mean": [0.485, 0.456, 0.406], "std": [0.229, 0.224, 0.225],
        "size": {"rule": "fixed", "height": 224, "width": 224},
        "resize": {"mode": "short-side-center-crop", "shortSide": 256, "crop": 224, "interpolation": "bilinear"}}
    assert data["outputs"] == [{"name": "logits", "kind": "logits", "shape": ["N", 1000]}]
    assert data["weights"] == {"source": "random-init", "seed": 3, "file": None, "sha256": None}
    assert list(data["export"]) == ["torchVersion", "lwganetVersion", "method", "frozen", "dtype", "createdAt",
                                    "graph"]
    assert data["export"]["method"] == "script" and data["export"]["frozen"] is False
    assert data["export"]["graph"] == "fast"
    assert data["export"]["torchVersion"] == torch.__version__.split("+")[0]
    assert data["export"]["createdAt"].endswith("Z")


def test_features_export_any_size(tmp_path):
    path = tmp_path / "l0_features.pt"
    meta = lwganet.export_model("lwganet_l0", path, features_only=True, method="trace")
    data = meta.to_dict()
    assert data["task"] == "features" and data["labels"] is None and data["numClasses"] is None
    assert data["input"]["size"]["rule"] == "any" and data["input"]["size"]["minHeight"] == 32
    assert data["input"]["resize"] == {"mode": "none"}
    assert [o["shape"] for o in data["outputs"]] == [["N", 32, "H/4", "W/4"], ["N", 64, "H/8", "W/8"],
                                                     ["N", 128, "H/16", "W/16"], ["N", 256, "H/32", "W/32"]]
    assert data["export"]["method"] == "trace"
    module, _ = load_exported(path)
    torch.manual_seed(0)
    eager = exported_twin(lwganet.create_model("lwganet_l0", features_only=True))
    x = image(96, 128, dtype=torch.float32)
    got, want = run(module, x), run(eager, x)
    assert isinstance(got, tuple) and all(torch.equal(a, b) for a, b in zip(got, want, strict=True))


def test_export_is_deterministic_per_seed(tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")
    # Same file name: torch.jit.save names the archive's root folder after the file.
    for sub in "abc":
        (tmp_path / sub).mkdir()
    a, b, c = tmp_path / "a" / "m.pt", tmp_path / "b" / "m.pt", tmp_path / "c" / "m.pt"
    lwganet.export_model("lwganet_l0", a, seed=5)
    lwganet.export_model("lwganet_l0", b, seed=5)
    meta = lwganet.export_model("lwganet_l0", c, seed=6)
    assert a.read_bytes() == b.read_bytes()
    assert a.read_bytes() != c.read_bytes()
    assert meta.export.created_at == "2026-01-01T00:00:00Z"


def test_export_with_weights_and_labels(tmp_path):
    model = fill_(lwganet.create_model("lwganet_l0", labels="nwpu-resisc45"), seed=31)
    ckpt = tmp_path / "nwpu_l0.pth"
    torch.save({"model": {"module." + k: v for k, v in model.state_dict().items()}, "epoch": 10}, ckpt)
    with pytest.raises(ValueError, match="the checkpoint has a 45-class head: pass labels"):
        lwganet.export_model("lwganet_l0", tmp_path / "x.pt", weights=ckpt)
    with pytest.raises(ValueError, match="labels 'aid' have 30 classes but the checkpoint head has 45"):
        lwganet.export_model("lwganet_l0", tmp_path / "x.pt", weights=ckpt, labels="aid")
    out = tmp_path / "nwpu.pt"
    meta = lwganet.export_model("lwganet_l0", out, weights=ckpt, labels="nwpu-resisc45", freeze=True)
    assert meta.weights.source == "checkpoint" and meta.weights.seed is None
    assert meta.weights.file == "nwpu_l0.pth"
    assert meta.weights.sha256 == hashlib.sha256(ckpt.read_bytes()).hexdigest()
    assert meta.label_set == "nwpu-resisc45" and meta.num_classes == 45 and meta.export.frozen
    module, _ = load_exported(out)
    x = image(96, 96, dtype=torch.float32)
    # frozen graphs fold BN into convs: equal up to rounding
    torch.testing.assert_close(run(module, x), run(model, x), rtol=1e-4, atol=1e-4)


def test_features_export_from_a_classification_checkpoint(tmp_path):
    model = fill_(lwganet.create_model("lwganet_l0"), seed=32)
    ckpt = tmp_path / "lwganet_l0_e299.pth"
    torch.save({"model": model.state_dict()}, ckpt)
    with pytest.warns(UserWarning, match=r"3 checkpoint keys not used \(avgpool_pre_head.1.weight, head.weight, "
                                         r"head.bias\); 20 model entries keep their initial values"):
        meta = lwganet.export_model("lwganet_l0", tmp_path / "f.pt", weights=ckpt, features_only=True)
    assert meta.task == "features" and meta.weights.file == "lwganet_l0_e299.pth"


def test_custom_labels_file(tmp_path):
    names = tmp_path / "classes.txt"
    names.write_text("field\nforest\nwater\n")
    meta = lwganet.export_model("lwganet_l0", tmp_path / "c.pt", labels=str(names))
    assert meta.label_set == "custom" and meta.labels == ["field", "forest", "water"]
    assert meta.outputs[0].shape == ["N", 3]


def test_float16_export(tmp_path):
    out = tmp_path / "half.pt"
    meta = lwganet.export_model("lwganet_l0", out, dtype="float16", freeze=True)
    assert meta.input.dtype == meta.export.dtype == "float16"
    module, _ = load_exported(out)
    torch.manual_seed(0)
    eager = lwganet.create_model("lwganet_l0")
    x = image(96, 96, dtype=torch.float32)
    half = run(module, x.half())
    assert half.dtype == torch.float16
    torch.testing.assert_close(half.float(), run(eager, x), rtol=0.05, atol=0.05)


def test_bad_export_arguments(tmp_path):
    with pytest.raises(ValueError, match="dtype must be one of"):
        lwganet.export_model("lwganet_l0", tmp_path / "x.pt", dtype="int8")
    with pytest.raises(ValueError, match="method must be one of"):
        lwganet.export_model("lwganet_l0", tmp_path / "x.pt", method="onnx")
    with pytest.raises(ValueError, match="labels do not apply"):
        lwganet.export_model("lwganet_l0", tmp_path / "x.pt", features_only=True, labels="aid")
    with pytest.raises(ValueError, match="unknown model"):
        lwganet.export_model("resnet50", tmp_path / "x.pt")


def test_cli_export_and_errors(tmp_path, capsys):
    out = tmp_path / "cli.pt"
    assert main(["export", "lwganet_l0", "--out", str(out), "--labels", "ucm", "--seed", "2"]) == 0
    assert "wrote" in capsys.readouterr().out
    assert lwganet.read_metadata(out).labels == lwganet.get_labels("ucm")
    bad = tmp_path / "bad.pth"
    bad.write_bytes(b"\x00" * 64)
    assert main(["export", "lwganet_l0", "--out", str(tmp_path / "y.pt"), "--weights", str(bad)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("lwganet: error: Checkpoint ") and "not a readable PyTorch checkpoint" in err
    assert len(err.strip().splitlines()) == 1


def test_module_entry_point_runs():
    done = subprocess.run([sys.executable, "-m", "lwganet", "--help"], capture_output=True, text=True, check=True)
    assert "export" in done.stdout and "info" in done.stdout
