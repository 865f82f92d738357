"""state_dict layout == the official manifests (keys, order, shapes, dtypes), all variants."""

import json

import pytest

import lwganet
from conftest import DATA, VARIANT_NAMES

MODES = [(False, ""), (True, "_dense")]


def manifest(name: str, suffix: str) -> dict:
    return json.loads((DATA / f"{name}{suffix}_keys.json").read_text())


@pytest.mark.parametrize("features_only,suffix", MODES, ids=["classification", "dense"])
@pytest.mark.parametrize("name", VARIANT_NAMES)
def test_state_dict_matches_manifest(name, features_only, suffix):
    ref = manifest(name, suffix)
    model = lwganet.create_model(name, features_only=features_only)
    got = [(k, list(t.shape), str(t.dtype).replace("torch.", "")) for k, t in model.state_dict().items()]
    want = [(e["key"], e["shape"], e["dtype"]) for e in ref["entries"]]
    first_diff = next((f"{g} != {w}" for g, w in zip(got, want, strict=False) if g != w), "length differs")
    assert got == want, f"{name}{suffix}: first difference {first_diff}"
    assert lwganet.count_parameters(model) == ref["num_parameters"]
    params = dict(model.named_parameters())
    kinds = ["parameter" if k in params else "buffer" for k in model.state_dict()]
    assert kinds == [e["kind"] for e in ref["entries"]]

