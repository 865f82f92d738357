"""Model contract tests, parametrised over the registry: construction, shapes, input sizes,
formulations and the relation between the classifier and the dense backbone."""

import pytest
import torch
from torch import nn

import lwganet
from lwganet.backbone import DEFAULT_FORMULATIONS, LWGANet, VariantConfig, feature_sizes, set_formulation
from conftest import VARIANT_NAMES, fill_, image

OFFICIAL_FORM = dict(unpool="max_unpool")  # the upstream op sequence (floor-mode pool + max_unpool2d)


def test_registry_lists_the_three_variants():
    assert [n for n in lwganet.list_models() if n.startswith("lwganet_")] == list(VARIANT_NAMES)


def test_unknown_model_error_names_the_choices():
    with pytest.raises(ValueError, match="unknown model 'lwganet_l9'; available: .*lwganet_l0, lwganet_l1, lwganet_l2"):
        lwganet.create_model("lwganet_l9")


@pytest.mark.parametrize("labels,classes", [("nwpu-resisc45", 45), ("aid", 30), ("ucm", 21), ("imagenet-1k", 1000),
                                            (["a", "b", "c"], 3)])
def test_labels_fix_num_classes(labels, classes):
    model = lwganet.create_model("lwganet_l0", labels=labels)
    assert model.head.out_features == classes == model.num_classes


def test_bad_calls_to_create_model():
    with pytest.raises(ValueError, match="contradicts labels"):
        lwganet.create_model("lwganet_l0", num_classes=10, labels="aid")
    with pytest.raises(ValueError, match="no classifier"):
        lwganet.create_model("lwganet_l0", features_only=True, labels="aid")
    with pytest.raises(ValueError, match="unknown label set 'nope'"):
        lwganet.create_model("lwganet_l0", labels="nope")
    with pytest.raises(ValueError, match="must be >= 0"):
        lwganet.create_model("lwganet_l0", num_classes=-1)


def test_num_classes_zero_returns_pooled_features():
    model = fill_(lwganet.create_model("lwganet_l0", num_classes=0))
    assert "head.weight" not in model.state_dict()
    assert model(image(64, 64, dtype=torch.float32)).shape == (1, 1280)


@pytest.mark.parametrize("name", VARIANT_NAMES)
def test_forward_shapes(name):
    widths = {"lwganet_l0": 32, "lwganet_l1": 64, "lwganet_l2": 96}[name]
    classifier = lwganet.create_model(name, labels="ucm")
    backbone = lwganet.create_model(name, features_only=True)
    x = image(64, 96, batch=2, dtype=torch.float32)
    with torch.no_grad():  # float32: the dtype users run (first calls pay oneDNN's kernel JIT)
        assert classifier(x).shape == (2, 21)
        maps = backbone(x)
    assert isinstance(maps, tuple) and len(maps) == 4
    for i, (m, (h, w)) in enumerate(zip(maps, feature_sizes(64, 96), strict=True)):
        assert m.shape == (2, widths * 2 ** i, h, w)
    assert backbone.feature_info[3] == dict(num_chs=widths * 8, reduction=32, module="norm6")


@pytest.mark.parametrize("size", [96, 99, 130])
def test_default_equals_official_op_sequence_on_official_sizes(size):
    """Square sides 32k..32k+3 (k ≥ 3) are the sizes the official network accepts: there our
    any-size formulation (ceil-mode pool + scatter) must give bit-identical results."""
    model = fill_(lwganet.create_model("lwganet_l0", features_only=True).double(), seed=1)
    x = image(size, size)
    with torch.no_grad():
        ours = model(x)
        official = set_formulation(model, **OFFICIAL_FORM)(x)
    for a, b in zip(ours, official, strict=True):
        assert torch.equal(a, b)


@pytest.mark.parametrize("h,w", [(100, 100), (64, 64), (33, 47), (96, 128), (131, 97)])
def test_any_size_runs_where_the_official_network_does_not(h, w):
    """Odd maps at every stage (100: 25/13/7/4), sizes below 96, non-square inputs."""
    model = fill_(lwganet.create_model("lwganet_l0", features_only=True).double(), seed=2)
    with torch.no_grad():
        maps = model(image(h, w))
    assert [tuple(m.shape[-2:]) for m in maps] == feature_sizes(h, w)
    assert all(torch.isfinite(m).all() for m in maps)


def test_any_size_outputs_are_deterministic():
    model = fill_(lwganet.create_model("lwganet_l0", features_only=True).double(), seed=2)
    x = image(33, 47)
    with torch.no_grad():
        first, second = model(x), model(x.clone())
    assert all(torch.equal(m, n) for m, n in zip(first, second, strict=True))


def test_official_op_sequence_rejects_odd_maps_like_upstream():
    model = set_formulation(lwganet.create_model("lwganet_l0", features_only=True), **OFFICIAL_FORM)
    with pytest.raises(RuntimeError):
        model(image(100, 100, dtype=torch.float32))  # stage-1 map 25×25


def test_inputs_below_32_pixels_are_rejected():
    model = lwganet.create_model("lwganet_l0")
    with pytest.raises(ValueError, match=r"at least 32x32 pixels \(height and width\)"):
        model(image(31, 64, dtype=torch.float32))


def test_inputs_of_exactly_32_pixels_run():
    # The limit is inclusive on each side: 32 rows or 32 columns are the smallest accepted.
    model = lwganet.create_model("lwganet_l0", features_only=True).eval()
    with torch.no_grad():
        for h, w in ((32, 40), (40, 32)):
            maps = model(image(h, w, dtype=torch.float32))
            assert [tuple(m.shape[-2:]) for m in maps] == feature_sizes(h, w)


def test_variant_with_a_depth_per_stage_missing_is_refused():
    # Four widths need four depths: three would silently build a network without its last stage.
    with pytest.raises(ValueError):
        LWGANet(VariantConfig(stem_dim=8, depths=(1, 1, 1), act_layer=nn.GELU))


def test_batch_items_are_independent():
    model = fill_(lwganet.create_model("lwganet_l0").double(), seed=3)
    x = image(72, 72, batch=2)
    with torch.no_grad():
        batched = model(x)
        single = torch.cat([model(x[i:i + 1]) for i in range(2)])
    torch.testing.assert_close(batched, single, rtol=0, atol=1e-12)


@pytest.mark.parametrize("name", VARIANT_NAMES)
def test_alternative_formulations_match_without_touching_the_state_dict(name):
    model = fill_(lwganet.create_model(name, labels="aid").double(), seed=4)
    keys = list(model.state_dict())
    x = image(72, 72)
    with torch.no_grad():
        reference = model(x)
        fast = set_formulation(model, mra="fused", attention="sdpa")(x)
    assert list(model.state_dict()) == keys
    torch.testing.assert_close(fast, reference, rtol=0, atol=1e-10)
    set_formulation(model, **DEFAULT_FORMULATIONS)
    with torch.no_grad():
        assert torch.equal(model(x), reference)


def test_unknown_formulation_is_rejected():
    model = lwganet.create_model("lwganet_l0")
    with pytest.raises(ValueError, match="unknown mra formulation 'fast'"):
        set_formulation(model, mra="fast")
    with pytest.raises(ValueError, match="unknown formulation 'speed'"):
        set_formulation(model, speed="max")


def test_dense_outputs_are_normalised_stage_outputs():
    """Same trunk weights: dense output i = norm_{2i}(stage output i); with default
    norms that is the stage output / sqrt(1 + 1e-5)."""
    classifier = fill_(lwganet.create_model("lwganet_l0").double(), seed=5)
    backbone = lwganet.create_model("lwganet_l0", features_only=True).double()
    lwganet.load_checkpoint(backbone, classifier.state_dict())
    x = image(96, 96)
    with torch.no_grad():
        stages = classifier.forward_stages(x)
        maps = backbone(x)
    for stage, m in zip(stages, maps, strict=True):
        torch.testing.assert_close(m, stage / (1 + 1e-5) ** 0.5, rtol=1e-12, atol=1e-12)


def test_float32_logits_follow_float64():
    """float32 vs float64 can differ by near-tie routing (conftest.py); logits stay close."""
    model = fill_(lwganet.create_model("lwganet_l0").double(), seed=6)
    x = image(96, 96)
    with torch.no_grad():
        exact = model(x)
        single = model.float()(x.float()).double()
    torch.testing.assert_close(single, exact, rtol=1e-3, atol=1e-3)


def test_creation_is_deterministic_under_a_seed():
    torch.manual_seed(7)
    a = lwganet.create_model("lwganet_l0").state_dict()
    torch.manual_seed(7)
    b = lwganet.create_model("lwganet_l0").state_dict()
    assert all(torch.equal(a[k], b[k]) for k in a)
