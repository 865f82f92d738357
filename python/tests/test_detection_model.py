"""Oriented R-CNN LWGANet-L2 as a whole: checkpoint key layout, the proposal and
RoI stages against restatements, TorchScript (calling torch.ops.lwganet.nms_*), any input
size, export → reload, metadata, mmrotate checkpoints (meta.CLASSES, numpy scalars, safety)."""

import copy
import json
import math
import os

import numpy as np
import pytest
import torch

import lwganet
from lwganet.checkpoint import CheckpointError
from lwganet.cli import main as cli_main
from lwganet.detection.checkpoint import (DetectionCheckpoint, choose_detection_labels, load_detection_checkpoint,
                                          read_detection_checkpoint)
from lwganet.detection.coders import decode_delta_xywha, decode_midpoint_offset
from lwganet.detection.labels import DOTA_V1_0, DOTA_V1_5
from lwganet.export import load_exported
from lwganet.metadata import MetadataError, ModelMetadata, read_metadata
from conftest import exported_twin, fill_, manifest_shapes
from test_detection_ops import aligned_iou_reference, iou_reference, nms_reference

D = torch.float64
NAME = "orcnn_lwganet_l2"


def run(module, *xs):
    with torch.no_grad(), torch.jit.optimized_execution(False):
        return module(*xs)


def normalised(height, width, seed=0):
    """A random 0..255 RGB image, normalised as the metadata says."""
    pixels = torch.rand(1, 3, height, width, generator=torch.Generator().manual_seed(seed)) * 255
    mean = torch.tensor([123.675, 116.28, 103.53])[:, None, None]
    std = torch.tensor([58.395, 57.12, 57.375])[:, None, None]
    return (pixels - mean) / std


def built(seed, num_classes=15):
    torch.manual_seed(seed)
    return lwganet.create_model(NAME, num_classes=num_classes)


@pytest.fixture(scope="module")
def scripted_k3():
    model = built(1, num_classes=3)
    return model, torch.jit.script(model)


# --- layout -------------------------------------------------------------------------------

def test_state_dict_matches_the_spec_key_table():
    ref, want = manifest_shapes("orcnn_lwganet_l2_k15_keys.json")
    model = lwganet.create_model(NAME)
    got = {k: list(v.shape) for k, v in model.state_dict().items()}
    assert sorted(set(want) - set(got)) == [] and sorted(set(got) - set(want)) == []
    assert {k: s for k, s in got.items() if want[k] != s} == {}
    assert model.num_classes == ref["num_classes"] == 15
    # The paper: 29.25 M parameters for K = 15.
    assert round(lwganet.count_parameters(model) / 1e6, 2) == ref["paper_params_millions"]


def test_registry_and_label_sets():
    assert {"orcnn_lwganet_l0", "orcnn_lwganet_l1", NAME} <= set(lwganet.list_models())
    assert lwganet.get_labels("dota-v1.0") == list(DOTA_V1_0) and len(DOTA_V1_0) == 15
    assert lwganet.get_labels("dota-v1.5") == list(DOTA_V1_0) + ["container-crane"] == list(DOTA_V1_5)
    assert lwganet.get_labels("dota-v1.0")[:3] == ["plane", "baseball-diamond", "bridge"]
    assert lwganet.create_model(NAME, labels="dota-v1.5").roi_head.bbox_head.fc_cls.out_features == 17
    assert lwganet.create_model("orcnn_lwganet_l0").neck.lateral_convs[0].conv.in_channels == 32
    with pytest.raises(ValueError, match="is a detector"):
        lwganet.create_model(NAME, features_only=True)
    with pytest.raises(ValueError, match="at least one class"):
        lwganet.create_model(NAME, num_classes=0)
    with pytest.raises(ValueError, match="contradicts labels"):
        lwganet.create_model(NAME, num_classes=15, labels="dota-v1.5")


# --- the proposal stage and the RoI stage ------------------------------------------------

def proposals_reference(cls, reg, top_k, max_proposals):
    """The proposal stage with explicit loops: per level top-k by score, decode, enclosing
    boxes, greedy NMS 0.8 within each level, merge by score, first max_proposals."""
    cands = []  # (score, box, level), levels in order
    for level, (c, r) in enumerate(zip(cls, reg)):
        s, (h, w) = 4 * 2 ** level, c.shape[2:]
        rows = []
        for y in range(h):
            for x in range(w):
                for a, ratio in enumerate((0.5, 1.0, 2.0)):
                    anchor = [x * s, y * s, 8 * s / math.sqrt(ratio), 8 * s * math.sqrt(ratio)]
                    rows.append((torch.sigmoid(c[0, a, y, x]).item(), anchor, r[0, 6 * a:6 * a + 6, y, x]))
        rows.sort(key=lambda row: -row[0])  # stable: equal scores stay in (y, x, a) order
        for score, anchor, delta in rows[:top_k]:
            box = decode_midpoint_offset(torch.tensor([anchor], dtype=D), delta[None])[0].tolist()
            cands.append((score, box, level))
    hbox = []
    for _, (cx, cy, bw, bh, th), _ in cands:
        hw = abs(bw / 2 * math.cos(th)) + abs(bh / 2 * math.sin(th))
        hh = abs(bw / 2 * math.sin(th)) + abs(bh / 2 * math.cos(th))
        hbox.append((cx - hw, cy - hh, cx + hw, cy + hh))
    kept = nms_reference(hbox, [c[0] for c in cands], [c[2] for c in cands], 0.8, aligned_iou_reference)
    kept = kept[:max_proposals]
    return (torch.tensor([cands[i][1] for i in kept], dtype=D), torch.tensor([cands[i][0] for i in kept], dtype=D),
            len(cands))


@pytest.mark.parametrize("top_k,max_proposals", [(50, 60), (50, 1000)])
def test_proposals_follow_the_per_level_selection_and_nms(top_k, max_proposals):
    model = built(2, num_classes=2).double()
    model.rpn_pre_nms_top_k, model.rpn_max_proposals = top_k, max_proposals  # small: both cuts act
    gen = torch.Generator().manual_seed(3)
    sizes = [(8, 8), (4, 5), (2, 3), (1, 2), (1, 1)]
    cls = [torch.randn(1, 3, h, w, generator=gen, dtype=D) * 3 for h, w in sizes]
    reg = [torch.randn(1, 18, h, w, generator=gen, dtype=D) * 0.7 for h, w in sizes]
    boxes, scores = model.proposals(cls, reg)
    want_boxes, want_scores, count = proposals_reference(cls, reg, top_k, max_proposals)
    assert count == 50 + 50 + 18 + 6 + 3 and scores.shape[0] == min(max_proposals, want_scores.shape[0])
    assert torch.allclose(scores, want_scores, atol=1e-15)
    assert torch.allclose(boxes, want_boxes, atol=1e-9)


def test_proposal_nms_never_crosses_levels():
    model = built(2, num_classes=2).double()
    # Level 1 halves its anchors (dw = dh = ln ½), so each of its boxes equals the level-0 box
    # at the same centre; level 0 scores higher. Only per-level NMS keeps both.
    sizes = [(4, 4), (2, 2), (1, 1), (1, 1), (1, 1)]
    cls = [torch.full((1, 3, h, w), v, dtype=D) for (h, w), v in zip(sizes, (2.0, 1.0, -1.0, -1.0, -1.0))]
    reg = [torch.zeros(1, 18, h, w, dtype=D) for h, w in sizes]
    for a in range(3):
        reg[0][0, 6 * a + 4], reg[0][0, 6 * a + 5] = 0.6, 0.2
        reg[1][0, 6 * a + 2:6 * a + 4] = math.log(0.5)
        reg[1][0, 6 * a + 4], reg[1][0, 6 * a + 5] = 0.6, 0.2
    boxes, scores = model.proposals(cls, reg)
    want_boxes, want_scores, _ = proposals_reference(cls, reg, 2000, 2000)
    assert torch.allclose(scores, want_scores, atol=1e-15) and torch.allclose(boxes, want_boxes, atol=1e-9)
    level1 = scores == torch.sigmoid(torch.tensor(1.0, dtype=D))
    assert level1.sum() == 12  # all 2 × 2 × 3 level-1 boxes, though twins of kept level-0 boxes


@pytest.mark.parametrize("probs", [(0.5, 0.04, 0.46), (0.5, 0.06, 0.44)])
def test_roi_stage_thresholds_and_per_class_nms(probs):
    model = built(4, num_classes=2).double()
    head = model.roi_head.bbox_head
    with torch.no_grad():  # constant class probabilities (background last), zero box deltas
        head.fc_cls.weight.zero_()
        head.fc_cls.bias.copy_(torch.tensor(probs, dtype=D).log())
        head.fc_reg.weight.zero_()
        head.fc_reg.bias.zero_()
    gen = torch.Generator().manual_seed(5)
    feats = [torch.randn(1, 256, 32 // 2 ** i, 40 // 2 ** i, generator=gen, dtype=D) for i in range(5)]
    proposals = torch.tensor([[20, 20, 30, 12, 0.1], [21, 20, 30, 12, 0.1], [60, 50, 12, 30, 0.4],
                              [61, 51, 30, 12, 0.4 - math.pi / 2], [100, 90, 20, 20, -0.3], [150, 8, 40, 10, 1.2],
                              [20, 20, 30, 12, 1.0], [-5, 130, 16, 8, 0.0]], dtype=D)
    out = model.detect(feats, proposals, 128, 160)
    boxes = decode_delta_xywha(proposals, torch.zeros(8, 5, dtype=D), 128.0, 160.0)
    cand = [(r, k) for r in range(8) for k in range(2) if probs[k] > 0.05]  # (RoI, class) order
    kept = nms_reference([boxes[r].tolist() for r, _ in cand], [probs[k] for _, k in cand],
                         [k for _, k in cand], 0.1, iou_reference)
    assert out["labels"].tolist() == [cand[i][1] for i in kept]
    assert torch.allclose(out["scores"], torch.tensor([probs[cand[i][1]] for i in kept], dtype=D))
    assert torch.allclose(out["boxes"], torch.stack([boxes[cand[i][0]] for i in kept]))
    assert 0 < len(kept) < len(cand)  # some suppressed, never across classes
    assert out["boxes"][:, 0].min() >= 0  # the proposal at x = −5 has its centre clamped


# --- TorchScript, any size --------------------------------------------------------------------

def check_detections(out, height, width, num_classes):
    boxes, scores, labels = out["boxes"], out["scores"], out["labels"]
    n = boxes.shape[0]
    assert boxes.shape == (n, 5) and scores.shape == (n,) and labels.shape == (n,)
    assert boxes.dtype == scores.dtype == torch.float32 and labels.dtype == torch.int64
    assert 0 < n <= 2000 and torch.isfinite(boxes).all()
    assert (boxes[:, 0] >= 0).all() and (boxes[:, 0] <= width - 1).all()
    assert (boxes[:, 1] >= 0).all() and (boxes[:, 1] <= height - 1).all()
    assert (boxes[:, 2] >= boxes[:, 3]).all() and (boxes[:, 3] > 0).all()
    assert (boxes[:, 4] >= -math.pi / 2).all() and (boxes[:, 4] < math.pi / 2).all()
    assert (scores > 0.05).all() and (scores[:-1] >= scores[1:]).all()
    assert labels.min() >= 0 and labels.max() < num_classes


def test_scripted_model_calls_the_native_ops_and_matches_eager(scripted_k3):
    model, scripted = scripted_k3
    graph = str(scripted.inlined_graph)
    assert "lwganet::nms_aligned" in graph and "lwganet::nms_rotated" in graph
    x = normalised(64, 96, seed=1)
    eager, got = run(model, x), run(scripted, x)
    assert eager.keys() == got.keys() == {"boxes", "scores", "labels"}
    for key in eager:
        assert torch.equal(eager[key], got[key]), key
    check_detections(got, 64, 96, 3)


@pytest.mark.parametrize("height,width", [(256, 256), (100, 150), (32, 40)])
def test_any_size(scripted_k3, height, width):
    _, scripted = scripted_k3
    check_detections(run(scripted, normalised(height, width, seed=height)), height, width, 3)


def test_bad_input_is_rejected(scripted_k3):
    model, scripted = scripted_k3
    for m in (model, scripted):
        with pytest.raises((ValueError, torch.jit.Error), match=r"one image: a \(1, 3, H, W\) tensor"):
            run(m, torch.zeros(2, 3, 64, 64))


# --- export, metadata ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    path = tmp_path_factory.mktemp("orcnn") / "orcnn.pt"
    meta = lwganet.export_model(NAME, path, seed=5)
    return path, meta


def test_export_reload_gives_the_eager_outputs(exported):
    path, _ = exported
    module, meta = load_exported(path)
    x = normalised(64, 96, seed=2)
    got, want = run(module, x), run(exported_twin(built(5)), x)
    assert want["boxes"].shape[0] > 0
    for key in want:
        assert torch.equal(got[key], want[key]), key
    graph = str(module.inlined_graph)
    assert "lwganet::nms_aligned" in graph and "lwganet::nms_rotated" in graph


def test_detection_metadata(exported):
    path, meta = exported
    assert read_metadata(path) == meta and ModelMetadata.from_json(meta.to_json()) == meta
    data = json.loads(meta.to_json())
    assert data["task"] == "rotated-detection" and data["labelSet"] == "dota-v1.0"
    assert data["labels"] == list(DOTA_V1_0) and data["numClasses"] == 15
    assert data["input"] == {"channels": 3, "layout": "NCHW", "dtype": "float32", "colorOrder": "RGB",
                             "valueScale": 1, "mean": [123.675, 116.28, 103.53], "std": [58.395, 57.12, 57.375],
                             "size": {"rule": "any", "minHeight": 32, "minWidth": 32,
                                      "padding": data["input"]["size"]["padding"]},
                             "resize": {"mode": "none"}}
    assert data["outputs"] == [{"name": "boxes", "kind": "rotated-boxes", "shape": ["D", 5]},
                               {"name": "scores", "kind": "scores", "shape": ["D"]},
                               {"name": "labels", "kind": "labels", "shape": ["D"]}]
    assert data["tiling"] == {"defaultTileSize": 1024, "tileMultiple": 32, "minTileSize": 32, "defaultOverlap": 200}
    assert data["detection"] == {"angleConvention": "le90", "boxFormat": "cx,cy,w,h,angle", "scoreThreshold": 0.05,
                                 "nmsIouThreshold": 0.1, "maxPerImage": 2000,
                                 "rpn": {"preNmsTopK": 2000, "nmsIouThreshold": 0.8, "maxProposals": 2000}}
    assert data["palette"][0] == [165, 42, 42] and len(data["palette"]) == 15
    assert data["weights"] == {"source": "random-init", "seed": 5, "file": None, "sha256": None}
    assert data["export"]["method"] == "script" and data["export"]["dtype"] == "float32"


@pytest.mark.parametrize("change,message", [
    (lambda d: d.pop("detection"), "detection must be given for task rotated-detection"),
    (lambda d: d.update(task="segmentation"), "detection must be given for task rotated-detection and only there"),
    (lambda d: d["detection"].update(angleConvention="oc"), "angleConvention must be one of"),
    (lambda d: d["detection"].update(boxFormat="x1,y1,x2,y2"), "boxFormat must be one of"),
    (lambda d: d["detection"].update(scoreThreshold=1.5), "scoreThreshold and nmsIouThreshold must be numbers"),
    (lambda d: d["detection"].update(maxPerImage=0), "maxPerImage must be a positive integer"),
    (lambda d: d["detection"]["rpn"].update(preNmsTopK=2.5), "preNmsTopK and maxProposals must be positive"),
    (lambda d: d["detection"]["rpn"].update(nmsIouThreshold=-0.1), "rpn.nmsIouThreshold must be a number"),
    (lambda d: d["detection"].update(rpn=None), "detection.rpn must be objects"),
    (lambda d: d.update(detection="le90"), "detection and detection.rpn must be objects"),
    (lambda d: d["detection"].pop("maxPerImage"), "missing or has a malformed field"),
])
def test_malformed_detection_metadata_is_rejected(exported, change, message):
    data = copy.deepcopy(exported[1].to_dict())
    change(data)
    with pytest.raises(MetadataError, match=message):
        ModelMetadata.from_json(json.dumps(data))


def test_detection_metadata_tolerates_added_keys(exported):
    data = exported[1].to_dict()
    data["detection"]["mergeRule"] = "later"
    data["detection"]["rpn"]["extra"] = 1
    assert ModelMetadata.from_dict(data) == exported[1]


def test_cli_export_with_labels_and_errors(tmp_path, capsys):
    out = tmp_path / "v15.pt"
    assert cli_main(["export", NAME, "--out", str(out), "--labels", "dota-v1.5", "--seed", "3"]) == 0
    assert "rotated-detection (dota-v1.5)" in capsys.readouterr().out
    meta = read_metadata(out)
    assert meta.labels == list(DOTA_V1_5) and meta.num_classes == 16 and len(meta.palette) == 16
    assert meta.palette[15] == [220, 20, 60] and meta.weights.seed == 3
    for args, message in [(["--method", "trace"], "method='script' only"), (["--dtype", "float16"], "float32 only"),
                          (["--features"], "has no features export"), (["--labels", "uavid"], None)]:
        code = cli_main(["export", NAME, "--out", str(tmp_path / "x.pt")] + args)
        err = capsys.readouterr().err
        if message is None:  # a non-DOTA label set is allowed (custom fine-tunes): 8 classes
            assert code == 0 and read_metadata(tmp_path / "x.pt").num_classes == 8
        else:
            assert code == 1 and message in err
    assert cli_main(["info", NAME]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["params"] == sum(info["paramsByPart"].values()) and round(info["params"] / 1e6, 2) == 29.25


# --- mmrotate checkpoints ----------------------------------------------------------------------

def mmrotate_checkpoint(state, classes=DOTA_V1_0, **meta):
    """The layout of mmcv's save_checkpoint, as in the released .pth files."""
    names = list(state)[:2]
    return {"meta": {"mmcv_version": "1.6.0", "time": "Fri Oct 18 2024", "config": "model = dict(...)",
                     "epoch": 30, "iter": np.int64(33630), "CLASSES": tuple(classes), "env_info": "sys.platform: linux",
                     "hook_msgs": {"last_ckpt": "work_dirs/epoch_30.pth", "best_score": np.float64(0.7902)},
                     **meta},
            "state_dict": state,
            "optimizer": {"state": {0: {"momentum_buffer": torch.zeros(3)}},
                          "param_groups": [{"lr": 0.005, "momentum": 0.9, "params": [0, 1], "names": names}]}}


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    model = fill_(built(6), seed=6)
    path = tmp_path_factory.mktemp("ckpt") / "ORCNN_LWGANet_L2_fpn_le90_dota10_ss_e30.pth"
    torch.save(mmrotate_checkpoint(model.state_dict()), path)
    return model, path


def test_mmrotate_checkpoint_loads_strictly(trained):
    model, path = trained
    fresh = built(7)
    report, label_set, names = load_detection_checkpoint(fresh, path)
    assert (label_set, names) == ("dota-v1.0", list(DOTA_V1_0))
    assert not report.ignored and not report.kept_default and len(report.loaded) == len(model.state_dict())
    for key, value in model.state_dict().items():
        assert torch.equal(fresh.state_dict()[key], value), key
    # The general loader takes the same file strictly too.
    assert len(lwganet.load_checkpoint(built(8), path).loaded) == len(model.state_dict())
    checkpoint = read_detection_checkpoint(path)
    assert checkpoint.num_classes == 15 and checkpoint.classes == list(DOTA_V1_0)


def test_export_from_an_mmrotate_checkpoint(trained, tmp_path):
    model, path = trained
    out = tmp_path / "trained.pt"
    meta = lwganet.export_model(NAME, out, weights=path)
    assert meta.label_set == "dota-v1.0" and meta.weights.source == "checkpoint"
    assert meta.weights.file == path.name and len(meta.weights.sha256) == 64
    module, _ = load_exported(out)
    for key, value in model.state_dict().items():
        assert torch.equal(module.state_dict()[key], value), key


def test_checkpoint_classes_are_checked(trained, tmp_path):
    model, path = trained
    with pytest.raises(ValueError, match="'dota-v1.5' have 16 classes but the checkpoint's box head has 15"):
        lwganet.export_model(NAME, tmp_path / "x.pt", weights=path, labels="dota-v1.5")
    swapped = list(DOTA_V1_0)
    swapped[3], swapped[4] = swapped[4], swapped[3]
    other = tmp_path / "swapped.pth"
    torch.save(mmrotate_checkpoint(model.state_dict(), classes=swapped), other)
    with pytest.raises(ValueError, match="do not match the checkpoint's meta.CLASSES: class 3 is "
                                         "'ground-track-field' in the labels but 'small-vehicle'"):
        load_detection_checkpoint(built(9), other, labels="dota-v1.0")
    # Without labels the checkpoint's own names are taken (not a known set: "custom").
    assert choose_detection_labels(None, read_detection_checkpoint(other), "dota-v1.0") == ("custom", swapped)


def test_label_set_inference_from_k_and_classes():
    def ckpt(k, classes=None):
        return DetectionCheckpoint(state={}, num_classes=k, classes=classes)

    assert choose_detection_labels(None, ckpt(16), "dota-v1.0") == ("dota-v1.5", list(DOTA_V1_5))
    assert choose_detection_labels(None, ckpt(15), "dota-v1.5") == ("dota-v1.0", list(DOTA_V1_0))
    assert choose_detection_labels(None, ckpt(16, list(DOTA_V1_5)), "x") == ("dota-v1.5", list(DOTA_V1_5))
    assert choose_detection_labels(None, None, "dota-v1.5") == ("dota-v1.5", list(DOTA_V1_5))
    assert choose_detection_labels(["a", "b"], ckpt(2), "dota-v1.0") == ("custom", ["a", "b"])
    with pytest.raises(ValueError, match="has 7 classes and its meta names none: pass labels"):
        choose_detection_labels(None, ckpt(7), "dota-v1.0")
    with pytest.raises(ValueError, match="class 15 is 'container-crane' in the labels but \\(none\\)"):
        choose_detection_labels("dota-v1.5", ckpt(None, list(DOTA_V1_0)), "dota-v1.0")


def test_mismatched_state_is_refused(trained, tmp_path):
    model, _ = trained
    state = dict(model.state_dict())
    del state["rpn_head.rpn_reg.bias"]
    state["neck.extra.weight"] = torch.zeros(1)
    path = tmp_path / "broken.pth"
    torch.save(mmrotate_checkpoint(state), path)
    with pytest.raises(CheckpointError, match=r"(?s)1 missing, 1 unexpected.*missing: rpn_head.rpn_reg.bias \[18\]"
                                              r".*unexpected: neck.extra.weight"):
        load_detection_checkpoint(built(10), path)


def test_checkpoint_carrying_code_or_objects_is_refused(tmp_path):
    marker = tmp_path / "pwned"

    class Payload:
        def __reduce__(self):
            return os.system, (f"touch {marker}",)

    state = {"roi_head.bbox_head.fc_cls.weight": torch.zeros(16, 1024)}
    evil = tmp_path / "evil.pth"
    torch.save(mmrotate_checkpoint(state, hook=Payload()), evil)
    with pytest.raises(CheckpointError, match="was refused.*GLOBAL posix.system"):
        read_detection_checkpoint(evil)
    assert not marker.exists()
    for name, value in [("array", np.zeros(2)), ("text", np.str_("x")), ("object", np.array([None], dtype=object))]:
        path = tmp_path / f"{name}.pth"
        torch.save(mmrotate_checkpoint(state, extra=value), path)
        with pytest.raises(CheckpointError, match="was refused"):
            read_detection_checkpoint(path)
