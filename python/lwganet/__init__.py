"""lwganet: LWGANet L0/L1/L2 for lwganet-node — models, official-checkpoint loading, export.

Public API (stable; other tools call it exactly so):
    create_model(name, num_classes=1000, labels=None, features_only=False)
    list_models()
    load_checkpoint(model, path_or_state, strict=True)
    export_model(model_name, out, weights=None, labels=None, seed=0, freeze=False,
                 dtype="float32", method="script", features_only=False)
    read_metadata(path)
"""

from .backbone import FORMULATIONS, set_formulation
from .checkpoint import CheckpointError, LoadReport, load_checkpoint
from .complexity import count_flops, count_parameters
from .export import export_model, load_exported
from .labels import get_labels, list_label_sets
from .metadata import MetadataError, ModelMetadata, read_metadata
from .models import create_model
from .registry import list_models
from . import tasks  # registers the segmentation and change-detection models
from .detection import models as _detection_models  # noqa: F401 (registers the oriented detectors)
from .version import __version__

__all__ = [
    "create_model", "list_models", "load_checkpoint", "export_model", "read_metadata", "load_exported",
    "CheckpointError", "LoadReport", "MetadataError", "ModelMetadata", "get_labels", "list_label_sets",
    "count_parameters", "count_flops", "set_formulation", "FORMULATIONS", "__version__",
]
