"""A2Net- and CLAFA-LWGANet: layouts, the pure-torch DCNv2 / deformable attention against
per-sample bilinear references, checkpoints, any size, TorchScript and export."""

import math
import subprocess
import sys

import pytest
import torch
import torch.nn.functional as F

import lwganet
from lwganet.export import load_exported
from lwganet.change_detection.clafa import ContextGatedConv2d
from lwganet.layers.deform_conv import modulated_deform_conv2d
from lwganet.layers.ms_deform_attn import DeformableAttention
from conftest import exported_twin, fill_, image, manifest_shapes


def run(module, *xs):
    with torch.no_grad(), torch.jit.optimized_execution(False):
        return module(*xs)


def gen(seed):
    return torch.Generator().manual_seed(seed)


@pytest.mark.parametrize("model_name,manifest", [("a2net_lwganet_l2", "a2net_lwganet_l2_keys.json"),
                                                 ("clafa_lwganet_l0", "clafa_lwganet_l0_keys.json")])
def test_state_dict_matches_the_spec_key_table(model_name, manifest):
    ref, want = manifest_shapes(manifest)
    model = lwganet.create_model(model_name)
    got = {k: list(v.shape) for k, v in model.state_dict().items()}
    assert sorted(set(want) - set(got)) == [] and sorted(set(got) - set(want)) == []
    assert {k: s for k, s in got.items() if want[k] != s} == {}
    assert len(got) == ref.get("total_entries", len(got))
    total = lwganet.count_parameters(model)
    head = total - lwganet.count_parameters(model.backbone)
    assert round(total / 1e6, 2) == ref["paper_params_millions"]
    assert round(head / 1e6, 2) == ref["head_params_millions"]


def test_clafa_l2_parameter_count():
    assert round(lwganet.count_parameters(lwganet.create_model("clafa_lwganet_l2")) / 1e6, 2) == 19.63


# --- independent references: one bilinear sample at a time, straight from the definitions ---

def bilinear_zero(img, y, x):
    """img (C, H, W); the value at pixel coordinates (y, x), corners outside the map count 0."""
    height, width = img.shape[1:]
    y0, x0 = math.floor(y), math.floor(x)
    total = torch.zeros(img.shape[0], dtype=img.dtype)
    for yy, wy in ((y0, 1 - (y - y0)), (y0 + 1, y - y0)):
        for xx, wx in ((x0, 1 - (x - x0)), (x0 + 1, x - x0)):
            if 0 <= yy < height and 0 <= xx < width:
                total += wy * wx * img[:, yy, xx]
    return total


def reference_dcn(x, offset, mask, weight, bias, pad, groups):
    _, channels, _, _ = x.shape
    out_ch, _, kh, kw = weight.shape
    out = torch.zeros(x.shape[0], out_ch, offset.shape[2], offset.shape[3], dtype=x.dtype)
    per = channels // groups
    for n in range(x.shape[0]):
        for i in range(offset.shape[2]):
            for j in range(offset.shape[3]):
                acc = bias.clone()
                for g in range(groups):
                    sl = slice(g * per, (g + 1) * per)
                    for a in range(kh):
                        for b in range(kw):
                            k = a * kw + b
                            dy = offset[n, 2 * (g * kh * kw + k), i, j].item()
                            dx = offset[n, 2 * (g * kh * kw + k) + 1, i, j].item()
                            v = bilinear_zero(x[n, sl], i - pad + a + dy, j - pad + b + dx)
                            acc += weight[:, sl, a, b] @ (v * mask[n, g * kh * kw + k, i, j])
                out[n, :, i, j] = acc
    return out


def test_deform_conv_matches_the_per_sample_reference():
    g = gen(0)
    x = torch.randn(2, 4, 5, 6, generator=g, dtype=torch.float64)
    offset = 2.5 * torch.randn(2, 2 * 2 * 9, 5, 6, generator=g, dtype=torch.float64)  # many fall outside
    mask = torch.rand(2, 2 * 9, 5, 6, generator=g, dtype=torch.float64)
    weight = torch.randn(3, 4, 3, 3, generator=g, dtype=torch.float64)
    bias = torch.randn(3, generator=g, dtype=torch.float64)
    got = modulated_deform_conv2d(x, offset, mask, weight, bias, [1, 1], [1, 1], [1, 1], 2)
    assert torch.allclose(got, reference_dcn(x, offset, mask, weight, bias, 1, 2), atol=1e-12)
    # Zero offsets and unit masks: an ordinary convolution.
    plain = modulated_deform_conv2d(x, torch.zeros_like(offset), torch.ones_like(mask), weight, bias,
                                    [1, 1], [1, 1], [1, 1], 2)
    assert torch.allclose(plain, F.conv2d(x, weight, bias, padding=1), atol=1e-12)


def test_deformable_attention_matches_the_per_sample_reference():
    torch.manual_seed(1)
    m = DeformableAttention(8, 2, 3).double()
    with torch.no_grad():
        for p in m.parameters():
            p.copy_(torch.randn(p.shape, generator=gen(2), dtype=torch.float64) * 0.7)
    g = gen(3)
    query, pos = torch.randn(2, 6, 8, generator=g, dtype=torch.float64), torch.randn(1, 6, 8, generator=g, dtype=torch.float64)
    value = torch.randn(2, 4 * 5, 8, generator=g, dtype=torch.float64)
    ref_points = torch.rand(1, 6, 2, generator=g, dtype=torch.float64)
    got = run(m, query, value, pos, ref_points, (4, 5))

    q = query + pos
    offsets = m.sampling_offsets(q).view(2, 6, 2, 3, 2)
    weights = m.attention_weights(q).view(2, 6, 2, 3).softmax(-1)
    v = m.value_proj(value).view(2, 4, 5, 2, 4)  # (B, H, W, heads, head_dim)
    want = torch.zeros(2, 6, 8, dtype=torch.float64)
    for n in range(2):
        for i in range(6):
            for h in range(2):
                for p in range(3):
                    # normalised (x, y) → pixel coordinates of the align_corners=False convention
                    x = (ref_points[0, i, 0] + offsets[n, i, h, p, 0] / 5).item() * 5 - 0.5
                    y = (ref_points[0, i, 1] + offsets[n, i, h, p, 1] / 4).item() * 4 - 0.5
                    sample = bilinear_zero(v[n, :, :, h].permute(2, 0, 1), y, x)
                    want[n, i, 4 * h:4 * h + 4] += weights[n, i, h, p] * sample
    want = m.output_proj(want) + query
    assert torch.allclose(got, want, atol=1e-12)


def test_context_gated_conv_is_a_per_sample_gated_conv_on_non_square_maps():
    m = fill_(ContextGatedConv2d(32).double(), seed=4)
    x = torch.randn(2, 32, 5, 7, generator=gen(5), dtype=torch.float64)
    got = run(m, x)
    b, c = 2, 32
    ctx = m.ce(F.adaptive_avg_pool2d(x, 3).view(b, c, 9))
    a = m.gd(F.relu(m.ce_bn(ctx)))
    # channel interaction: Linear over each group of 16 channels, per latent position
    mixed = F.relu(m.ci_bn2(ctx))
    o = torch.stack([torch.stack([m.ci(mixed[n, 16 * k:16 * k + 16, j]) for j in range(5)], dim=1)
                     for n in range(b) for k in range(c // 16)]).view(b, c, 5)
    o = m.gd2(F.relu(m.ci_bn(o)))
    for n in range(b):
        gate = torch.sigmoid(a[n].view(1, c, 3, 3) + o[n].view(c, 1, 3, 3))
        want = F.conv2d(x[n:n + 1], gate * m.weight, padding=1)  # the registered bias is not used
        assert torch.allclose(got[n:n + 1], want, atol=1e-12)


# --- whole models -------------------------------------------------------------------------

@pytest.fixture(scope="module")
def a2net():
    return fill_(lwganet.create_model("a2net_lwganet_l0").double(), seed=6)


@pytest.fixture(scope="module")
def clafa():
    return fill_(lwganet.create_model("clafa_lwganet_l0").double(), seed=7)


@pytest.mark.parametrize("which", ["a2net", "clafa"])
def test_probability_any_size_symmetry_and_crop(which, request):
    model = request.getfixturevalue(which)
    a, b = image(66, 70, seed=8), image(66, 70, seed=9)  # neither side a multiple of 32
    p = run(model, a, b)
    assert p.shape == (1, 1, 66, 70) and float(p.min()) >= 0 and float(p.max()) <= 1
    # Both heads only see |f(a) − f(b)|: swapping the dates changes nothing.
    assert torch.allclose(run(model, b, a), p, atol=1e-12)
    pad = [0, 96 - 70, 0, 96 - 66]
    assert torch.allclose(run(model, F.pad(a, pad), F.pad(b, pad))[:, :, :66, :70], p, atol=1e-10)
    with pytest.raises(ValueError, match="same size"):
        run(model, a, image(64, 70))


def test_clafa_probability_is_the_softmax_of_its_logits(clafa):
    a, b = image(64, 64, seed=10), image(64, 64, seed=11)
    logits = run(clafa.forward_logits, a, b)
    assert torch.allclose(run(clafa, a, b), torch.softmax(logits, 1)[:, 1:], atol=1e-14)


@pytest.mark.parametrize("wrap", ["bare", "tar", "module"])
def test_a2net_checkpoints_load_strictly(tmp_path, a2net, wrap):
    state = a2net.state_dict()
    ckpt = {"bare": state,
            "tar": {"epoch": 3, "arch": "BaseNet", "state_dict": state, "optimizer": {}, "lr": 1e-3},
            "module": {"module." + k: v for k, v in state.items()}}[wrap]
    torch.save(ckpt, tmp_path / "best_model.pth")
    fresh = lwganet.create_model("a2net_lwganet_l0").double()
    report = lwganet.load_checkpoint(fresh, tmp_path / "best_model.pth")
    assert report.ignored == [] and len(report.loaded) == len(state)
    assert all(torch.equal(v, fresh.state_dict()[k]) for k, v in state.items())


def test_clafa_network_wrapper_loads_strictly(tmp_path, clafa):
    torch.save({"network": clafa.state_dict(), "optimizer": {}}, tmp_path / "c.pth")
    fresh = lwganet.create_model("clafa_lwganet_l0").double()
    assert len(lwganet.load_checkpoint(fresh, tmp_path / "c.pth").loaded) == len(clafa.state_dict())
    a, b = image(64, 64, seed=12), image(64, 64, seed=13)
    assert torch.equal(run(fresh, a, b), run(clafa, a, b))


@pytest.mark.parametrize("which", ["a2net", "clafa"])
def test_script_and_trace_equal_eager(which, request):
    model = request.getfixturevalue(which)
    scripted = torch.jit.script(model)
    for h, w in [(64, 64), (66, 70)]:  # the second takes the padding path
        a, b = image(h, w, seed=14), image(h, w, seed=15)
        assert torch.equal(run(scripted, a, b), run(model, a, b))
    # Traced at 96² (traces need inputs ≥ 96): the sizes stay symbolic, so other multiples
    # of 32 and batches replay exactly.
    a, b = image(96, 96, seed=16), image(96, 96, seed=17)
    with torch.no_grad():
        traced = torch.jit.trace(model, (a, b), check_trace=False)
    assert torch.equal(run(traced, a, b), run(model, a, b))
    a2, b2 = image(96, 128, batch=2, seed=18), image(96, 128, batch=2, seed=19)
    assert torch.equal(run(traced, a2, b2), run(model, a2, b2))


def test_a2net_export_cli_bgr_metadata_and_reload(tmp_path):
    out = tmp_path / "a2net.pt"
    # Traced (at 256², the training tile): the sizes stay symbolic, any multiple of 32 replays.
    subprocess.run([sys.executable, "-m", "lwganet", "export", "a2net_lwganet_l0", "--method", "trace",
                    "--out", str(out)], check=True, capture_output=True)
    module, meta = load_exported(out)
    torch.manual_seed(0)
    eager = exported_twin(lwganet.create_model("a2net_lwganet_l0"))
    a, b = image(96, 96, seed=20, dtype=torch.float32), image(96, 96, seed=21, dtype=torch.float32)
    assert torch.equal(run(module, a, b), run(eager, a, b))
    data = meta.to_dict()
    assert data["task"] == "change-detection" and data["labels"] == ["unchanged", "changed"]
    assert data["labelSet"] == "binary-change" and data["palette"] == [[0, 0, 0], [255, 255, 255]]
    # A2Net trained on images OpenCV read: BGR; /255, then the ImageNet statistics in BGR order.
    inp = data["input"]
    assert (inp["colorOrder"], inp["valueScale"], inp["mean"], inp["std"]) == (
        "BGR", 255, [0.406, 0.456, 0.485], [0.225, 0.224, 0.229])
    assert data["outputs"] == [{"name": "change", "kind": "probability", "shape": ["N", 1, "H", "W"]}]
    # A traced export declares the smallest input its graph runs (96), not the scripted 64.
    assert data["tiling"] == {"defaultTileSize": 256, "tileMultiple": 32, "minTileSize": 96, "defaultOverlap": 32}
    assert inp["size"]["minHeight"] == 96 and inp["resize"] == {"mode": "none"}
    assert data["export"]["method"] == "trace"


def test_clafa_export_reload(tmp_path):
    meta = lwganet.export_model("clafa_lwganet_l0", tmp_path / "clafa.pt", seed=1)
    assert meta.input.color_order == "RGB" and meta.export.method == "script"
    module, _ = load_exported(tmp_path / "clafa.pt")
    torch.manual_seed(1)
    eager = exported_twin(lwganet.create_model("clafa_lwganet_l0"))
    a, b = image(66, 70, seed=22, dtype=torch.float32), image(66, 70, seed=23, dtype=torch.float32)
    assert torch.equal(run(module, a, b), run(eager, a, b))
    with pytest.raises(ValueError, match="2 labels"):
        lwganet.export_model("a2net_lwganet_l0", tmp_path / "x.pt", labels="uavid")
