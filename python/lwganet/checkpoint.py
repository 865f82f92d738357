"""Safe, strict loading of official and task checkpoints into our models.

A checkpoint file is unpickled with ``torch.load(weights_only=True)`` (no code from the file
ever runs), then checked to hold only tensors, plain containers and numeric numpy scalars
(mmcv writes its best-score bookkeeping into ``meta`` as numpy scalars). The state_dict is found
inside the usual wrappers, known key prefixes are removed, and the keys are compared with the
model's: every missing, unexpected or wrong-shaped key is listed in one error.
"""

import argparse
import pickle
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path
from typing import Any, Dict, List, Mapping, Tuple, Union

import torch
from torch import nn

__all__ = ["CheckpointError", "LoadReport", "load_checkpoint", "read_checkpoint", "read_state_dict",
           "unwrap_state_dict", "WRAPPER_KEYS", "KEY_PREFIXES"]

# Where training scripts put the weights: upstream saves {'model', 'optimizer', 'epoch'};
# mmcv/mmdet-style, timm-style and Lightning files use 'state_dict'; CLAFA saves 'network'.
WRAPPER_KEYS = ("model", "state_dict", "network")
# DataParallel/DDP ('module.'), task models ('backbone.'), GeoSeg-style wrappers ('net.').
KEY_PREFIXES = ("module.", "backbone.", "net.")
# Keys a classification checkpoint has and the dense backbone does not use.
_HEAD_PREFIXES = ("avgpool_pre_head.", "head.")
_DENSE_NORMS = ("norm0.", "norm2.", "norm4.", "norm6.")
_PLAIN = (str, int, float, bool, bytes, type(None))
_MAX_LISTED = 20  # per category, so a wrong-variant error stays readable

StateDict = Dict[str, torch.Tensor]
Source = Union[str, PathLike, Mapping[str, Any]]


class CheckpointError(ValueError):
    """A checkpoint could not be read, is unsafe, or does not match the model."""


@dataclass
class LoadReport:
    """What ``load_checkpoint`` did.

    Attributes:
        loaded: keys copied into the model.
        ignored: checkpoint keys not used (e.g. a classifier head when loading a dense
            backbone, or the decoder of a task checkpoint).
        kept_default: model keys the checkpoint lacks that keep their initial value (the
            dense ``norm0/2/4/6`` when loading a classification checkpoint, as upstream).
        missing / unexpected / mismatched: only filled with ``strict=False``.
    """

    loaded: List[str] = field(default_factory=list)
    ignored: List[str] = field(default_factory=list)
    kept_default: List[str] = field(default_factory=list)
    missing: List[str] = field(default_factory=list)
    unexpected: List[str] = field(default_factory=list)
    mismatched: List[str] = field(default_factory=list)


def _numpy_scalar_globals() -> List[Any]:
    """What the weights-only unpickler needs for numeric numpy scalars, and nothing more: the
    scalar constructor (under its numpy 1 and numpy 2 module names), ``numpy.dtype`` and the
    numeric dtype classes its state is set on. Object, string and structured dtypes (whose
    classes are not listed) stay refused."""
    try:
        import numpy
    except ImportError:
        return []
    core = getattr(numpy, "_core", None) or numpy.core
    scalar = core.multiarray.scalar
    return [(scalar, "numpy.core.multiarray.scalar"), (scalar, "numpy._core.multiarray.scalar"), numpy.dtype] + \
        [type(numpy.dtype(kind)) for kind in _numpy_kinds(numpy)]


def _numpy_kinds(numpy: Any) -> Tuple[type, ...]:
    return (numpy.bool_, numpy.int8, numpy.int16, numpy.int32, numpy.int64, numpy.uint8, numpy.uint16,
            numpy.uint32, numpy.uint64, numpy.float16, numpy.float32, numpy.float64)


def _numpy_scalar_types() -> Tuple[type, ...]:
    try:
        import numpy
    except ImportError:
        return ()
    return _numpy_kinds(numpy)


def _safe_load(path: Path) -> Any:
    if not path.is_file():
        raise FileNotFoundError(f"checkpoint not found: {path}")
    try:
        # argparse.Namespace is plain data; training scripts often store their args in it.
        with torch.serialization.safe_globals([argparse.Namespace] + _numpy_scalar_globals()):
            return torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as err:
        # The weights-only unpickler names the class or function a file wants to import on a
        # "GLOBAL" line (or the class it refuses to build, "Can only build"); any other
        # unpickling failure is a damaged file.
        refused = [line.strip() for line in str(err).splitlines() if "GLOBAL" in line or "Can only build" in line]
        if refused:
            raise CheckpointError(
                f"Checkpoint {path} was refused: it contains objects other than tensors and plain "
                f"containers, and loading it would run code from the file ({refused[0]})") from None
        raise CheckpointError(f"Checkpoint {path} is not a readable PyTorch checkpoint (truncated or "
                              f"corrupt?): {_last_line(err)}") from None
    except Exception as err:  # zip/pickle readers raise RuntimeError, EOFError, ValueError…
        raise CheckpointError(f"Checkpoint {path} is not a readable PyTorch checkpoint "
                              f"(truncated or corrupt?): {type(err).__name__}: {_last_line(err)}") from None


def _last_line(err: Exception) -> str:
    """The informative line of torch's long multi-paragraph load errors."""
    lines = [line.strip() for line in str(err).splitlines()
             if line.strip() and not line.startswith(("Check the documentation", "Please file"))]
    specific = [line for line in lines if "WeightsUnpickler" in line or "Unsupported" in line]
    return (specific or lines or [type(err).__name__])[-1]


def _check_plain(obj: Any, where: str) -> None:
    """Rejects anything but tensors, plain scalars (numeric numpy ones included) and
    dict/list/tuple/Namespace containers."""
    if isinstance(obj, (torch.Tensor,) + _PLAIN + _numpy_scalar_types()):
        return
    if isinstance(obj, Mapping):
        for key, value in obj.items():
            if not isinstance(key, _PLAIN):
                raise CheckpointError(f"checkpoint has a non-plain key of type {type(key).__name__} at {where}")
            _check_plain(value, f"{where}[{key!r}]")
    elif isinstance(obj, (list, tuple)):
        for i, value in enumerate(obj):
            _check_plain(value, f"{where}[{i}]")
    elif isinstance(obj, argparse.Namespace):
        _check_plain(vars(obj), where)
    else:
        raise CheckpointError(f"checkpoint holds a {type(obj).__module__}.{type(obj).__qualname__} at "
                              f"{where}; only tensors and plain containers are accepted")


def unwrap_state_dict(obj: Any) -> StateDict:
    """The state_dict inside a loaded (and checked) checkpoint object."""
    return _unwrap(obj)


def _unwrap(obj: Any) -> StateDict:
    for _ in range(3):  # e.g. {'state_dict': {'model': …}} at most
        if isinstance(obj, Mapping) and obj and all(isinstance(v, torch.Tensor) for v in obj.values()):
            return dict(obj)
        if not isinstance(obj, Mapping):
            break
        inner = next((obj[k] for k in WRAPPER_KEYS if isinstance(obj.get(k), Mapping)), None)
        if inner is None:
            break
        obj = inner
    keys = list(obj)[:10] if isinstance(obj, Mapping) else type(obj).__name__
    raise CheckpointError(f"no state_dict found in the checkpoint (looked for a mapping of tensors, "
                          f"bare or under {WRAPPER_KEYS}); top level: {keys}")


def read_checkpoint(source: Source) -> Any:
    """Safely reads a file (or takes a loaded object) and returns the whole checked object,
    wrappers and metadata included (e.g. mmcv's ``{'meta', 'state_dict', 'optimizer'}``)."""
    obj = source if isinstance(source, Mapping) else _safe_load(Path(source))
    _check_plain(obj, "checkpoint")
    return obj


def read_state_dict(source: Source) -> StateDict:
    """Safely reads a file (or takes a loaded object) and returns the unwrapped state_dict."""
    return _unwrap(read_checkpoint(source))


def _strip_prefixes(state: StateDict, model_keys: set) -> Tuple[StateDict, List[str]]:
    """Removes known prefixes. If only part of the file sits under a prefix (a task checkpoint:
    ``backbone.*`` plus a decoder), keeps that part and returns the other keys as ignored."""
    ignored: List[str] = []
    while state and not set(state) & model_keys:
        wrapper = next((p for p in KEY_PREFIXES if all(k.startswith(p) for k in state)), None)
        if wrapper is not None:  # every key wrapped: strip and look again
            state = {k[len(wrapper):]: v for k, v in state.items()}
            continue
        part = next((p for p in KEY_PREFIXES
                     if {k[len(p):] for k in state if k.startswith(p)} & model_keys), None)
        if part is None:
            break
        ignored += [k for k in state if not k.startswith(part)]
        state = {k[len(part):]: v for k, v in state.items() if k.startswith(part)}
    return state, ignored


def _describe(shape: torch.Size) -> str:
    return "[" + ", ".join(str(d) for d in shape) + "]"


def _listing(title: str, lines: List[str]) -> List[str]:
    if not lines:
        return []
    shown = [f"  {title}: {line}" for line in lines[:_MAX_LISTED]]
    if len(lines) > _MAX_LISTED:
        shown.append(f"  … and {len(lines) - _MAX_LISTED} more {title} keys")
    return shown


def load_checkpoint(model: nn.Module, path_or_state: Source, strict: bool = True) -> LoadReport:
    """Loads weights into ``model`` (in place) and returns a :class:`LoadReport`.

    Accepts a bare state_dict, ``{'model': …}`` or ``{'state_dict': …}``, with keys optionally
    prefixed by ``module.``, ``backbone.`` or ``net.``. A classification checkpoint loads into
    the dense backbone: its head keys are ignored and ``norm0/2/4/6`` keep their default
    initialisation (upstream behaviour); both are listed in the report. With ``strict=True`` any
    other difference raises :class:`CheckpointError` listing every key; with ``strict=False``
    matching keys are loaded and the rest reported.
    """
    origin = str(path_or_state) if not isinstance(path_or_state, Mapping) else "state_dict"
    expected = model.state_dict()
    state, ignored = _strip_prefixes(read_state_dict(path_or_state), set(expected))
    report = LoadReport(ignored=ignored)

    missing = [k for k in expected if k not in state]
    unexpected = [k for k in state if k not in expected]
    if all(k.startswith(_DENSE_NORMS) for k in missing) and all(k.startswith(_HEAD_PREFIXES) for k in unexpected) \
            and any(k.startswith(_HEAD_PREFIXES) for k in state):
        # Classification checkpoint → dense backbone: the accepted, reported difference.
        report.ignored += unexpected
        report.kept_default = missing
        missing, unexpected = [], []
    mismatched = [k for k in expected if k in state and state[k].shape != expected[k].shape]

    if strict and (missing or unexpected or mismatched):
        name = type(model).__name__
        lines = [f"Checkpoint {origin} does not match {name}: {len(missing)} missing, "
                 f"{len(unexpected)} unexpected, {len(mismatched)} with the wrong shape"]
        lines += _listing("missing", [f"{k} {_describe(expected[k].shape)}" for k in missing])
        lines += _listing("unexpected", [f"{k} {_describe(state[k].shape)}" for k in unexpected])
        lines += _listing("wrong shape", [f"{k}: checkpoint {_describe(state[k].shape)}, model "
                                          f"{_describe(expected[k].shape)}" for k in mismatched])
        raise CheckpointError("\n".join(lines))

    report.missing, report.unexpected, report.mismatched = missing, unexpected, mismatched
    usable = {k: v for k, v in state.items() if k in expected and k not in mismatched}
    model.load_state_dict(usable, strict=False)
    report.loaded = list(usable)
    return report
