"""AOTInductor export (formats/pt2.py): what it refuses before compiling anything, the metadata
it writes, and the CLI wiring. Compiling is slow (~1 min per entry on 2 cores), so the compiled
output itself is checked on the tiny fixture packages (test/fixtures/pt2_models.py verifies
them against eager when they are generated; test/compiled.test.ts runs them from Node)."""

import pytest

from lwganet.cli import main
from lwganet.metadata import ModelMetadata
from lwganet import export_pt2
from lwganet.formats.pt2 import _dynamic_shapes, _parse_size, entry_name


@pytest.mark.parametrize("size,want", [(224, (224, 224)), ("256", (256, 256)), ("512x768", (512, 768)),
                                       ("64X32", (64, 32))])
def test_sizes_parse(size, want):
    assert _parse_size(size) == want


@pytest.mark.parametrize("size", ["12x", "axb", "1x2x3", 2.5])
def test_bad_sizes_are_refused(size):
    with pytest.raises(ValueError, match="size"):
        _parse_size(size)


def test_entry_names_and_dynamic_ranges():
    assert entry_name(16, 224, 256) == "b16_224x256"
    specs, ranges = _dynamic_shapes(2, 64)
    assert len(specs) == 2 and set(specs[0]) == {0, 2, 3}
    assert ranges == "1-64,64-4096,64-4096,32"


@pytest.mark.parametrize("kwargs,message", [
    (dict(model_name="orcnn_lwganet_l2"), "detector"),
    (dict(model_name="lwganet_l0", sizes=[256]), "classifies 224x224"),
    (dict(model_name="lwganet_l0", batches=[0]), "batch sizes"),
    (dict(model_name="lwganet_l0", features_only=True, sizes=[16]), "at least"),
    (dict(model_name="unetformer_lwganet_l0", sizes=["512x256"]), "square tiles"),
    (dict(model_name="a2net_lwganet_l0", features_only=True), "no features export"),
])
def test_refused_before_compiling(tmp_path, kwargs, message):
    with pytest.raises(ValueError, match=message):
        export_pt2(out=tmp_path / "x.pt2", **kwargs)
    assert not (tmp_path / "x.pt2").exists()


def test_cli_refuses_torchscript_switches_and_wrong_suffix(tmp_path, capsys):
    assert main(["export", "lwganet_l0", "--format", "pt2", "--freeze", "--out", str(tmp_path / "x.pt2")]) == 1
    assert "apply to TorchScript exports, not --format pt2" in capsys.readouterr().err
    assert main(["export", "lwganet_l0", "--format", "pt2", "--out", str(tmp_path / "x.pt")]) == 1
    assert ".pt2" in capsys.readouterr().err
    assert main(["export", "lwganet_l0", "--batch", "2", "--out", str(tmp_path / "x.pt")]) == 1
    assert "apply to --format pt2, not --format torchscript" in capsys.readouterr().err
    assert main(["export", "lwganet_l0", "--format", "onnx", "--batch", "2", "--out", str(tmp_path / "x.onnx")]) == 1
    assert "--format pt2" in capsys.readouterr().err


def test_metadata_accepts_the_aoti_method():
    from lwganet.export import build_metadata
    from lwganet.metadata import WeightsInfo
    meta = build_metadata("lwganet_l0", None, None, WeightsInfo(source="random-init", seed=0), method="aoti",
                          frozen=True, dtype="float32", graph="fast", features_only=True)
    assert ModelMetadata.from_json(meta.to_json()).export.method == "aoti"
