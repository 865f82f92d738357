"""Numbers of the official LWGANet-L0 code, reproduced to float64 rounding.

tests/data/golden/ holds float64 outputs of the official LWGANet-L0 classification code
(AeroVILab-AHU/LWGANet at d46a47d, ``classification/models/LWGANet.py``, eval mode, CPU) on
weights and inputs defined by closed-form rules, so any state-dict-compatible implementation
can fill itself the same way. The rules (implemented below):

Weights, one rule per state_dict entry, first match wins. With ``h(k) = crc32(utf-8 key) mod
1000`` (zlib CRC-32) and ``s(i) = sin(0.37 i + 1.3 h(k))`` over the C-order element index i:
  ``.filt`` untouched (BlurPool's fixed filter); ``.num_batches_tracked`` 0;
  ``.running_mean`` 0.1 s; ``.running_var`` 1 + 0.5 |s|; 1-D ``.weight`` 1 + 0.25 s;
  ``.bias`` 0.05 s; other entries with >= 2 dims s · sqrt(1 / fan_in), fan_in = numel / S[0];
  anything else 0.05 s.
Each value is computed in float64, rounded to float32, then stored in the float64 model.

Input over the C-order flat index n of the (B, 3, H, W) tensor:
  x[n] = (sin(0.01 n) + 0.5 cos(0.0731 n + 0.7)) · (1 + 0.5 sin(n / 40000)),
computed in float64, rounded to float32, cast back to float64.

Each case records the sha256 of the float32 input bytes (checks the input generator), the
classifier's full logits or a summary of each dense feature map (shape, mean, unbiased std,
min, max, abs_sum, the first 16 values, and the values at flat indices floor(k·numel/64),
k = 0..63), and the same summary after the stem and after each of the 7 ``stages`` entries:
a wiring mistake inside one block type shows up at the first stage that contains it.
A case with an ``error`` field is a size the official code rejects; it is skipped.

The official network is compared with both graph formulations of the export ("official", the
same op sequence, and "fast", fused MRA strips and SDPA attention): both must agree with it to
float64 rounding (about 1e-15 of the values' range; the tolerance is 1e-12 of it).
"""

import hashlib
import json
import math
import zlib
from pathlib import Path

import numpy as np
import pytest
import torch

from lwganet.graph import prepare_graph
from lwganet.build import create_model

GOLDEN = Path(__file__).resolve().parent / "data" / "golden"
# Relative to the largest magnitude of the compared tensor (rounding ~1e-15 of it is expected).
REL_TOL = 1e-12


def _shapes(name: str):
    return [c["input_shape"] for c in json.loads((GOLDEN / name).read_text())["cases"] if "error" not in c]


CLS_SHAPES = _shapes("lwganet_l0_cls_golden.json")
DENSE_SHAPES = _shapes("lwganet_l0_dense_golden.json")
# "fast" as exported to TorchScript also moves the weights to channels-last; both layouts run.
GRAPHS = [("official", False), ("fast", False), ("fast", True)]


def _rule_value(key: str, tensor: torch.Tensor) -> torch.Tensor:
    h = zlib.crc32(key.encode("utf-8")) % 1000
    i = np.arange(tensor.numel(), dtype=np.float64)
    s = np.sin(0.37 * i + 1.3 * h)
    if key.endswith(".num_batches_tracked"):
        v = np.zeros_like(s)
    elif key.endswith(".running_mean"):
        v = 0.1 * s
    elif key.endswith(".running_var"):
        v = 1 + 0.5 * np.abs(s)
    elif key.endswith(".weight") and tensor.dim() == 1:
        v = 1 + 0.25 * s
    elif key.endswith(".bias"):
        v = 0.05 * s
    elif tensor.dim() >= 2:
        v = s * math.sqrt(1.0 / (tensor.numel() / tensor.shape[0]))
    else:
        v = 0.05 * s
    return torch.from_numpy(v.astype(np.float32)).reshape(tensor.shape).to(tensor.dtype)


def golden_fill_(model: torch.nn.Module) -> torch.nn.Module:
    model.eval().double()
    with torch.no_grad():
        for key, tensor in model.state_dict().items():
            if key.endswith(".filt"):
                continue
            tensor.copy_(_rule_value(key, tensor))
    return model


def golden_input(shape) -> torch.Tensor:
    n = np.arange(int(np.prod(shape)), dtype=np.float64)
    x = (np.sin(0.01 * n) + 0.5 * np.cos(0.0731 * n + 0.7)) * (1 + 0.5 * np.sin(n / 40000))
    return torch.from_numpy(x.astype(np.float32)).reshape(shape)


def _case(name: str, shape):
    data = json.loads((GOLDEN / name).read_text())
    for case in data["cases"]:
        if case["input_shape"] == shape and "error" not in case:
            return case
    raise LookupError(f"no case {shape} in {name}")


def _assert_summary(actual: torch.Tensor, expected: dict, what: str) -> None:
    t = actual.detach().double().contiguous()
    assert list(t.shape) == expected["shape"], what
    flat = t.flatten()
    scale = max(abs(expected["min"]), abs(expected["max"]))
    tol = REL_TOL * scale
    n = flat.numel()
    sample = flat[[k * n // 64 for k in range(64)]]
    np.testing.assert_allclose(flat[:16].numpy(), expected["first16"], rtol=0, atol=tol, err_msg=f"{what} first16")
    np.testing.assert_allclose(sample.numpy(), expected["sample64"], rtol=0, atol=tol, err_msg=f"{what} sample64")
    for stat, value in (("mean", flat.mean()), ("std", flat.std(unbiased=True)), ("min", flat.min()),
                        ("max", flat.max())):
        assert abs(float(value) - expected[stat]) <= tol, f"{what} {stat}: {float(value)} != {expected[stat]}"
    abs_sum = float(flat.abs().sum())
    assert abs(abs_sum - expected["abs_sum"]) <= REL_TOL * expected["abs_sum"], f"{what} abs_sum"


def _record_intermediates(model):
    seen = {}
    hooks = [model.Stem.register_forward_hook(lambda m, i, o: seen.__setitem__("Stem", o))]
    for idx, stage in enumerate(model.stages):
        hooks.append(stage.register_forward_hook(
            lambda m, i, o, name=f"stages.{idx}": seen.__setitem__(name, o)))
    return seen, hooks


def test_input_generator_matches_the_recorded_hash():
    for name in ("lwganet_l0_cls_golden.json", "lwganet_l0_dense_golden.json"):
        for case in json.loads((GOLDEN / name).read_text())["cases"]:
            x = golden_input(case["input_shape"])
            assert hashlib.sha256(x.numpy().tobytes()).hexdigest() == case["input_sha256_float32"]


@pytest.fixture(scope="module")
def classifier():
    return golden_fill_(create_model("lwganet_l0"))


@pytest.fixture(scope="module")
def features():
    return golden_fill_(create_model("lwganet_l0", features_only=True))


@pytest.mark.parametrize("shape", CLS_SHAPES, ids=str)
@pytest.mark.parametrize("graph,channels_last", GRAPHS)
def test_classifier_logits_and_stages_match_the_official_code(classifier, graph, channels_last, shape):
    case = _case("lwganet_l0_cls_golden.json", shape)
    model = prepare_graph(classifier.to(memory_format=torch.contiguous_format), graph, channels_last)
    seen, hooks = _record_intermediates(model)
    try:
        with torch.no_grad():
            logits = model(golden_input(shape).double())
    finally:
        for hook in hooks:
            hook.remove()
    # Block level first: the first stage that disagrees names the block type with the bug.
    for name, expected in case["intermediate"].items():
        _assert_summary(seen[name], expected, f"{graph} {name}")
    expected = np.asarray(case["logits"], dtype=np.float64)
    assert logits.shape == expected.shape
    tol = REL_TOL * np.abs(expected).max()
    np.testing.assert_allclose(logits.numpy(), expected, rtol=0, atol=tol)


@pytest.mark.parametrize("shape", DENSE_SHAPES, ids=str)
@pytest.mark.parametrize("graph,channels_last", GRAPHS)
def test_dense_features_match_the_official_code(features, graph, channels_last, shape):
    case = _case("lwganet_l0_dense_golden.json", shape)
    model = prepare_graph(features.to(memory_format=torch.contiguous_format), graph, channels_last)
    with torch.no_grad():
        outputs = model(golden_input(shape).double())
    assert len(outputs) == len(case["outputs"]) == 4
    for i, (actual, expected) in enumerate(zip(outputs, case["outputs"], strict=True)):
        _assert_summary(actual, expected, f"{graph} feature {i}")
