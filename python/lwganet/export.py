"""Export a registered model to the TorchScript archive the Node package loads.

The archive is a standard ``torch.jit.save`` zip with one extra file, ``metadata.json``
(see metadata.py). Default method: ``torch.jit.script`` — our modules are written to script,
which keeps size-dependent branches (tiny-map BlurPool padding) correct at every input size;
``trace`` is available and recorded in the metadata when used.
"""

import hashlib
import os
import re
import warnings
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator, Optional, Sequence, Tuple, Union

import torch
from torch import nn

from .backbone import MIN_INPUT_SIZE, SIZE_RULE, VARIANTS
from .checkpoint import LoadReport, load_checkpoint, read_state_dict
from .graph import DEFAULT_GRAPH, prepare_graph
from .labels import resolve_labels
from .metadata import (METADATA_FILE, AnySize, ExportInfo, FixedSize, InputSpec, ModelMetadata,
                       NoResize, OutputSpec, ShortSideCenterCrop, WeightsInfo)
from .models import DEFAULT_CFGS, create_model
from .registry import get_model_factory
from .version import __version__

__all__ = ["export_model", "load_exported", "build_model", "build_metadata", "EXPORT_METHODS", "EXPORT_DTYPES"]

EXPORT_METHODS = ("script", "trace")
EXPORT_DTYPES = {"float32": torch.float32, "float16": torch.float16}
_HEAD_WEIGHT = re.compile(r"^((module|backbone|net)\.)*head\.weight$")
_TRACE_SIZE = 224


@contextmanager
def _jit_quiet() -> Iterator[None]:
    """torch >= 2.10 marks every torch.jit entry point deprecated; TorchScript is still the
    format LibTorch loads, so that warning is noise for this tool."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r"`torch\.jit\.", category=FutureWarning)
        yield


def _created_at() -> str:
    # SOURCE_DATE_EPOCH (reproducible-builds convention) pins the timestamp for byte-identical exports.
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    moment = datetime.fromtimestamp(int(epoch), timezone.utc) if epoch else datetime.now(timezone.utc)
    return moment.replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def build_metadata(model_name: str, features_only: bool, label_set: Optional[str],
                   labels: Optional[Sequence[str]], weights: WeightsInfo, method: str, frozen: bool,
                   dtype: str, graph: str) -> ModelMetadata:
    """Metadata of an export; preprocessing values come from the model's DEFAULT_CFGS entry."""
    cfg = DEFAULT_CFGS[model_name]
    if features_only:
        size, resize = AnySize(min_height=MIN_INPUT_SIZE, min_width=MIN_INPUT_SIZE, padding=SIZE_RULE), NoResize()
        outputs = [OutputSpec(name=f"stage{i + 1}", kind="features",
                              shape=["N", ch, f"H/{4 << i}", f"W/{4 << i}"])
                   for i, ch in enumerate(VARIANTS[cfg.variant].widths)]
    else:
        height, width = cfg.input_size
        size = FixedSize(height=height, width=width)
        resize = ShortSideCenterCrop(short_side=cfg.resize_short_side, crop=height, interpolation=cfg.interpolation)
        outputs = [OutputSpec(name="logits", kind="logits", shape=["N", len(labels or ())])]
    return ModelMetadata(
        task="features" if features_only else "classification",
        model=model_name, variant=cfg.variant,
        label_set=label_set, labels=None if labels is None else list(labels),
        input=InputSpec(dtype=dtype, color_order=cfg.color_order, value_scale=cfg.value_scale,
                        mean=list(cfg.mean), std=list(cfg.std), size=size, resize=resize),
        outputs=outputs, weights=weights,
        export=ExportInfo(torch_version=torch.__version__.split("+")[0], lwganet_version=__version__,
                          method=method, frozen=frozen, dtype=dtype, created_at=_created_at(), graph=graph))


def _preview(keys: Sequence[str], count: int = 3) -> str:
    return "(" + ", ".join(keys[:count]) + (", …" if len(keys) > count else "") + ")" if keys else ""


def _weights_info(weights: Optional[Union[str, os.PathLike]], report: Optional[LoadReport], seed: int) -> WeightsInfo:
    """Provenance of the exported weights, shared by every exporter: a seeded init, or a
    checkpoint (with a warning naming checkpoint keys not used and model entries not loaded)."""
    if weights is None or report is None:
        return WeightsInfo(source="random-init", seed=seed)
    if report.ignored or report.kept_default:
        warnings.warn(f"{Path(weights).name}: {len(report.ignored)} checkpoint keys not used "
                      f"{_preview(report.ignored)}; {len(report.kept_default)} model entries keep their "
                      f"initial values {_preview(report.kept_default)}", stacklevel=4)
    return WeightsInfo(source="checkpoint", file=Path(weights).name, sha256=_sha256(Path(weights)))


def _choose_labels(labels: Union[None, str, Sequence[str]], head_classes: Optional[int]
                   ) -> Tuple[str, Sequence[str]]:
    label_set, names = resolve_labels(labels)
    if names is None:
        if head_classes not in (None, 1000):
            raise ValueError(f"the checkpoint has a {head_classes}-class head: pass labels "
                             "(a label-set name or a file with one class name per line)")
        label_set, names = resolve_labels("imagenet-1k")
    if head_classes is not None and head_classes != len(names):
        raise ValueError(f"labels {label_set!r} have {len(names)} classes but the checkpoint head has {head_classes}")
    return label_set, names


def _convert(model: nn.Module, method: str, dtype: torch.dtype, seed: int) -> torch.jit.ScriptModule:
    with _jit_quiet():
        if method == "script":
            return torch.jit.script(model)
        generator = torch.Generator().manual_seed(seed)
        example = torch.randn(1, 3, _TRACE_SIZE, _TRACE_SIZE, generator=generator).to(dtype)
        # torch's own check_trace re-traces and runs the optimising executor (~10 s for L0);
        # one eager-vs-traced comparison on the example is the check that matters here.
        with torch.no_grad(), torch.jit.optimized_execution(False):
            traced = torch.jit.trace(model, example, check_trace=False)
            got, want = traced(example), model(example)
        pairs = zip(got, want, strict=True) if isinstance(want, tuple) else [(got, want)]
        if not all(torch.equal(a, b) for a, b in pairs):
            raise RuntimeError("the traced graph does not reproduce the eager model; export with method='script'")
        return traced


def build_model(model_name: str, weights: Optional[Union[str, os.PathLike]] = None,
                labels: Union[None, str, Sequence[str]] = None, seed: int = 0, features_only: bool = False
                ) -> Tuple[nn.Module, Optional[str], Optional[Sequence[str]], WeightsInfo]:
    """The float32 eval-mode model an export of ``model_name`` holds (classifier or dense backbone):
    checkpoint weights, or the default initialisation drawn after ``torch.manual_seed(seed)``.
    Shared by the TorchScript and ONNX exporters, so both files of one seed carry the same weights.

    Returns (model, label set, class names, weights info); the label fields are None for features.
    """
    if features_only and labels is not None:
        raise ValueError("a features export has no classifier: labels do not apply")
    state = read_state_dict(weights) if weights is not None else None
    label_set: Optional[str] = None
    names: Optional[Sequence[str]] = None
    if not features_only:
        head = [v.shape[0] for k, v in (state or {}).items() if _HEAD_WEIGHT.match(k)]
        label_set, names = _choose_labels(labels, head[0] if head else None)

    torch.manual_seed(seed)
    if features_only:
        model = create_model(model_name, features_only=True)
    else:
        model = create_model(model_name, labels=names)
    report = load_checkpoint(model, weights, strict=True) if state is not None else None
    return model.eval(), label_set, names, _weights_info(weights, report, seed)


def export_model(model_name: str, out: Union[str, os.PathLike], weights: Optional[Union[str, os.PathLike]] = None,
                 labels: Union[None, str, Sequence[str]] = None, seed: int = 0, freeze: bool = False,
                 dtype: str = "float32", method: str = "script", features_only: bool = False,
                 graph: str = DEFAULT_GRAPH) -> ModelMetadata:
    """Writes ``out`` (TorchScript + metadata.json) and returns the metadata written.

    Args:
        model_name: a registered name (``list_models()``).
        out: archive path to write.
        weights: checkpoint file; without it the weights are the default initialisation drawn
            after ``torch.manual_seed(seed)`` (deterministic), recorded as "random-init".
        labels: label-set name, list of names, or a names file. Default: imagenet-1k for
            classifiers (an error if the checkpoint head is not 1000-wide); for detectors the
            checkpoint's meta.CLASSES or its K, else dota-v1.0.
        seed: seed of the random initialisation.
        freeze: apply ``torch.jit.freeze`` (inlines weights, folds constants).
        dtype: "float32" or "float16" weights and input.
        method: "script" (default) or "trace" (traced at 1×3×224×224).
        features_only: export the dense backbone (four feature maps) instead of the classifier.
        graph: "fast" (default) or "official" op formulations and weight layout (graph.py).
    """
    get_model_factory(model_name)  # fails early, with the list of names, on a typo
    # tasks.py and detection/export.py import this module: import them late.
    from .detection.export import DETECTION_CFGS, export_detection
    from .tasks import DENSE_CFGS, export_dense
    if model_name in DENSE_CFGS:
        return export_dense(model_name, out, weights=weights, labels=labels, seed=seed, freeze=freeze,
                            dtype=dtype, method=method, features_only=features_only, graph=graph)
    if model_name in DETECTION_CFGS:
        return export_detection(model_name, out, weights=weights, labels=labels, seed=seed, freeze=freeze,
                                dtype=dtype, method=method, features_only=features_only, graph=graph)
    if method not in EXPORT_METHODS:
        raise ValueError(f"method must be one of {EXPORT_METHODS}, got {method!r}")
    if dtype not in EXPORT_DTYPES:
        raise ValueError(f"dtype must be one of {tuple(EXPORT_DTYPES)}, got {dtype!r}")
    model, label_set, names, info = build_model(model_name, weights=weights, labels=labels, seed=seed,
                                                features_only=features_only)
    model = prepare_graph(model.to(EXPORT_DTYPES[dtype]).eval(), graph)

    module = _convert(model, method, EXPORT_DTYPES[dtype], seed)
    if freeze:
        # freeze only. torch.jit.optimize_for_inference (measured with torch 2.15) bakes MKLDNN
        # constants that cannot be saved and loaded back ("required keyword attribute 'value'
        # is undefined"); the Node runtime applies it after loading instead.
        with _jit_quiet():
            module = torch.jit.freeze(module)

    metadata = build_metadata(model_name, features_only, label_set, names, info, method, freeze, dtype, graph)
    with _jit_quiet():
        torch.jit.save(module, str(out), _extra_files={METADATA_FILE: metadata.to_json()})
    return metadata


def load_exported(path: Union[str, os.PathLike]) -> Tuple[torch.jit.ScriptModule, ModelMetadata]:
    """Loads an exported archive and its metadata (the Python twin of the Node loader)."""
    from .detection import native_ops  # noqa: F401 (a detector's graph calls torch.ops.lwganet.*)
    extra = {METADATA_FILE: ""}
    with _jit_quiet():
        module = torch.jit.load(str(path), map_location="cpu", _extra_files=extra)
    return module, ModelMetadata.from_json(extra[METADATA_FILE])
