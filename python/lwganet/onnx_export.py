"""ONNX export of a classifier or its dense backbone, for other runtimes (onnxruntime-node in
bench/compare.mjs). lwganet-node itself loads the TorchScript exports (export.py).

Exporter: ``torch.onnx.export(dynamo=True)``, the torch.export-based one that torch 2.15 defaults
to (the TorchScript-based exporter is deprecated there and emits ~5× as many nodes). It needs the
``onnx`` and ``onnxscript`` packages (pinned for the project's own venv), imported only here.

The graph is exported for one square input side (``size``: torch.export fixes the spatial sizes,
the shear transforms and pools are specialised to them); the batch axis stays dynamic. GA12/D_GA
scatter their half-resolution result back to the max-pool argmax positions; ``max_unpool2d`` has
no ONNX operator, so the export always selects the "scatter" unpool formulation (zeros +
ScatterElements at the flat indices, ``layers.pool_unpool.scatter_unpool``), which is pure data
movement, equals ``max_unpool2d`` exactly and leaves the state_dict untouched.
"""

import json
import logging
import os
import warnings
from contextlib import contextmanager
from typing import Any, Dict, Iterator, Optional, Sequence, Union

import torch

from .backbone import MIN_INPUT_SIZE, set_formulation
from .graph import DEFAULT_GRAPH, prepare_graph
from .export import _created_at, build_model
from .models import DEFAULT_CFGS
from .registry import get_model_factory
from .version import __version__

__all__ = ["export_onnx", "ONNX_OPSET", "ONNX_METADATA_KEY", "ONNX_INPUT_NAME"]

ONNX_OPSET = 18
ONNX_METADATA_KEY = "lwganet"  # model-level metadata_props entry holding a JSON description
ONNX_INPUT_NAME = "input"
_FEATURE_NAMES = ["stage1", "stage2", "stage3", "stage4"]


def _require_packages() -> None:
    missing = []
    for name in ("onnx", "onnxscript"):
        try:
            __import__(name)
        except ImportError:
            missing.append(name)
    if missing:
        raise ImportError(f"ONNX export needs the Python packages {' and '.join(missing)}: "
                          "install them into the Python that runs the exporter: "
                          "python -m pip install onnx==1.23.2 onnxscript==0.7.2")


@contextmanager
def _exporter_quiet() -> Iterator[None]:
    """The exporter logs every torchvision op it cannot register and warns about ops we do not use."""
    logger = logging.getLogger("torch.onnx")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        logger.setLevel(level)


def export_onnx(model_name: str, out: Union[str, os.PathLike], weights: Optional[Union[str, os.PathLike]] = None,
                labels: Union[None, str, Sequence[str]] = None, seed: int = 0, features_only: bool = False,
                size: int = 224, graph: str = DEFAULT_GRAPH) -> Dict[str, Any]:
    """Writes ``out`` (.onnx, float32, input "input" of shape [N, 3, size, size]) and returns the
    description stored in its metadata (``metadata_props["lwganet"]``, JSON).

    Same arguments and the same weights as ``export_model`` for the same seed or checkpoint.
    Outputs: "logits" [N, classes], or "stage1".."stage4" for ``features_only``.
    """
    get_model_factory(model_name)  # fails early, with the list of names, on a typo
    if model_name not in DEFAULT_CFGS:  # segmentation, change detection, detection
        raise ValueError(f"ONNX export covers the classifiers and their dense backbone (--features), "
                         f"not the task model {model_name!r}")
    if isinstance(size, bool) or not isinstance(size, int) or size < MIN_INPUT_SIZE:
        raise ValueError(f"size must be an integer >= {MIN_INPUT_SIZE}, got {size!r}")
    _require_packages()

    model, label_set, names, info = build_model(model_name, weights=weights, labels=labels, seed=seed,
                                                features_only=features_only)
    set_formulation(model, unpool="scatter")
    # The same formulations as the TorchScript export of `graph`, so runtimes compare like for like.
    prepare_graph(model, graph, channels_last=False)
    outputs = list(_FEATURE_NAMES) if features_only else ["logits"]
    # Batch 2, not 1: torch.export specialises dimensions of size 1 to constants.
    example = torch.randn(2, 3, size, size, generator=torch.Generator().manual_seed(seed))
    batch = torch.export.Dim("N", min=1)
    with torch.no_grad(), _exporter_quiet():
        program = torch.onnx.export(model, (example,), dynamo=True, opset_version=ONNX_OPSET,
                                    input_names=[ONNX_INPUT_NAME], output_names=outputs,
                                    dynamic_shapes=({0: batch},), verbose=False)
    description = {
        "format": "lwganet-onnx", "model": model_name, "task": "features" if features_only else "classification",
        "labelSet": label_set, "labels": None if names is None else list(names),
        "input": {"name": ONNX_INPUT_NAME, "shape": ["N", 3, size, size], "dtype": "float32"},
        "outputs": outputs, "weights": {"source": info.source, "seed": info.seed, "file": info.file,
                                        "sha256": info.sha256},
        "export": {"torchVersion": torch.__version__.split("+")[0], "lwganetVersion": __version__,
                   "exporter": "torch.onnx.export(dynamo=True)", "opset": ONNX_OPSET, "unpool": "scatter", "graph": graph,
                   "createdAt": _created_at()},
    }
    program.model.metadata_props[ONNX_METADATA_KEY] = json.dumps(description)
    program.save(str(out))
    return description
