"""Checkpoint loading: every wrapper style, dense-from-classification, key-by-key errors, and
refusal of unsafe or unreadable files."""

import argparse
import os

import pytest
import torch

import lwganet
from lwganet import CheckpointError
from conftest import fill_

PREFIXES = ["", "module.", "backbone.", "net.", "module.backbone."]


@pytest.fixture(scope="module")
def source():
    return fill_(lwganet.create_model("lwganet_l0"), seed=11)


def prefixed(state, prefix):
    return {prefix + k: v for k, v in state.items()}


def wrappers(state):
    return {
        "bare": state,
        "model": {"model": state, "optimizer": {"state": {}, "param_groups": [{"lr": 0.1}]}, "epoch": 299},
        "state_dict": {"state_dict": state, "meta": {"epoch": 3}},
        "args-namespace": {"model": state, "args": argparse.Namespace(lr=0.1, model="lwganet_l0")},
    }


def assert_same_weights(model, state):
    got = model.state_dict()
    assert all(torch.equal(got[k], v) for k, v in state.items())


@pytest.mark.parametrize("prefix", PREFIXES)
@pytest.mark.parametrize("style", ["bare", "model", "state_dict", "args-namespace"])
def test_strict_load_of_every_wrapper_style(tmp_path, source, style, prefix):
    path = tmp_path / "ckpt.pth"
    torch.save(wrappers(prefixed(source.state_dict(), prefix))[style], path)
    model = lwganet.create_model("lwganet_l0")
    report = lwganet.load_checkpoint(model, path, strict=True)
    assert_same_weights(model, source.state_dict())
    assert report.loaded == list(source.state_dict()) and not report.ignored and not report.kept_default


def test_classification_checkpoint_into_dense_backbone(tmp_path, source):
    path = tmp_path / "imagenet.pth"
    torch.save({"model": source.state_dict()}, path)
    backbone = lwganet.create_model("lwganet_l0", features_only=True)
    report = lwganet.load_checkpoint(backbone, path, strict=True)
    assert report.ignored == ["avgpool_pre_head.1.weight", "head.weight", "head.bias"]
    norms = [k.split(".")[0] for k in report.kept_default]
    assert norms == ["norm0"] * 5 + ["norm2"] * 5 + ["norm4"] * 5 + ["norm6"] * 5
    trunk = {k: v for k, v in source.state_dict().items() if k.startswith(("Stem.", "stages."))}
    assert_same_weights(backbone, trunk)


def test_task_checkpoint_backbone_part_is_taken(tmp_path):
    dense = fill_(lwganet.create_model("lwganet_l0", features_only=True), seed=12)
    state = prefixed(dense.state_dict(), "backbone.")
    state["decode_head.conv.weight"] = torch.zeros(4, 4)
    path = tmp_path / "seg.pth"
    torch.save({"state_dict": state}, path)
    model = lwganet.create_model("lwganet_l0", features_only=True)
    report = lwganet.load_checkpoint(model, path)
    assert report.ignored == ["decode_head.conv.weight"]
    assert_same_weights(model, dense.state_dict())


def test_mismatch_error_lists_every_key(source):
    state = dict(source.state_dict())
    del state["stages.0.blocks.0.MRA.max_m2.filt"]
    state["stages.9.extra.weight"] = torch.zeros(2)
    state["head.weight"] = torch.zeros(45, 1280)
    with pytest.raises(CheckpointError) as err:
        lwganet.load_checkpoint(lwganet.create_model("lwganet_l0"), state)
    assert str(err.value).splitlines() == [
        "Checkpoint state_dict does not match LWGANetClassifier: 1 missing, 1 unexpected, 1 with the wrong shape",
        "  missing: stages.0.blocks.0.MRA.max_m2.filt [8, 1, 4, 4]",
        "  unexpected: stages.9.extra.weight [2]",
        "  wrong shape: head.weight: checkpoint [45, 1280], model [1000, 1280]",
    ]


def test_wrong_variant_error_stays_readable(source):
    with pytest.raises(CheckpointError) as err:
        lwganet.load_checkpoint(lwganet.create_model("lwganet_l1"), source.state_dict())
    lines = str(err.value).splitlines()
    assert lines[0].endswith("0 missing, 0 unexpected, 408 with the wrong shape")
    assert lines[1] == "  wrong shape: Stem.proj.weight: checkpoint [32, 3, 4, 4], model [64, 3, 4, 4]"
    assert lines[-1] == "  … and 388 more wrong shape keys" and len(lines) == 22


def test_non_strict_load_reports_and_loads_the_rest(source):
    state = dict(source.state_dict())
    state["head.weight"] = torch.zeros(45, 1280)
    del state["head.bias"]
    model = lwganet.create_model("lwganet_l0")
    report = lwganet.load_checkpoint(model, state, strict=False)
    assert report.mismatched == ["head.weight"] and report.missing == ["head.bias"]
    assert torch.equal(model.state_dict()["Stem.proj.weight"], state["Stem.proj.weight"])


def test_checkpoint_that_runs_code_is_refused(tmp_path):
    marker = tmp_path / "pwned"

    class Payload:
        def __reduce__(self):
            return os.system, (f"touch {marker}",)

    path = tmp_path / "evil.pth"
    torch.save({"model": {"Stem.proj.weight": torch.zeros(1)}, "x": Payload()}, path)
    refused = "was refused: it contains objects other than tensors.*GLOBAL posix.system"
    with pytest.raises(CheckpointError, match=refused):
        lwganet.load_checkpoint(lwganet.create_model("lwganet_l0"), path)
    assert not marker.exists()


def test_non_plain_objects_are_rejected_even_when_unpicklable_safely(tmp_path, source):
    path = tmp_path / "dtype.pth"
    torch.save({"model": source.state_dict(), "dtype": torch.float16}, path)
    with pytest.raises(CheckpointError, match=r"holds a torch\.dtype at checkpoint\['dtype'\]"):
        lwganet.load_checkpoint(lwganet.create_model("lwganet_l0"), path)


def test_truncated_and_corrupt_files(tmp_path, source):
    good = tmp_path / "good.pth"
    torch.save({"model": source.state_dict()}, good)
    truncated = tmp_path / "truncated.pth"
    truncated.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    garbage = tmp_path / "garbage.pth"
    garbage.write_bytes(b"not a checkpoint at all" * 10)
    for path in (truncated, garbage):
        with pytest.raises(CheckpointError, match="is not a readable PyTorch checkpoint"):
            lwganet.load_checkpoint(lwganet.create_model("lwganet_l0"), path)
    with pytest.raises(FileNotFoundError, match="checkpoint not found"):
        lwganet.load_checkpoint(lwganet.create_model("lwganet_l0"), tmp_path / "missing.pth")


def test_checkpoint_without_state_dict(tmp_path):
    path = tmp_path / "opt.pth"
    torch.save({"optimizer": {"lr": 0.1}, "epoch": 1}, path)
    with pytest.raises(CheckpointError, match=r"no state_dict found .* top level: \['optimizer', 'epoch'\]"):
        lwganet.load_checkpoint(lwganet.create_model("lwganet_l0"), path)
