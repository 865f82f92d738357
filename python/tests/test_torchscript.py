"""Every variant and mode scripts and traces; compiled graphs equal eager, at the compiled
size and at other sizes, and survive freeze and save/load.

The per-variant checks run with ``torch.jit.optimized_execution(False)``: the profiling
executor spends seconds optimising the graph on its first calls, which would dominate the
suite on two cores. One test keeps the optimising executor to cover that path.
"""

import io

import pytest
import torch

import lwganet
from lwganet.backbone import set_formulation
from conftest import VARIANT_NAMES, fill_, image

MODES = [False, True]


def outputs(result):
    return result if isinstance(result, tuple) else (result,)


def assert_equal(got, want):
    for g, w in zip(outputs(got), outputs(want), strict=True):
        assert g.shape == w.shape and torch.equal(g, w)


@pytest.fixture(scope="module", params=[(n, f) for n in VARIANT_NAMES for f in MODES],
                ids=[f"{n}-{'dense' if f else 'cls'}" for n in VARIANT_NAMES for f in MODES])
def model(request):
    name, features_only = request.param
    # float64: exact comparisons, and no oneDNN kernel JIT on first calls (float32 pays
    # seconds of it per model and shape on two cores; the export tests cover float32).
    return fill_(lwganet.create_model(name, features_only=features_only).double(), seed=21)


def test_script_equals_eager(model):
    scripted = torch.jit.script(model)
    with torch.no_grad(), torch.jit.optimized_execution(False):
        # Odd, non-square, with 2-pixel stage-4 maps: scripting keeps the mirrored-BlurPool branch.
        x = image(67, 101)
        assert_equal(scripted(x), model(x))


def test_trace_equals_eager_and_stays_shape_generic(model):
    with torch.no_grad(), torch.jit.optimized_execution(False):
        traced = torch.jit.trace(model, image(72, 72), check_trace=False)
        for h, w in [(72, 72), (96, 81)]:
            x = image(h, w, seed=1)
            assert_equal(traced(x), model(x))


def test_frozen_script_survives_save_and_load():
    model = fill_(lwganet.create_model("lwganet_l0").double(), seed=22)
    frozen = torch.jit.freeze(torch.jit.script(model))
    buffer = io.BytesIO()
    torch.jit.save(frozen, buffer)
    buffer.seek(0)
    loaded = torch.jit.load(buffer)
    x = image(96, 96)
    with torch.no_grad(), torch.jit.optimized_execution(False):
        assert_equal(loaded(x), frozen(x))
        # freezing folds conv+BN, which changes rounding: close, not identical
        torch.testing.assert_close(frozen(x), model(x), rtol=1e-9, atol=1e-9)


def test_optimising_executor_equals_eager():
    model = fill_(lwganet.create_model("lwganet_l0", labels="aid"), seed=24)
    scripted = torch.jit.script(model)
    x = image(96, 96, dtype=torch.float32)
    with torch.no_grad():
        for _ in range(2):  # profiling run, then the optimised graph
            assert_equal(scripted(x), model(x))


def test_alternative_formulations_script():
    model = fill_(lwganet.create_model("lwganet_l0", features_only=True).double(), seed=23)
    set_formulation(model, mra="fused", unpool="max_unpool", attention="sdpa")
    scripted = torch.jit.script(model)
    x = image(96, 96)
    with torch.no_grad():
        assert_equal(scripted(x), model(x))


def test_scripted_model_reports_small_inputs():
    scripted = torch.jit.script(lwganet.create_model("lwganet_l0"))
    with pytest.raises(torch.jit.Error, match="at least 32x32 pixels"):
        scripted(image(16, 64, dtype=torch.float32))
