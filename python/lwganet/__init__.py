"""lwganet: LWGANet L0/L1/L2 for lwganet-node — models, official-checkpoint loading, export.

Public API (stable; other tools call it exactly so):
    create_model(name, num_classes=1000, labels=None, features_only=False)
    list_models()
"""

from .backbone import FORMULATIONS, set_formulation
from .models import create_model
from .registry import list_models

__version__ = "0.1.0"

__all__ = ["create_model", "list_models", "set_formulation", "FORMULATIONS", "__version__"]
