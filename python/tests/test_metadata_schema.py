"""metadata.schema.json is what the dataclasses of metadata.py say, and every export's metadata
follows it (the Node side checks lib/model/metadata.ts against the same file)."""

import json

from lwganet.metadata_schema import SCHEMA_FILE, metadata_schema, schema_text
from lwganet.metadata import ModelMetadata


def test_the_committed_schema_is_generated_from_the_dataclasses():
    assert SCHEMA_FILE.read_text(encoding="utf-8") == schema_text(), (
        "python/lwganet/metadata.schema.json is stale: run `python -m lwganet.metadata_schema` in python/")


def test_every_dataclass_field_is_a_schema_property():
    schema = metadata_schema()
    defs = schema["$defs"]
    for name in ("InputSpec", "OutputSpec", "WeightsInfo", "ExportInfo", "TilingSpec", "DetectionSpec", "RpnSpec",
                 "FixedSize", "AnySize", "ShortSideCenterCrop", "ResizeTo", "NoResize"):
        assert name in defs
    assert set(schema["properties"]) == {"format", "formatVersion", "task", "model", "variant", "labelSet", "labels",
                                         "numClasses", "input", "outputs", "palette", "tiling", "detection",
                                         "weights", "export"}
    assert set(defs["AnySize"]["properties"]) == {"rule", "minHeight", "minWidth", "padding", "multipleOf"}
    assert defs["AnySize"]["required"] == ["rule", "minHeight", "minWidth"]
    assert "graph" not in defs["ExportInfo"]["required"]
    assert json.loads(SCHEMA_FILE.read_text())["$defs"]["FixedSize"]["properties"]["rule"] == {"const": "fixed"}


def test_json_keys_written_are_the_schema_properties(tmp_path):
    """to_dict() writes exactly the schema's keys (omit_none fields only when set)."""
    import lwganet
    meta = lwganet.export_model("a2net_lwganet_l0", tmp_path / "a.pt", method="trace")
    data = meta.to_dict()
    schema = metadata_schema()
    assert set(data) <= set(schema["properties"]) and set(schema["required"]) <= set(data)
    assert data["input"]["size"]["multipleOf"] == data["tiling"]["tileMultiple"] == 32
    assert ModelMetadata.from_dict(data).input.size.multiple_of == 32
