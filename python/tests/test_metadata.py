"""metadata.json schema: round trip and rejection of malformed metadata."""

import copy
import json
import zipfile

import pytest

from lwganet.metadata import (AnySize, ExportInfo, FixedSize, InputSpec, MetadataError, ModelMetadata, NoResize,
                              OutputSpec, ShortSideCenterCrop, WeightsInfo, read_metadata)


def example(**overrides) -> ModelMetadata:
    fields = dict(
        task="classification", model="lwganet_l0", variant="l0", label_set="custom", labels=["a", "b"],
        input=InputSpec(mean=[0.5, 0.5, 0.5], std=[0.25, 0.25, 0.25], size=FixedSize(height=224, width=224),
                        resize=ShortSideCenterCrop(short_side=256, crop=224)),
        outputs=[OutputSpec(name="logits", kind="logits", shape=["N", 2])],
        weights=WeightsInfo(source="random-init", seed=0),
        export=ExportInfo(torch_version="2.15.0", lwganet_version="0.1.0", method="script", frozen=False,
                          dtype="float32", created_at="2026-01-01T00:00:00Z"))
    fields.update(overrides)
    return ModelMetadata(**fields)


def test_json_round_trip_and_derived_num_classes():
    meta = example()
    assert meta.num_classes == 2
    assert ModelMetadata.from_json(meta.to_json()) == meta
    features = example(task="features", label_set=None, labels=None,
                       input=InputSpec(mean=[0.0] * 3, std=[1.0] * 3, color_order="BGR",
                                       size=AnySize(min_height=32, min_width=32, padding="none"), resize=NoResize()))
    assert features.num_classes is None
    assert ModelMetadata.from_json(features.to_json()) == features


def test_unknown_extra_keys_are_tolerated():
    data = example().to_dict()
    data["addedLater"] = {"x": 1}
    data["export"]["builder"] = "ci"
    assert ModelMetadata.from_dict(data) == example()


@pytest.mark.parametrize("change,message", [
    (lambda d: d.update(numClasses=3), "numClasses must equal len"),
    (lambda d: d.update(formatVersion=2), "unsupported formatVersion 2"),
    (lambda d: d.update(format="other"), "format must be 'lwganet-model'"),
    (lambda d: d.update(task="detection"), "task 'detection' not in"),
    (lambda d: d["input"].update(colorOrder="RGBA"), "colorOrder must be RGB or BGR"),
    (lambda d: d["input"]["size"].update(rule="square"), "input.size.rule 'square' unknown"),
    (lambda d: d["input"].update(dtype="float16"), "input.dtype and export.dtype must agree"),
    (lambda d: d.pop("labels"), "missing or has a malformed field"),
])
def test_malformed_metadata_is_rejected(change, message):
    data = copy.deepcopy(example().to_dict())
    change(data)
    with pytest.raises(MetadataError, match=message):
        ModelMetadata.from_json(json.dumps(data))


def test_classification_needs_labels():
    with pytest.raises(MetadataError, match="needs labels"):
        example(label_set=None, labels=None)


def test_read_metadata_errors(tmp_path):
    not_zip = tmp_path / "model.pt"
    not_zip.write_bytes(b"nope")
    with pytest.raises(MetadataError, match="is not a TorchScript archive"):
        read_metadata(not_zip)
    plain = tmp_path / "plain.pt"
    with zipfile.ZipFile(plain, "w") as archive:
        archive.writestr("plain/data.pkl", b"")
    with pytest.raises(MetadataError, match="has no extra/metadata.json"):
        read_metadata(plain)
