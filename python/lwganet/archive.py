"""What every exported file records about itself, whatever the model and the format: the
export provenance (``ExportInfo``), the weights' provenance (``WeightsInfo``), and the quiet
TorchScript calls. Imports nothing task-specific, so every family and format can use it.
"""

import hashlib
import os
import warnings
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator, Optional, Sequence, Union

import torch

from .checkpoint import LoadReport
from .metadata import ExportInfo, WeightsInfo
from .version import __version__

__all__ = ["EXPORT_METHODS", "EXPORT_DTYPES", "jit_quiet", "created_at", "torch_version", "export_info",
           "weights_info"]

EXPORT_METHODS = ("script", "trace")
EXPORT_DTYPES = {"float32": torch.float32, "float16": torch.float16}


@contextmanager
def jit_quiet() -> Iterator[None]:
    """torch >= 2.10 marks every torch.jit entry point deprecated; TorchScript is still the
    format LibTorch loads, so that warning is noise for this tool."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r"`torch\.jit\.", category=FutureWarning)
        yield


def created_at() -> str:
    """ISO-8601 UTC time of the export, to the second."""
    # SOURCE_DATE_EPOCH (reproducible-builds convention) pins the timestamp for byte-identical exports.
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    moment = datetime.fromtimestamp(int(epoch), timezone.utc) if epoch else datetime.now(timezone.utc)
    return moment.replace(microsecond=0).isoformat().replace("+00:00", "Z")


def torch_version() -> str:
    """The writing torch's version without the local build tag ("2.15.0", not "2.15.0+cpu")."""
    return torch.__version__.split("+")[0]


def export_info(method: str, frozen: bool, dtype: str, graph: str) -> ExportInfo:
    return ExportInfo(torch_version=torch_version(), lwganet_version=__version__, method=method, frozen=frozen,
                      dtype=dtype, created_at=created_at(), graph=graph)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _preview(keys: Sequence[str], count: int = 3) -> str:
    return "(" + ", ".join(keys[:count]) + (", …" if len(keys) > count else "") + ")" if keys else ""


def weights_info(weights: Optional[Union[str, os.PathLike]], report: Optional[LoadReport], seed: int) -> WeightsInfo:
    """Provenance of the exported weights: a seeded init, or a checkpoint (with a warning naming
    checkpoint keys not used and model entries not loaded)."""
    if weights is None or report is None:
        return WeightsInfo(source="random-init", seed=seed)
    if report.ignored or report.kept_default:
        warnings.warn(f"{Path(weights).name}: {len(report.ignored)} checkpoint keys not used "
                      f"{_preview(report.ignored)}; {len(report.kept_default)} model entries keep their "
                      f"initial values {_preview(report.kept_default)}", stacklevel=4)
    return WeightsInfo(source="checkpoint", file=Path(weights).name, sha256=_sha256(Path(weights)))
