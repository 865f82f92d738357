"""The metadata schema every exported model carries, declared once.

Stored as ``metadata.json`` in the TorchScript archive's extra files; the JSON uses camelCase
keys (``to_dict`` converts the snake_case field names). These dataclasses are the source of
``metadata.schema.json`` (written by ``python -m lwganet.metadata_schema``; a test fails when the
file is stale), which lib/model/metadata.ts is tested against. Field ``metadata`` entries carry what a
type cannot say: ``enum`` (allowed values), ``minimum``, ``exclusive_minimum``, ``maximum``, and
``omit_none`` (the key is left out of the JSON when the value is None; the schema then allows
null only where ``nullable`` says so). Bump ``FORMAT_VERSION``
on any incompatible change.
"""

import json
import re
import zipfile
from dataclasses import dataclass, field, fields, is_dataclass
from os import PathLike
from typing import Any, Dict, List, Optional, Union

__all__ = ["FORMAT", "FORMAT_VERSION", "TASKS", "TILED_TASKS", "METADATA_FILE", "FixedSize", "AnySize",
           "ShortSideCenterCrop", "ResizeTo", "NoResize", "InputSpec", "OutputSpec", "WeightsInfo",
           "ExportInfo", "TilingSpec", "RpnSpec", "DetectionSpec", "ModelMetadata", "MetadataError",
           "read_metadata"]

FORMAT = "lwganet-model"
FORMAT_VERSION = 1
METADATA_FILE = "metadata.json"
TASKS = ("classification", "features", "segmentation", "change-detection", "rotated-detection")
# Tasks that run on images of any size by tiles: their metadata must carry a TilingSpec.
TILED_TASKS = ("segmentation", "change-detection", "rotated-detection")
LABEL_SETS = ("imagenet-1k", "nwpu-resisc45", "aid", "ucm", "loveda", "uavid", "binary-change", "dota-v1.0",
              "dota-v1.5", "custom")
DTYPES = ("float32", "float16")
COLOR_ORDERS = ("RGB", "BGR")
WEIGHT_SOURCES = ("random-init", "checkpoint")
EXPORT_METHODS = ("script", "trace", "aoti")
GRAPHS = ("fast", "official")
ANGLE_CONVENTIONS = ("le90",)
BOX_FORMATS = ("cx,cy,w,h,angle",)

_POSITIVE = {"minimum": 1}
_PROBABILITY = {"minimum": 0, "maximum": 1}


class MetadataError(ValueError):
    """metadata.json is missing or does not follow the schema."""


@dataclass(kw_only=True)
class FixedSize:
    """The model takes exactly height × width pixels."""

    rule: str = field(default="fixed", init=False)
    height: int = field(metadata=_POSITIVE)
    width: int = field(metadata=_POSITIVE)


@dataclass(kw_only=True)
class AnySize:
    """The model takes any H × W with H ≥ min_height, W ≥ min_width (and, when ``multiple_of``
    is set, H and W multiples of it).

    ``padding`` says in one line how sizes the official network rejects are handled.
    ``multiple_of`` is set where the exported graph cannot pad: a traced dense model runs the
    control flow of its trace size only, so it takes tiles of that geometry (multiples of
    ``tiling.tile_multiple``); scripted models pad inside and leave it out."""

    rule: str = field(default="any", init=False)
    min_height: int = field(metadata=_POSITIVE)
    min_width: int = field(metadata=_POSITIVE)
    padding: Optional[str] = field(default=None, metadata={"omit_none": True})
    multiple_of: Optional[int] = field(default=None, metadata={"omit_none": True, **_POSITIVE})


@dataclass(kw_only=True)
class ShortSideCenterCrop:
    """Resize so the shorter side is ``short_side`` (aspect kept), then centre-crop crop × crop."""

    mode: str = field(default="short-side-center-crop", init=False)
    short_side: int = field(metadata=_POSITIVE)
    crop: int = field(metadata=_POSITIVE)
    interpolation: str = "bilinear"


@dataclass(kw_only=True)
class ResizeTo:
    """Resize to exactly height × width (aspect not kept)."""

    mode: str = field(default="resize", init=False)
    height: int = field(metadata=_POSITIVE)
    width: int = field(metadata=_POSITIVE)
    interpolation: str = "bilinear"


@dataclass(kw_only=True)
class NoResize:
    """Feed the image at its own size (within the size rule)."""

    mode: str = field(default="none", init=False)


@dataclass(kw_only=True)
class InputSpec:
    """How to turn pixels into the input tensor.

    Attributes:
        channels: input channels (3).
        layout: tensor layout, always "NCHW".
        dtype: input tensor dtype, "float32" or "float16" (= the exported weights' dtype).
        color_order: channel order the model expects, "RGB" or "BGR".
        value_scale: raw pixel values are divided by this first (255: 0..255 → 0..1).
        mean, std: then (x − mean) / std per channel, in ``color_order`` order.
        size: accepted spatial size (FixedSize or AnySize).
        resize: the preprocessing that produces that size from an image.
    """

    channels: int = field(default=3, metadata=_POSITIVE)
    layout: str = field(default="NCHW", metadata={"enum": ("NCHW",)})
    dtype: str = field(default="float32", metadata={"enum": DTYPES})
    color_order: str = field(default="RGB", metadata={"enum": COLOR_ORDERS})
    value_scale: float = field(default=255, metadata={"exclusive_minimum": 0})
    mean: List[float]
    std: List[float]
    size: Union[FixedSize, AnySize]
    resize: Union[ShortSideCenterCrop, ResizeTo, NoResize]


@dataclass(kw_only=True)
class OutputSpec:
    """One model output. ``shape`` entries are ints or symbolic strings ("N" = batch; "H/4"
    = the input height at stride 4, rounded as the size rule says)."""

    name: str
    kind: str  # "logits" | "features"
    shape: List[Union[int, str]]


@dataclass(kw_only=True)
class WeightsInfo:
    """Where the weights came from.

    Attributes:
        source: "random-init" (deterministic seeded initialisation) or "checkpoint".
        seed: torch seed of a random init; None for checkpoints.
        file: checkpoint file name (no directories); None for random init.
        sha256: hex digest of the checkpoint file; None for random init.
    """

    source: str = field(metadata={"enum": WEIGHT_SOURCES})
    seed: Optional[int] = None
    file: Optional[str] = None
    sha256: Optional[str] = None


@dataclass(kw_only=True)
class ExportInfo:
    """How the archive was produced.

    Attributes:
        torch_version: torch that wrote it; the loading LibTorch must be at least as new.
        lwganet_version: version of this package.
        method: "script" (torch.jit.script), "trace" (torch.jit.trace) or "aoti" (torch.export +
            AOTInductor, a .pt2 package: formats/pt2.py).
        frozen: True if torch.jit.freeze was applied.
        dtype: dtype of the weights and of the expected input.
        created_at: ISO-8601 UTC time of export.
        graph: "fast" or "official" (graph.py); archives written before the field are "official".
    """

    torch_version: str
    lwganet_version: str
    method: str = field(metadata={"enum": EXPORT_METHODS})
    frozen: bool
    dtype: str = field(metadata={"enum": DTYPES})
    created_at: str
    graph: str = field(default="official", metadata={"enum": GRAPHS, "optional": True})


@dataclass(kw_only=True)
class TilingSpec:
    """How a dense model (segmentation, change detection) runs on images of any size.

    Attributes:
        default_tile_size: tile side used when the caller does not choose one.
        tile_multiple: tile sides that are multiples of this run the model with no internal
            padding (the official geometry).
        min_tile_size: smallest tile side to use.
        default_overlap: overlap of neighbouring tiles in pixels when the caller does not choose.
    """

    default_tile_size: int = field(metadata=_POSITIVE)
    tile_multiple: int = field(metadata=_POSITIVE)
    min_tile_size: int = field(metadata=_POSITIVE)
    default_overlap: int = field(metadata={"minimum": 0})


@dataclass(kw_only=True)
class RpnSpec:
    """The proposal stage of a two-stage detector (recorded for consumers; applied inside).

    Attributes:
        pre_nms_top_k: candidates kept per FPN level, by score, before NMS.
        nms_iou_threshold: axis-aligned NMS per level; IoU above this suppresses.
        max_proposals: proposals kept after NMS, by score.
    """

    pre_nms_top_k: int = field(metadata=_POSITIVE)
    nms_iou_threshold: float = field(metadata=_PROBABILITY)
    max_proposals: int = field(metadata=_POSITIVE)


@dataclass(kw_only=True)
class DetectionSpec:
    """How a rotated-detection model's boxes are to be read and merged.

    Attributes:
        angle_convention: "le90": θ in radians, [−π/2, π/2), w ≥ h, positive clockwise on
            screen (image y down).
        box_format: column order of the boxes output, "cx,cy,w,h,angle".
        score_threshold: the model returns (box, class) pairs scoring above this.
        nms_iou_threshold: per-class rotated NMS inside the model; the default IoU for
            merging detections across tiles.
        max_per_image: most detections one forward returns.
        rpn: the proposal stage.
    """

    angle_convention: str = field(metadata={"enum": ANGLE_CONVENTIONS})
    box_format: str = field(metadata={"enum": BOX_FORMATS})
    score_threshold: float = field(metadata=_PROBABILITY)
    nms_iou_threshold: float = field(metadata=_PROBABILITY)
    max_per_image: int = field(metadata=_POSITIVE)
    rpn: RpnSpec




@dataclass(kw_only=True)
class ModelMetadata:
    """Everything a consumer needs to run an exported model correctly.

    Attributes:
        task: one of ``TASKS``.
        model: registry name ("lwganet_l0").
        variant: "l0" | "l1" | "l2".
        label_set: a known label-set name, "custom", or None (features).
        labels: class names in output order, or None (features).
        num_classes: len(labels), or None; derived, never set independently.
        input: preprocessing and accepted sizes.
        outputs: the model's outputs, in order.
        palette: segmentation / change detection / detection: one [r, g, b] per label; else None.
        tiling: segmentation / change detection / detection: the TilingSpec (required there);
            else None.
        detection: rotated detection: the DetectionSpec (required there); else None.
        weights: provenance of the weights.
        export: provenance of the archive.
        format, format_version: schema identity ("lwganet-model", 1).
    """

    format: str = field(default=FORMAT, init=False)
    format_version: int = field(default=FORMAT_VERSION, init=False)
    task: str = field(metadata={"enum": TASKS})
    model: str
    variant: str
    label_set: Optional[str]
    labels: Optional[List[str]]
    num_classes: Optional[int] = field(default=None, init=False, metadata={"minimum": 0})
    input: InputSpec
    outputs: List[OutputSpec] = field(metadata={"min_items": 1})
    palette: Optional[List[List[int]]] = field(default=None, metadata={"omit_none": True, "nullable": True})
    tiling: Optional[TilingSpec] = field(default=None, metadata={"omit_none": True, "nullable": True})
    detection: Optional[DetectionSpec] = field(default=None, metadata={"omit_none": True, "nullable": True})
    weights: WeightsInfo
    export: ExportInfo

    def __post_init__(self) -> None:
        self.num_classes = None if self.labels is None else len(self.labels)
        self.validate()

    def validate(self) -> None:
        """Raises MetadataError when a field is outside the schema."""
        _require(self.format == FORMAT, f"format must be {FORMAT!r}")
        _require(self.format_version == FORMAT_VERSION, f"formatVersion must be {FORMAT_VERSION}")
        _require(self.task in TASKS, f"task {self.task!r} not in {TASKS}")
        _require(self.label_set is None or self.label_set in LABEL_SETS, f"labelSet {self.label_set!r} unknown")
        _require((self.labels is None) == (self.label_set is None), "labels and labelSet must be given together")
        _require(self.task != "classification" or bool(self.labels), "a classification model needs labels")
        _require(self.input.dtype in DTYPES and self.export.dtype == self.input.dtype,
                 "input.dtype and export.dtype must agree and be float32 or float16")
        _require(len(self.input.mean) == len(self.input.std) == self.input.channels,
                 "mean/std need one value per channel")
        _require(self.input.color_order in COLOR_ORDERS, "colorOrder must be RGB or BGR")
        _require(self.weights.source in WEIGHT_SOURCES, "weights.source unknown")
        _require(self.export.method in EXPORT_METHODS, "export.method must be script, trace or aoti")
        _require(bool(self.outputs), "at least one output")
        if self.palette is not None:
            _require(all(len(c) == 3 and all(isinstance(v, int) and 0 <= v <= 255 for v in c) for c in self.palette),
                     "palette must hold [r, g, b] triples of integers 0..255")
            _require(self.labels is not None and len(self.palette) == len(self.labels),
                     "palette must have one colour per label")
        _require(self.tiling is not None or self.task not in TILED_TASKS, f"tiling must be given for task {self.task}")
        if self.tiling is not None:
            t = self.tiling
            _require(min(t.default_tile_size, t.tile_multiple, t.min_tile_size) >= 1 and t.default_overlap >= 0,
                     "tiling sizes must be positive integers and the overlap non-negative")
        _require((self.detection is not None) == (self.task == "rotated-detection"),
                 "detection must be given for task rotated-detection and only there")
        if self.detection is not None:
            _validate_detection(self.detection)

    # --- JSON ------------------------------------------------------------------------------
    def to_dict(self) -> Dict[str, Any]:
        return _to_json_value(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False)

    @classmethod
    def from_dict(cls, data: Dict[str, Any]) -> "ModelMetadata":
        """Parses the JSON object; keys added by a newer minor exporter are ignored."""
        try:
            _require(data.get("format") == FORMAT, f"format must be {FORMAT!r}")
            _require(data.get("formatVersion") == FORMAT_VERSION,
                     f"unsupported formatVersion {data.get('formatVersion')!r} (expected {FORMAT_VERSION})")
            inp = data["input"]
            meta = cls(
                task=data["task"], model=data["model"], variant=data["variant"],
                label_set=data["labelSet"], labels=data["labels"],
                input=InputSpec(
                    mean=list(inp["mean"]), std=list(inp["std"]),
                    size=_size_from(inp["size"]), resize=_resize_from(inp["resize"]),
                    channels=inp["channels"], layout=inp["layout"], dtype=inp["dtype"],
                    color_order=inp["colorOrder"], value_scale=inp["valueScale"]),
                outputs=[OutputSpec(name=o["name"], kind=o["kind"], shape=list(o["shape"])) for o in data["outputs"]],
                palette=None if data.get("palette") is None else [list(c) for c in data["palette"]],
                tiling=None if data.get("tiling") is None else TilingSpec(**_known(TilingSpec, data["tiling"])),
                detection=None if data.get("detection") is None else _detection_from(data["detection"]),
                weights=WeightsInfo(**_known(WeightsInfo, data["weights"])),
                export=ExportInfo(**_known(ExportInfo, data["export"])))
        except (KeyError, TypeError) as err:
            raise MetadataError(f"metadata.json is missing or has a malformed field: {err}") from None
        _require(data.get("numClasses") == meta.num_classes, "numClasses must equal len(labels)")
        return meta

    @classmethod
    def from_json(cls, text: Union[str, bytes]) -> "ModelMetadata":
        try:
            data = json.loads(text)
        except ValueError as err:
            raise MetadataError(f"metadata.json is not valid JSON: {err}") from None
        _require(isinstance(data, dict), "metadata.json must hold an object")
        return cls.from_dict(data)


def _validate_detection(d: DetectionSpec) -> None:
    def probability(v: Any) -> bool:
        return isinstance(v, (int, float)) and not isinstance(v, bool) and 0 <= v <= 1

    def positive(v: Any) -> bool:
        return isinstance(v, int) and not isinstance(v, bool) and v >= 1

    _require(d.angle_convention in ANGLE_CONVENTIONS, f"detection.angleConvention must be one of {ANGLE_CONVENTIONS}")
    _require(d.box_format in BOX_FORMATS, f"detection.boxFormat must be one of {BOX_FORMATS}")
    _require(probability(d.score_threshold) and probability(d.nms_iou_threshold),
             "detection.scoreThreshold and nmsIouThreshold must be numbers from 0 to 1")
    _require(positive(d.max_per_image), "detection.maxPerImage must be a positive integer")
    _require(isinstance(d.rpn, RpnSpec), "detection.rpn must be an object")
    _require(positive(d.rpn.pre_nms_top_k) and positive(d.rpn.max_proposals),
             "detection.rpn.preNmsTopK and maxProposals must be positive integers")
    _require(probability(d.rpn.nms_iou_threshold), "detection.rpn.nmsIouThreshold must be a number from 0 to 1")


def _detection_from(data: Any) -> DetectionSpec:
    _require(isinstance(data, dict) and isinstance(data.get("rpn"), dict),
             "detection and detection.rpn must be objects")
    fields_ = _known(DetectionSpec, data)
    fields_["rpn"] = RpnSpec(**_known(RpnSpec, data["rpn"]))
    return DetectionSpec(**fields_)


def _require(ok: bool, what: str) -> None:
    if not ok:
        raise MetadataError(f"metadata is invalid: {what}")


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def _known(cls: type, data: Dict[str, Any]) -> Dict[str, Any]:
    """camelCase JSON object → constructor kwargs of ``cls`` (unknown keys dropped)."""
    names = {f.name for f in fields(cls) if f.init}
    snake = {re.sub(r"([A-Z])", lambda m: "_" + m.group(1).lower(), k): v for k, v in data.items()}
    return {k: v for k, v in snake.items() if k in names}


def _to_json_value(value: Any) -> Any:
    # Fields are declared in JSON order (kw_only dataclasses allow any order).
    if is_dataclass(value):
        return {_camel(f.name): _to_json_value(getattr(value, f.name)) for f in fields(value)
                if not (f.metadata.get("omit_none") and getattr(value, f.name) is None)}
    if isinstance(value, list):
        return [_to_json_value(v) for v in value]
    return value


def _size_from(data: Dict[str, Any]) -> Union[FixedSize, AnySize]:
    if data.get("rule") == "fixed":
        return FixedSize(height=data["height"], width=data["width"])
    if data.get("rule") == "any":
        return AnySize(min_height=data["minHeight"], min_width=data["minWidth"], padding=data.get("padding"),
                       multiple_of=data.get("multipleOf"))
    raise MetadataError(f"metadata is invalid: input.size.rule {data.get('rule')!r} unknown")


def _resize_from(data: Dict[str, Any]) -> Union[ShortSideCenterCrop, ResizeTo, NoResize]:
    mode = data.get("mode")
    if mode == "short-side-center-crop":
        return ShortSideCenterCrop(short_side=data["shortSide"], crop=data["crop"],
                                   interpolation=data["interpolation"])
    if mode == "resize":
        return ResizeTo(height=data["height"], width=data["width"], interpolation=data["interpolation"])
    if mode == "none":
        return NoResize()
    raise MetadataError(f"metadata is invalid: input.resize.mode {mode!r} unknown")


def read_metadata(path: Union[str, PathLike]) -> ModelMetadata:
    """Reads ``metadata.json`` from an exported archive without loading the model."""
    try:
        with zipfile.ZipFile(path) as archive:
            names = [n for n in archive.namelist() if n.endswith("/extra/" + METADATA_FILE)]
            if not names:
                raise MetadataError(f"{path} has no extra/{METADATA_FILE}: not exported by lwganet")
            text = archive.read(names[0])
    except zipfile.BadZipFile as err:
        raise MetadataError(f"{path} is not a TorchScript archive: {err}") from None
    return ModelMetadata.from_json(text)
