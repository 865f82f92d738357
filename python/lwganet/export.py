"""The one export pipeline: every registered model, every format.

``export`` finds the model's family in the registry and the format in ``formats``, checks the
request, builds the model (build.py), completes its metadata from the family's ``describe`` hook
plus the shared weights and export provenance (archive.py), and hands both to the format's
writer. ``export_model`` (TorchScript) and ``export_onnx`` are its two spellings with the
arguments each format takes.
"""

import os
from typing import Any, Optional, Sequence, Tuple, Union

import torch

from .archive import EXPORT_DTYPES, EXPORT_METHODS, export_info, jit_quiet
from .build import build_model
from .family import Labels
from .formats import ExportJob, get_format
from .graph import DEFAULT_GRAPH, GRAPHS
from .metadata import METADATA_FILE, ModelMetadata, WeightsInfo
from .registry import get_entry

__all__ = ["export", "export_model", "export_onnx", "export_pt2", "build_metadata", "load_exported", "EXPORT_METHODS", "EXPORT_DTYPES"]

PathLike = Union[str, os.PathLike]


def export(model_name: str, out: PathLike, format: str = "torchscript", weights: Union[None, PathLike] = None,
           labels: Labels = None, seed: int = 0, freeze: bool = False, dtype: str = "float32",
           method: str = "script", features_only: bool = False, graph: str = DEFAULT_GRAPH, **options: Any) -> Any:
    """Writes ``out`` in ``format`` and returns what the format's writer returns (the metadata
    written, for TorchScript). ``options`` are the format's own (``size`` for ONNX)."""
    entry = get_entry(model_name)  # fails early, with the list of names, on a typo
    fmt = get_format(format)
    task = "features" if features_only else entry.family.task
    if task not in fmt.tasks:
        raise ValueError(f"{fmt.name} export covers {', '.join(fmt.tasks)} models, not the task model {model_name!r}"
                         + (f": {fmt.refusal}" if fmt.refusal else ""))
    unknown = sorted(set(options) - set(fmt.options))
    if unknown:
        raise TypeError(f"{fmt.name} export takes no option {', '.join(unknown)}")
    options = {**fmt.options, **options}
    if method not in EXPORT_METHODS:
        raise ValueError(f"method must be one of {EXPORT_METHODS}, got {method!r}")
    if dtype not in EXPORT_DTYPES:
        raise ValueError(f"dtype must be one of {tuple(EXPORT_DTYPES)}, got {dtype!r}")
    if graph not in GRAPHS:
        raise ValueError(f"graph must be one of {GRAPHS}, got {graph!r}")
    entry.family.check_export(model_name, method, dtype, features_only)
    fmt.check(options)

    built = build_model(model_name, weights=weights, labels=labels, seed=seed, features_only=features_only)
    metadata = build_metadata(model_name, built.label_set, built.labels, built.weights, method=method, frozen=freeze,
                              dtype=dtype, graph=graph, features_only=features_only)
    job = ExportJob(name=model_name, family=entry.family, model=built.model, metadata=metadata, seed=seed,
                    method=method, dtype=dtype, freeze=freeze, graph=graph, features_only=features_only,
                    options=options)
    return fmt.write(job, out)


def build_metadata(model_name: str, label_set: Optional[str], labels: Optional[Sequence[str]], weights: WeightsInfo,
                   method: str = "script", frozen: bool = False, dtype: str = "float32", graph: str = DEFAULT_GRAPH,
                   features_only: bool = False) -> ModelMetadata:
    """The metadata an export of ``model_name`` writes: the family's ``describe`` hook plus the
    weights' and the export's provenance."""
    entry = get_entry(model_name)
    described = entry.family.describe(model_name, label_set, labels, dtype, method, features_only)
    return ModelMetadata(model=model_name, variant=entry.cfg.variant, label_set=label_set,
                         labels=None if labels is None else list(labels), weights=weights,
                         export=export_info(method, frozen, dtype, graph), **described)


def export_model(model_name: str, out: PathLike, weights: Union[None, PathLike] = None, labels: Labels = None,
                 seed: int = 0, freeze: bool = False, dtype: str = "float32", method: str = "script",
                 features_only: bool = False, graph: str = DEFAULT_GRAPH) -> ModelMetadata:
    """Writes ``out`` (TorchScript + metadata.json) and returns the metadata written.

    Args:
        model_name: a registered name (``list_models()``).
        out: archive path to write.
        weights: checkpoint file; without it the weights are the default initialisation drawn
            after ``torch.manual_seed(seed)`` (deterministic), recorded as "random-init".
        labels: label-set name, list of names, or a names file. Default: what the checkpoint's
            head implies, else the model's default set (imagenet-1k for classifiers, uavid for
            segmentation, binary-change, dota-v1.0 for detectors).
        seed: seed of the random initialisation.
        freeze: apply ``torch.jit.freeze`` (inlines weights, folds constants).
        dtype: "float32" or "float16" weights and input.
        method: "script" (default) or "trace" (traced at the family's example size).
        features_only: export the dense backbone (four feature maps) instead of the classifier.
        graph: "fast" (default) or "official" op formulations and weight layout (graph.py).
    """
    return export(model_name, out, format="torchscript", weights=weights, labels=labels, seed=seed, freeze=freeze,
                  dtype=dtype, method=method, features_only=features_only, graph=graph)


def export_onnx(model_name: str, out: PathLike, weights: Union[None, PathLike] = None, labels: Labels = None,
                seed: int = 0, features_only: bool = False, size: int = 224, graph: str = DEFAULT_GRAPH) -> dict:
    """Writes ``out`` (.onnx, float32, input "input" of shape [N, 3, size, size]) and returns the
    description stored in its metadata (``metadata_props["lwganet"]``, JSON). Same weights as
    ``export_model`` for the same seed or checkpoint; classifiers and ``features_only`` only."""
    return export(model_name, out, format="onnx", weights=weights, labels=labels, seed=seed,
                  features_only=features_only, graph=graph, size=size)


def export_pt2(model_name: str, out: PathLike, sizes: Sequence[Union[int, str]] = (), batches: Sequence[int] = (1,),
               features_only: bool = False, dynamic: bool = False, weights: Union[None, PathLike] = None,
               labels: Labels = None, seed: int = 0, graph: str = DEFAULT_GRAPH) -> Tuple[ModelMetadata, dict]:
    """Writes ``out`` (.pt2, an AOTInductor package for the CPU: one compiled entry per (size,
    batch) pair, plus a dynamic one if asked) and returns (metadata, entry name → its AOTInductor
    metadata). ``sizes``: S or "HxW" each; empty means the model's input size or default tile."""
    return export(model_name, out, format="pt2", weights=weights, labels=labels, seed=seed,
                  features_only=features_only, graph=graph, sizes=list(sizes) or None, batches=list(batches),
                  dynamic=dynamic)


def load_exported(path: PathLike) -> Tuple[torch.jit.ScriptModule, ModelMetadata]:
    """Loads an exported archive and its metadata (the Python twin of the Node loader)."""
    from .detection import native_ops  # noqa: F401 (a detector's graph calls torch.ops.lwganet.*)
    extra = {METADATA_FILE: ""}
    with jit_quiet():
        module = torch.jit.load(str(path), map_location="cpu", _extra_files=extra)
    return module, ModelMetadata.from_json(extra[METADATA_FILE])
