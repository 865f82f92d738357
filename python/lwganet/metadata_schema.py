"""``metadata.schema.json`` (JSON Schema 2020-12), generated from the dataclasses of metadata.py.

``python -m lwganet.metadata_schema`` rewrites the file beside this module; tests/test_metadata_schema.py
fails when it is stale, and the Node package's tests check lib/model/metadata.ts against it. Types come
from the annotations, ``enum``/``minimum``/``maximum``/``exclusive_minimum``/``min_items`` from the
field metadata, a discriminator field (``rule``, ``mode``, ``format``) fixed by ``init=False``
becomes a ``const``; a key is required unless its field is ``omit_none`` or ``optional``, and may be
null only if its type is Optional and it is not ``omit_none`` (or is also ``nullable``). The rules
that tie fields together (below) are the ones ``ModelMetadata.validate`` also applies.
"""

import dataclasses
import json
import sys
import typing
from pathlib import Path
from typing import Any, Dict, List, Union

from .detection.labels import LABEL_SETS as DETECTION_LABEL_SETS
from .metadata import FORMAT, TILED_TASKS, ModelMetadata, _camel

__all__ = ["metadata_schema", "SCHEMA_FILE", "schema_text"]

SCHEMA_FILE = Path(__file__).with_name("metadata.schema.json")
_KEYWORDS = {"enum": "enum", "minimum": "minimum", "maximum": "maximum", "exclusive_minimum": "exclusiveMinimum",
             "min_items": "minItems"}
_SCALARS = {int: {"type": "integer"}, float: {"type": "number"}, str: {"type": "string"}, bool: {"type": "boolean"}}


def _type(tp: Any, defs: Dict[str, Any]) -> Dict[str, Any]:
    if tp in _SCALARS:
        return dict(_SCALARS[tp])
    if dataclasses.is_dataclass(tp):
        if tp.__name__ not in defs:
            defs[tp.__name__] = None  # placeholder: stops recursion
            defs[tp.__name__] = _object(tp, defs)
        return {"$ref": f"#/$defs/{tp.__name__}"}
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin in (list, List):
        return {"type": "array", "items": _type(args[0], defs)}
    if origin is Union:
        return {"anyOf": [{"type": "null"} if a is type(None) else _type(a, defs) for a in args]}
    raise TypeError(f"no JSON Schema for {tp!r}")


def _object(cls: type, defs: Dict[str, Any]) -> Dict[str, Any]:
    hints = typing.get_type_hints(cls)
    properties: Dict[str, Any] = {}
    required: List[str] = []
    for f in dataclasses.fields(cls):
        key = _camel(f.name)
        if not f.init and f.name != "num_classes":  # discriminators: rule, mode, format, formatVersion
            prop = {"const": f.default}
        else:
            prop = _type(hints[f.name], defs)
            if f.metadata.get("omit_none") and not f.metadata.get("nullable"):  # absent, never null
                prop = next(p for p in prop["anyOf"] if p != {"type": "null"})
            extra = {_KEYWORDS[k]: list(v) if k == "enum" else v for k, v in f.metadata.items() if k in _KEYWORDS}
            if extra and "anyOf" in prop:  # Optional[X]: the constraints apply to X
                prop["anyOf"] = [{**p, **extra} if p != {"type": "null"} else p for p in prop["anyOf"]]
            else:
                prop.update(extra)
        properties[key] = prop
        if not (f.metadata.get("omit_none") or f.metadata.get("optional")):
            required.append(key)
    return {"title": cls.__name__, "description": (cls.__doc__ or "").strip().splitlines()[0],
            "type": "object", "properties": properties, "required": required}


def _rules() -> List[Dict[str, Any]]:
    """The cross-field rules of ``ModelMetadata.validate`` that JSON Schema can state."""
    rules: List[Dict[str, Any]] = [
        # labels and labelSet are given together; numClasses is len(labels), or null without labels.
        {"if": {"properties": {"labels": {"type": "null"}}},
         "then": {"properties": {"labelSet": {"type": "null"}, "numClasses": {"type": "null"}}},
         "else": {"properties": {"labelSet": {"type": "string"}, "numClasses": {"type": "integer"}}}},
        {"if": {"properties": {"task": {"const": "rotated-detection"}}},
         "then": {"required": ["detection"], "properties": {"detection": {"$ref": "#/$defs/DetectionSpec"}}},
         "else": {"properties": {"detection": {"type": "null"}}}},
        {"if": {"properties": {"task": {"enum": list(TILED_TASKS)}}},
         "then": {"required": ["tiling"], "properties": {"tiling": {"$ref": "#/$defs/TilingSpec"}}}},
        {"if": {"properties": {"task": {"const": "rotated-detection"}}},
         "then": {"properties": {"outputs": {"allOf": [
             {"contains": {"properties": {"kind": {"const": kind}}}, "minContains": 1, "maxContains": 1}
             for kind in ("rotated-boxes", "scores", "labels")]}}}},
    ]
    for name, labels in DETECTION_LABEL_SETS.items():
        rules.append({"if": {"required": ["labelSet"], "properties": {"labelSet": {"const": name}}},
                      "then": {"properties": {"labels": {"const": list(labels)}}}})
    return rules


def metadata_schema() -> Dict[str, Any]:
    defs: Dict[str, Any] = {}
    root = _object(ModelMetadata, defs)
    # A palette entry is one [r, g, b] colour.
    root["properties"]["palette"]["anyOf"][0]["items"] = {
        "type": "array", "minItems": 3, "maxItems": 3, "items": {"type": "integer", "minimum": 0, "maximum": 255}}
    return {"$schema": "https://json-schema.org/draft/2020-12/schema",
            "$id": "https://github.com/lwganet-node/lwganet-node/metadata.schema.json",
            "title": f"{FORMAT} metadata.json", **{k: v for k, v in root.items() if k != "title"},
            "allOf": _rules(), "$defs": dict(sorted(defs.items()))}


def schema_text() -> str:
    return json.dumps(metadata_schema(), indent=2, ensure_ascii=False) + "\n"


if __name__ == "__main__":
    SCHEMA_FILE.write_text(schema_text(), encoding="utf-8")
    print(f"wrote {SCHEMA_FILE}", file=sys.stderr)
