"""Export formats: the one table the export pipeline (export.py) and the CLI's ``--format`` read.

A format is an ``ExportFormat``: its name, the tasks its files can hold, whether the TorchScript
switches (``method``, ``dtype``, ``freeze``) mean anything to it, its own keyword options with
their defaults, and ``write(job, out)``, which gets the float32 eval-mode model and its complete
``ModelMetadata`` (an ``ExportJob``) and writes one file. Adding a format is one module with one
``FORMAT`` and one line in ``_MODULES`` below.
"""

import importlib
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, Mapping, Tuple

import torch
from torch import nn

from ..family import Family
from ..metadata import ModelMetadata

__all__ = ["ExportFormat", "ExportJob", "get_format", "format_names"]


@dataclass(frozen=True)
class ExportJob:
    """Everything a format writer needs: the model (float32, eval mode, weights loaded), what its
    metadata says, and the export's switches and format options."""

    name: str
    family: Family
    model: nn.Module
    metadata: ModelMetadata
    seed: int
    method: str
    dtype: str
    freeze: bool
    graph: str
    features_only: bool
    options: Mapping[str, Any]

    def example_inputs(self, dtype: torch.dtype) -> Tuple[torch.Tensor, ...]:
        return self.family.example_inputs(self.name, dtype, self.seed, self.features_only)


@dataclass(frozen=True)
class ExportFormat:
    """One export format.

    Attributes:
        name: the ``format=`` / ``--format`` value.
        description: one line for the CLI's help.
        write: writes ``out`` and returns what ``export`` returns (the metadata, or the
            format's own description).
        tasks: metadata tasks its files can hold (others are refused before any work).
        torchscript_switches: True if ``method``, ``dtype`` and ``freeze`` apply to it.
        options: its keyword options and their defaults (``size`` for ONNX).
        summary: the CLI's "wrote …" line from what ``write`` returned.
        refusal: why the tasks it leaves out are left out (said when one is asked for).
    """

    name: str
    description: str
    write: Callable[[ExportJob, Any], Any]
    summary: Callable[[Any], str]
    tasks: Tuple[str, ...] = ("classification", "features", "segmentation", "change-detection", "rotated-detection")
    torchscript_switches: bool = True
    options: Dict[str, Any] = field(default_factory=dict)
    check: Callable[[Mapping[str, Any]], None] = lambda options: None
    refusal: str = ""


# name → module holding its FORMAT; imported on first use (ONNX needs packages TorchScript does not).
_MODULES = {
    "torchscript": ".torchscript",
    "onnx": ".onnx",
    "pt2": ".pt2",
}


def format_names() -> Tuple[str, ...]:
    return tuple(_MODULES)


def get_format(name: str) -> ExportFormat:
    if name not in _MODULES:
        raise ValueError(f"format must be one of {format_names()}, got {name!r}")
    return importlib.import_module(_MODULES[name], __name__).FORMAT
