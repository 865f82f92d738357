"""lwganet: LWGANet L0/L1/L2 for lwganet-node — models, official-checkpoint loading, export.

Public API (stable; other tools call it exactly so):
    create_model(name, num_classes=1000, labels=None, features_only=False)
    list_models()
    load_checkpoint(model, path_or_state, strict=True)
    export_model(model_name, out, weights=None, labels=None, seed=0, freeze=False,
                 dtype="float32", method="script", features_only=False)
    read_metadata(path)

Layout: one package per model family (classification, segmentation, change_detection,
detection), each with config, labels and family modules; registry.py lists the families;
build.py and export.py are the one builder and the one export pipeline; formats/ holds one
module per export format.
"""

from .backbone import FORMULATIONS, set_formulation
from .build import create_model
from .checkpoint import CheckpointError, LoadReport, load_checkpoint
from .complexity import count_flops, count_parameters
from .export import export, export_model, export_onnx, export_pt2, load_exported
from .labels import get_labels, list_label_sets
from .metadata import MetadataError, ModelMetadata, read_metadata
from .registry import list_models
from .version import __version__

__all__ = [
    "create_model", "list_models", "load_checkpoint", "export", "export_model", "export_onnx", "export_pt2", "read_metadata",
    "load_exported", "CheckpointError", "LoadReport", "MetadataError", "ModelMetadata", "get_labels",
    "list_label_sets", "count_parameters", "count_flops", "set_formulation", "FORMULATIONS", "__version__",
]
