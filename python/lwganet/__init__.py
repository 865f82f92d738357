"""lwganet: LWGANet L0/L1/L2 for lwganet-node — models, official-checkpoint loading, export.

Public API (stable; other tools call it exactly so):
    create_model(name, num_classes=1000, labels=None, features_only=False)
    list_models()
    load_checkpoint(model, path_or_state, strict=True)
    export_model(model_name, out, weights=None, labels=None, seed=0, freeze=False,
                 dtype="float32", method="script", features_only=False)
    read_metadata(path)
"""

__version__ = "0.1.0"

from .backbone import FORMULATIONS, set_formulation  # noqa: E402  (after __version__: export uses it)
from .checkpoint import CheckpointError, LoadReport, load_checkpoint  # noqa: E402
from .complexity import count_flops, count_parameters  # noqa: E402
from .export import export_model, load_exported  # noqa: E402
from .labels import get_labels, list_label_sets  # noqa: E402
from .metadata import MetadataError, ModelMetadata, read_metadata  # noqa: E402
from .models import create_model  # noqa: E402
from .registry import list_models  # noqa: E402

__all__ = [
    "create_model", "list_models", "load_checkpoint", "export_model", "read_metadata", "load_exported",
    "CheckpointError", "LoadReport", "MetadataError", "ModelMetadata", "get_labels", "list_label_sets",
    "count_parameters", "count_flops", "set_formulation", "FORMULATIONS", "__version__",
]
