"""Export of the oriented detectors: a scripted TorchScript archive with metadata.json.

``python -m lwganet export orcnn_lwganet_l2 --out F [--weights CKPT] [--labels SET] [--seed N]``
lands here through ``export_model``. The archive's ``forward(image)`` takes one normalised RGB
image (1, 3, H, W), any H, W ≥ the declared minimum, and returns ``{"boxes", "scores",
"labels"}`` (le90, input pixels, by descending score); its two NMS steps call
``torch.ops.lwganet.nms_aligned`` / ``nms_rotated``, which the Node addon provides natively.
Only ``method="script"`` works (the proposal and NMS stages are data-dependent) and only
float32 (the rotated-IoU arithmetic is not meant for float16).
"""

from pathlib import Path
from typing import Optional, Sequence, Union

import torch

from ..complexity import count_parameters
from ..detection_labels import detection_palette
from ..export import EXPORT_DTYPES, EXPORT_METHODS, _created_at, _jit_quiet, _weights_info
from ..graph import DEFAULT_GRAPH, prepare_graph
from ..metadata import (METADATA_FILE, AnySize, DetectionSpec, ExportInfo, InputSpec, ModelMetadata, NoResize,
                        OutputSpec, RpnSpec, WeightsInfo)
from ..version import __version__
from .checkpoint import choose_detection_labels, load_detection_checkpoint, read_detection_checkpoint
from .models import (DETECTION_CFGS, DETECTION_MEAN, DETECTION_STD, DETECTION_TILING, MIN_DETECTION_SIZE,
                     build_detector)
from .orcnn import DEFAULT_THRESHOLDS, count_by_part

__all__ = ["export_detection", "build_detection_metadata", "detection_spec", "detection_info", "DETECTION_PADDING"]

DETECTION_PADDING = ("inputs whose sides are not multiples of 32 are zero-padded at the bottom/right (after "
                     "normalisation) inside the model; box centres are clamped to the unpadded H x W")


def detection_spec() -> DetectionSpec:
    """The thresholds the model applies, from the one place they are declared (orcnn.py)."""
    t = DEFAULT_THRESHOLDS
    return DetectionSpec(angle_convention="le90", box_format="cx,cy,w,h,angle", score_threshold=t.score_threshold,
                         nms_iou_threshold=t.nms_iou, max_per_image=t.max_per_image,
                         rpn=RpnSpec(pre_nms_top_k=t.rpn_pre_nms_top_k, nms_iou_threshold=t.rpn_nms_iou,
                                     max_proposals=t.rpn_max_proposals))


def build_detection_metadata(name: str, label_set: str, labels: Sequence[str], weights: WeightsInfo,
                             frozen: bool, graph: str) -> ModelMetadata:
    cfg = DETECTION_CFGS[name]
    return ModelMetadata(
        task="rotated-detection", model=name, variant=cfg.variant, label_set=label_set, labels=list(labels),
        input=InputSpec(dtype="float32", color_order="RGB", value_scale=1, mean=list(DETECTION_MEAN),
                        std=list(DETECTION_STD),
                        size=AnySize(min_height=MIN_DETECTION_SIZE, min_width=MIN_DETECTION_SIZE,
                                     padding=DETECTION_PADDING),
                        resize=NoResize()),
        outputs=[OutputSpec(name="boxes", kind="rotated-boxes", shape=["D", 5]),
                 OutputSpec(name="scores", kind="scores", shape=["D"]),
                 OutputSpec(name="labels", kind="labels", shape=["D"])],
        palette=detection_palette(label_set, labels), tiling=DETECTION_TILING, detection=detection_spec(),
        weights=weights,
        export=ExportInfo(torch_version=torch.__version__.split("+")[0], lwganet_version=__version__,
                          method="script", frozen=frozen, dtype="float32", created_at=_created_at(),
                          graph=graph))


def export_detection(name: str, out: Union[str, Path], weights: Optional[Union[str, Path]] = None,
                     labels: Union[None, str, Sequence[str]] = None, seed: int = 0, freeze: bool = False,
                     dtype: str = "float32", method: str = "script", features_only: bool = False,
                     graph: str = DEFAULT_GRAPH) -> ModelMetadata:
    """``export_model`` for the detector names (same arguments)."""
    if features_only:
        raise ValueError(f"{name} has no features export; use lwganet_{DETECTION_CFGS[name].variant} --features")
    if method not in EXPORT_METHODS:
        raise ValueError(f"method must be one of {EXPORT_METHODS}, got {method!r}")
    if method != "script":
        raise ValueError(f"{name} exports with method='script' only: a trace cannot follow its data-dependent "
                         "proposal and NMS steps")
    if dtype not in EXPORT_DTYPES:
        raise ValueError(f"dtype must be one of {tuple(EXPORT_DTYPES)}, got {dtype!r}")
    if dtype != "float32":
        raise ValueError(f"{name} exports in float32 only")
    checkpoint = read_detection_checkpoint(weights) if weights is not None else None
    label_set, names = choose_detection_labels(labels, checkpoint, DETECTION_CFGS[name].default_label_set)

    torch.manual_seed(seed)
    model = build_detector(name, len(names))
    report = load_detection_checkpoint(model, checkpoint, names)[0] if checkpoint is not None else None
    info = _weights_info(weights, report, seed)
    with _jit_quiet():
        module = torch.jit.script(prepare_graph(model.eval(), graph))
        if freeze:
            module = torch.jit.freeze(module)
    metadata = build_detection_metadata(name, label_set, names, info, freeze, graph)
    with _jit_quiet():
        torch.jit.save(module, str(out), _extra_files={METADATA_FILE: metadata.to_json()})
    return metadata


def detection_info(name: str) -> dict:
    """Parameter counts of a detector (K = its default label set's size), by checkpoint prefix."""
    cfg = DETECTION_CFGS[name]
    model = build_detector(name, len(choose_detection_labels(None, None, cfg.default_label_set)[1]))
    return {"model": name, "variant": cfg.variant, "task": "rotated-detection", "labelSet": cfg.default_label_set,
            "params": count_parameters(model), "paramsByPart": count_by_part(model),
            "paper": {"paramsMillions": cfg.paper_params_millions}}
