"""UNetFormer-LWGANet: state_dict layout, Lightning checkpoints, window attention, any size,
TorchScript and export."""

import subprocess
import sys

import pytest
import torch
import torch.nn.functional as F

import lwganet
from lwganet.checkpoint import CheckpointError
from lwganet.segmentation.labels import LOVEDA_PALETTE, UAVID_PALETTE
from lwganet.export import load_exported
from lwganet.segmentation.unetformer import GlobalLocalAttention
from conftest import exported_twin, fill_, image, manifest_shapes


def run(module, *xs):
    with torch.no_grad(), torch.jit.optimized_execution(False):
        return module(*xs)


@pytest.fixture(scope="module")
def seg_l0():
    return fill_(lwganet.create_model("unetformer_lwganet_l0", labels="loveda").double(), seed=1)


def test_state_dict_matches_the_spec_key_table():
    ref, want = manifest_shapes("unetformer_lwganet_l2_k8_keys.json")
    model = lwganet.create_model("unetformer_lwganet_l2", labels="uavid")
    got = {k: list(v.shape) for k, v in model.state_dict().items()}
    assert sorted(set(want) - set(got)) == [] and sorted(set(got) - set(want)) == []
    assert {k: s for k, s in got.items() if want[k] != s} == {}
    # The paper: 12.58 M parameters (aux_head included, as the official model builds it).
    assert round(lwganet.count_parameters(model) / 1e6, 2) == ref["paper_params_millions"]


def test_label_sets_and_palettes():
    assert lwganet.get_labels("uavid")[0] == "Building" and len(UAVID_PALETTE) == 8
    assert lwganet.get_labels("loveda")[-1] == "agricultural" and len(LOVEDA_PALETTE) == 7
    assert lwganet.create_model("unetformer_lwganet_l0").num_classes == 8  # UAVid by default
    assert lwganet.create_model("unetformer_lwganet_l0", labels="loveda").num_classes == 7
    with pytest.raises(ValueError, match="dense backbone"):
        lwganet.create_model("unetformer_lwganet_l0", features_only=True)


def test_relative_position_index_follows_the_spec_formula():
    attn = GlobalLocalAttention()
    index = attn.relative_position_index
    for (yi, xi), (yj, xj) in [((0, 0), (0, 0)), ((0, 0), (7, 7)), ((7, 0), (0, 7)), ((3, 5), (6, 1))]:
        assert index[yi * 8 + xi, yj * 8 + xj] == (yi - yj + 7) * 15 + (xi - xj + 7)


def naive_global_local_attention(m, x):
    """UNetFormer's global-local attention restated with explicit per-window, per-head loops (no reshapes)."""
    _, _, height, width = x.shape
    local = m.local2(x) + m.local1(x)
    qkv = m.qkv(x)
    q, k, v = qkv[:, :64], qkv[:, 64:128], qkv[:, 128:]
    out = torch.zeros_like(x)
    table = m.relative_position_bias_table
    cells = [(y, z) for y in range(8) for z in range(8)]
    bias = torch.stack([torch.stack([table[(yi - yj + 7) * 15 + (xi - xj + 7)] for (yj, xj) in cells])
                        for (yi, xi) in cells])  # (64, 64, heads)
    for top in range(0, height, 8):
        for left in range(0, width, 8):
            for h in range(8):
                ch = slice(8 * h, 8 * h + 8)
                win = (0, ch, slice(top, top + 8), slice(left, left + 8))
                qw, kw, vw = (t[win].reshape(8, 64).T for t in (q, k, v))  # (cells, head_dim)
                a = torch.softmax(qw @ kw.T * 8 ** -0.5 + bias[:, :, h], dim=-1)
                out[win] = (a @ vw).T.reshape(8, 8, 8)
    pooled = F.avg_pool2d(F.pad(out, [0, 0, 0, 1], mode="reflect"), (8, 1), 1, (3, 0)) + \
        F.avg_pool2d(F.pad(out, [0, 1, 0, 0], mode="reflect"), (1, 8), 1, (0, 3))
    return m.proj(F.pad(pooled + local, [0, 1, 0, 1], mode="reflect"))[:, :, :height, :width]


def test_window_attention_matches_a_per_window_restatement():
    m = fill_(GlobalLocalAttention().double(), seed=2)
    x = torch.randn(1, 64, 16, 24, generator=torch.Generator().manual_seed(3), dtype=torch.float64)
    assert torch.allclose(run(m, x), naive_global_local_attention(m, x), atol=1e-12)


def test_lightning_checkpoint_loads_strictly(tmp_path, seg_l0):
    state = {"net." + k: v for k, v in seg_l0.state_dict().items()}
    ckpt = {"state_dict": state, "epoch": 29, "global_step": 1000, "pytorch-lightning_version": "1.9.0",
            "optimizer_states": [], "lr_schedulers": [], "callbacks": {}}
    path = tmp_path / "last.ckpt"
    torch.save(ckpt, path)
    fresh = lwganet.create_model("unetformer_lwganet_l0", labels="loveda").double()
    report = lwganet.load_checkpoint(fresh, path)
    assert report.ignored == [] and report.kept_default == [] and len(report.loaded) == len(state)
    x = image(64, 64, seed=4)
    assert torch.equal(run(fresh, x), run(seg_l0, x))
    del state["net.decoder.aux_head.conv_out.0.weight"]
    torch.save(ckpt, path)
    with pytest.raises(CheckpointError, match="aux_head.conv_out.0.weight"):
        lwganet.load_checkpoint(fresh, path)


def test_any_size_is_a_crop_of_the_padded_input(seg_l0):
    x = image(66, 70, seed=5)  # neither side a multiple of 32
    got = run(seg_l0, x)
    assert got.shape == (1, 7, 66, 70)
    padded = F.pad(x, [0, 96 - 70, 0, 96 - 66])
    assert torch.allclose(got, run(seg_l0, padded)[:, :, :66, :70], atol=1e-10)


def test_too_small_input_is_refused(seg_l0):
    with pytest.raises(ValueError, match="64x64"):
        run(seg_l0, image(48, 96))


def test_script_and_trace_equal_eager(seg_l0):
    scripted = torch.jit.script(seg_l0)
    for h, w in [(64, 64), (66, 70)]:  # the second takes the padding paths
        x = image(h, w, seed=6)
        assert torch.equal(run(scripted, x), run(seg_l0, x))
    # A trace keeps one size's padding decisions: compare at that size (other batch too).
    # Traces need inputs ≥ 96 (BlurPool's traced branch).
    x = image(96, 96, seed=7)
    with torch.no_grad():
        traced = torch.jit.trace(seg_l0, x, check_trace=False)
    assert torch.equal(run(traced, x), run(seg_l0, x))
    y = image(96, 96, batch=2, seed=8)
    assert torch.equal(run(traced, y), run(seg_l0, y))


def test_export_cli_reload_and_metadata(tmp_path):
    out = tmp_path / "seg.pt"
    subprocess.run([sys.executable, "-m", "lwganet", "export", "unetformer_lwganet_l0", "--labels", "uavid",
                    "--seed", "2", "--out", str(out)], check=True, capture_output=True)
    module, meta = load_exported(out)
    torch.manual_seed(2)
    eager = exported_twin(lwganet.create_model("unetformer_lwganet_l0", labels="uavid"))
    x = image(66, 70, seed=9, dtype=torch.float32)
    assert torch.equal(run(module, x), run(eager, x))
    data = meta.to_dict()
    assert data["task"] == "segmentation" and data["labelSet"] == "uavid" and data["numClasses"] == 8
    assert data["palette"] == [list(c) for c in UAVID_PALETTE]
    assert data["tiling"] == {"defaultTileSize": 1024, "tileMultiple": 256, "minTileSize": 256, "defaultOverlap": 128}
    assert data["outputs"] == [{"name": "logits", "kind": "logits", "shape": ["N", 8, "H", "W"]}]
    inp = data["input"]
    assert (inp["colorOrder"], inp["valueScale"], inp["mean"], inp["std"]) == (
        "RGB", 255, [0.485, 0.456, 0.406], [0.229, 0.224, 0.225])
    assert inp["size"]["rule"] == "any" and inp["size"]["minHeight"] == inp["size"]["minWidth"] == 64
    assert inp["resize"] == {"mode": "none"}
    assert data["export"]["method"] == "script"
    assert lwganet.read_metadata(out) == meta


def test_export_labels_follow_the_checkpoint(tmp_path, seg_l0):
    path = tmp_path / "loveda.ckpt"
    torch.save({"state_dict": {"net." + k: v.float() if v.is_floating_point() else v
                               for k, v in seg_l0.state_dict().items()}}, path)
    meta = lwganet.export_model("unetformer_lwganet_l0", tmp_path / "a.pt", weights=path)
    assert meta.label_set == "loveda" and meta.palette == [list(c) for c in LOVEDA_PALETTE]
    assert meta.weights.source == "checkpoint"
    with pytest.raises(ValueError, match="checkpoint has 7"):
        lwganet.export_model("unetformer_lwganet_l0", tmp_path / "b.pt", weights=path, labels="uavid")
