"""mmrotate checkpoints of the oriented detectors.

The released files are mmcv ``save_checkpoint`` dicts, ``{'meta': {..., 'CLASSES': (...)},
'state_dict': {...}, 'optimizer': {...}}``, read with the package's safe loader (tensors, plain
containers and numeric numpy scalars only). The state_dict keys are the model's own
(``backbone.``, ``neck.``, ``rpn_head.``, ``roi_head.bbox_head.``) and load strictly; the class
names in ``meta.CLASSES`` fix, or are checked against, the label set.
"""

from dataclasses import dataclass
from typing import Any, List, Mapping, Optional, Sequence, Tuple, Union

from torch import nn

from ..checkpoint import CheckpointError, LoadReport, Source, StateDict, load_checkpoint, read_checkpoint, \
    unwrap_state_dict
from .labels import LABEL_SETS as DETECTION_LABEL_SETS
from ..labels import resolve_labels

__all__ = ["DetectionCheckpoint", "read_detection_checkpoint", "choose_detection_labels",
           "load_detection_checkpoint", "FC_CLS_WEIGHT"]

# Its rows are the K classes plus background (last): the checkpoint's K.
FC_CLS_WEIGHT = "roi_head.bbox_head.fc_cls.weight"
Labels = Union[None, str, Sequence[str]]


@dataclass
class DetectionCheckpoint:
    """A read checkpoint: the unwrapped state_dict, its K (None if it has no box head) and
    the class names its meta declares (None if absent)."""

    state: StateDict
    num_classes: Optional[int]
    classes: Optional[List[str]]


def _meta_classes(obj: Any) -> Optional[List[str]]:
    meta = obj.get("meta") if isinstance(obj, Mapping) else None
    classes = meta.get("CLASSES") if isinstance(meta, Mapping) else None
    if classes is None:
        return None
    if not isinstance(classes, (list, tuple)) or not all(isinstance(c, str) for c in classes):
        raise CheckpointError(f"checkpoint meta.CLASSES must be a list of class names, got {classes!r:.80}")
    return list(classes)


def read_detection_checkpoint(source: Source) -> DetectionCheckpoint:
    """Safely reads a detector checkpoint (a file or an already loaded object)."""
    obj = read_checkpoint(source)
    state = unwrap_state_dict(obj)
    head = next((v for k, v in state.items() if k.endswith(FC_CLS_WEIGHT)), None)
    num_classes = None if head is None or head.dim() != 2 else int(head.shape[0]) - 1
    return DetectionCheckpoint(state=state, num_classes=num_classes, classes=_meta_classes(obj))


def _known_set_of(names: Sequence[str]) -> Optional[str]:
    return next((name for name, known in DETECTION_LABEL_SETS.items() if list(known) == list(names)), None)


def _first_difference(a: Sequence[str], b: Sequence[str]) -> int:
    return next(i for i in range(max(len(a), len(b))) if i >= len(a) or i >= len(b) or a[i] != b[i])


def _at(names: Sequence[str], i: int) -> str:
    return repr(names[i]) if i < len(names) else "(none)"


def choose_detection_labels(labels: Labels, checkpoint: Optional[DetectionCheckpoint],
                            default: str) -> Tuple[str, List[str]]:
    """The (label set, class names) of a detector export.

    Given labels win but must agree with the checkpoint: K equal to the box head's, names
    equal to ``meta.CLASSES`` when the meta has them. Without labels they come from
    ``meta.CLASSES`` (a known set by name, else "custom"), else from K (15 → dota-v1.0, 16 →
    dota-v1.5), else ``default``.
    """
    k = checkpoint.num_classes if checkpoint is not None else None
    classes = checkpoint.classes if checkpoint is not None else None
    if labels is None:
        if classes is not None:
            label_set, names = _known_set_of(classes) or "custom", list(classes)
        elif k is not None:
            by_count = {len(v): name for name, v in DETECTION_LABEL_SETS.items()}
            if k not in by_count:
                raise ValueError(f"the checkpoint's box head has {k} classes and its meta names none: pass labels "
                                 "(a label-set name or a file with one class name per line)")
            label_set, names = resolve_labels(by_count[k])
        else:
            label_set, names = resolve_labels(default)
    else:
        label_set, names = resolve_labels(labels)
    if k is not None and k != len(names):
        raise ValueError(f"labels {label_set!r} have {len(names)} classes but the checkpoint's box head has {k}")
    if classes is not None and list(classes) != list(names):
        i = _first_difference(classes, names)
        raise ValueError(f"labels {label_set!r} do not match the checkpoint's meta.CLASSES: class {i} is "
                         f"{_at(names, i)} in the labels but {_at(classes, i)} in the checkpoint "
                         f"({len(names)} vs {len(classes)} classes)")
    return label_set, names


def load_detection_checkpoint(model: nn.Module, source: Union[Source, DetectionCheckpoint],
                              labels: Labels = None) -> Tuple[LoadReport, str, List[str]]:
    """Loads a detector checkpoint strictly and checks its classes; returns the load report
    and the resolved (label set, class names)."""
    checkpoint = source if isinstance(source, DetectionCheckpoint) else read_detection_checkpoint(source)
    label_set, names = choose_detection_labels(labels, checkpoint, "dota-v1.0")
    num_classes = getattr(model, "num_classes", None)
    if num_classes is not None and num_classes != len(names):
        raise ValueError(f"the model has {num_classes} classes but the labels {label_set!r} have {len(names)}")
    return load_checkpoint(model, checkpoint.state, strict=True), label_set, names
