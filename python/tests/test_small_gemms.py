"""Small 1x1 convolutions compiled as GEMM kernels (formats/small_gemms.py): which convolutions
the rule picks at which shapes, that the rewritten model computes the same function, and that a
compiled package really carries the C++ GEMM template's kernels and equals eager."""

import re
import zipfile

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from lwganet.formats import pt2
from lwganet.formats.pt2 import CompiledEntry, package_entries
from lwganet.formats.small_gemms import MAX_MACS, PointwiseGemm, activation_products, small_convs_as_gemms


class OneConv(nn.Module):
    def __init__(self, conv: nn.Conv2d, cin: int) -> None:
        super().__init__()
        self.cin = cin
        self.conv = conv

    def forward(self, x):
        return self.conv(x[:, : self.cin])


def rewritten(conv: nn.Conv2d, shape):
    model = OneConv(conv, shape[1]).eval()
    copy, replaced = small_convs_as_gemms(model, (torch.randn(shape),))
    assert replaced == int(isinstance(copy.conv, PointwiseGemm))
    return copy, replaced


@pytest.mark.parametrize("cin,cout,side,batch,want", [
    (16, 8, 14, 1, 1),          # 25 k multiply-adds
    (256, 128, 14, 1, 0),       # 6.4 M: oneDNN is faster
    (100, 100, 10, 1, 1),       # exactly MAX_MACS
    (100, 101, 10, 1, 0),       # one output channel more
    (32, 8, 56, 1, 0),          # few output channels on a large map
    (8, 32, 56, 1, 1),          # the same map with 32 output channels
    (8, 8, 32, 1, 1),           # 1024 positions: not yet a large map
    (8, 8, 32, 2, 0),           # two images of them are
    (16, 16, 14, 16, 1),        # batch 16: 803 k
    (64, 64, 14, 16, 0),        # batch 16: 12.8 M
])
def test_the_rule_picks_small_convolutions(cin, cout, side, batch, want):
    assert 100 * 10 * 10 * 100 == MAX_MACS
    _, replaced = rewritten(nn.Conv2d(cin, cout, 1), (batch, cin, side, side))
    assert replaced == want


@pytest.mark.parametrize("conv", [
    nn.Conv2d(16, 8, 1, stride=2), nn.Conv2d(16, 8, 1, padding=1), nn.Conv2d(16, 8, 1, groups=2),
    nn.Conv2d(16, 8, 1, dilation=2), nn.Conv2d(16, 8, 3, padding=1), nn.Conv2d(16, 8, 1, padding_mode="reflect"),
], ids=["strided", "padded", "grouped", "dilated", "3x3", "reflect"])
def test_other_convolutions_stay(conv):
    _, replaced = rewritten(conv, (1, 16, 14, 14))
    assert replaced == 0


class Shared(nn.Module):
    """One 1x1 convolution called at two sizes, and one the forward never calls."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(64, 64, 1)
        self.unused = nn.Conv2d(8, 8, 1)

    def forward(self, x):
        return self.conv(x).mean() + self.conv(F.interpolate(x, scale_factor=8.0)).mean()


def test_a_convolution_is_replaced_only_if_every_call_is_small():
    model = Shared().eval()
    copy, replaced = small_convs_as_gemms(model, (torch.randn(1, 64, 4, 4),))  # 64 k, then 4.2 M
    assert replaced == 0 and isinstance(copy.conv, nn.Conv2d) and isinstance(copy.unused, nn.Conv2d)
    copy, replaced = small_convs_as_gemms(model, (torch.randn(1, 64, 2, 2),))  # 16 k, then 1.05 M
    assert replaced == 0
    copy, replaced = small_convs_as_gemms(model, (torch.randn(1, 64, 1, 1),))  # 4 k, then 262 k
    assert replaced == 1 and isinstance(copy.conv, PointwiseGemm) and isinstance(copy.unused, nn.Conv2d)


class Tiny(nn.Module):
    """A 3x3 stem (kept), two small 1x1 convolutions with and without bias (replaced). No other
    matrix product: the compiled code's GEMM kernels can only come from the two."""

    def __init__(self) -> None:
        super().__init__()
        self.stem = nn.Conv2d(3, 16, 3, padding=1)
        self.reduce = nn.Conv2d(16, 8, 1, bias=False)
        self.norm = nn.BatchNorm2d(8)
        self.expand = nn.Conv2d(8, 16, 1)

    def forward(self, x):
        y = self.stem(x)
        return y + self.expand(F.gelu(self.norm(self.reduce(y))))


def tiny_model() -> nn.Module:
    torch.manual_seed(3)
    model = Tiny()
    with torch.no_grad():  # non-trivial statistics, so a mis-ordered norm shows
        model.norm.running_mean.uniform_(-0.5, 0.5)
        model.norm.running_var.uniform_(0.5, 2.0)
    return model.eval()


@pytest.mark.parametrize("channels_last", [False, True])
def test_the_rewritten_model_computes_the_same_function(channels_last):
    model = tiny_model()
    x = torch.randn(2, 3, 20, 20)
    if channels_last:
        model = model.to(memory_format=torch.channels_last)
        x = x.contiguous(memory_format=torch.channels_last)
    copy, replaced = small_convs_as_gemms(model, (x,))
    assert replaced == 2
    assert isinstance(model.reduce, nn.Conv2d) and isinstance(model.expand, nn.Conv2d)  # the original is kept
    assert sorted(copy.state_dict()) == sorted(model.state_dict())
    with torch.no_grad():
        torch.testing.assert_close(copy(x), model(x), rtol=1e-5, atol=1e-6)
        y = copy.expand(torch.randn(1, 8, 6, 7, dtype=x.dtype).contiguous(
            memory_format=torch.channels_last if channels_last else torch.contiguous_format))
        reference = model.expand(torch.zeros(1, 8, 6, 7))
    assert y.shape == reference.shape == (1, 16, 6, 7)
    if channels_last:  # the product's NCHW view has channels-last strides, as the conv's output
        assert y.is_contiguous(memory_format=torch.channels_last)


def test_a_compiled_package_runs_the_gemm_kernels_and_equals_eager(tmp_path):
    model = tiny_model().to(memory_format=torch.channels_last)
    x = torch.randn(1, 3, 24, 24)
    out = tmp_path / "tiny.pt2"
    written = package_entries(model, [CompiledEntry("b1_24x24", (x,))], out, "{}", compiled_rewrites=True)
    assert written["b1_24x24"]["lwganet.gemmConvs"] == "2"
    with zipfile.ZipFile(out) as package:
        sources = [package.read(n).decode("utf-8", "replace") for n in package.namelist() if n.endswith(".cpp")]
    kernels = {name for code in sources for name in re.findall(r"\b(\w+)_micro_gemm\b", code)}
    assert len(kernels) >= 2, f"one C++ GEMM template kernel per rewritten convolution, got {sorted(kernels)}"
    loader = torch._C._aoti.AOTIModelPackageLoader(str(out), "b1_24x24", False, 1, -1)
    assert loader.get_metadata()["lwganet.gemmConvs"] == "2"
    with torch.no_grad():
        torch.testing.assert_close(loader.run([x])[0], model(x), rtol=1e-4, atol=1e-5)


class Attention(nn.Module):
    """A small 1x1 convolution, then a product of two activations (as window attention)."""

    def __init__(self) -> None:
        super().__init__()
        self.stem = nn.Conv2d(3, 16, 3, padding=1)
        self.proj = nn.Conv2d(16, 16, 1)

    def forward(self, x):
        t = self.proj(self.stem(x)).flatten(2)
        return t @ torch.softmax(t.transpose(1, 2) @ t, dim=-1)


class ActivationWeight(nn.Module):
    def forward(self, x, y):
        return F.linear(x, y)


class ComputedWeight(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.randn(4, 2, 1, 1))

    def forward(self, x):
        return F.linear(x, self.weight.flatten(1) * 2)


class ConstantProduct(nn.Module):
    """A conv kernel computed as a product of two parameters, as LWGANet's fused MRA kernel."""

    def __init__(self) -> None:
        super().__init__()
        self.taps = nn.Parameter(torch.randn(4, 6))
        self.placement = nn.Parameter(torch.randn(6, 9))

    def forward(self, x):
        return F.conv2d(x, (self.taps @ self.placement).view(4, 1, 3, 3), padding=1, groups=4)


def test_a_product_of_constants_is_not_an_activation_product():
    # Freezing folds it before kernels are chosen; counting it turned the rewrite off for every
    # LWGANet fast graph (MRA's taps @ placement).
    with torch.no_grad():
        assert activation_products(torch.export.export(ConstantProduct(), (torch.randn(1, 4, 5, 5),))) == []


def test_activation_products_are_found():
    with torch.no_grad():
        tiny, _ = small_convs_as_gemms(tiny_model(), (torch.randn(1, 3, 8, 8),))
        assert activation_products(torch.export.export(tiny, (torch.randn(1, 3, 8, 8),))) == []
        assert activation_products(torch.export.export(ComputedWeight(), (torch.randn(3, 2),))) == []
        assert len(activation_products(torch.export.export(Attention().eval(), (torch.randn(1, 3, 6, 6),)))) == 2
        assert len(activation_products(torch.export.export(ActivationWeight(), (torch.randn(3, 2), torch.randn(4, 2))))) == 1


def test_a_graph_multiplying_activations_compiles_without_the_rewrite(tmp_path):
    # The GEMM options leave such a product no kernel to choose: the compile would fail.
    model = Attention().eval()
    x = torch.randn(1, 3, 8, 8)
    out = tmp_path / "attention.pt2"
    written = package_entries(model, [CompiledEntry("b1_8x8", (x,))], out, "{}", compiled_rewrites=True)
    assert written["b1_8x8"]["lwganet.gemmConvs"] == "0"
    loader = torch._C._aoti.AOTIModelPackageLoader(str(out), "b1_8x8", False, 1, -1)
    with torch.no_grad():
        torch.testing.assert_close(loader.run([x])[0], model(x), rtol=1e-4, atol=1e-5)


def test_a_convolution_registered_twice_is_one_gemm():
    model = tiny_model()
    model.wrapped = nn.Sequential(model.reduce)  # the same module under a second parent
    copy, replaced = small_convs_as_gemms(model, (torch.randn(1, 3, 8, 8),))
    assert replaced == 2 and copy.wrapped[0] is copy.reduce and isinstance(copy.reduce, PointwiseGemm)


def test_only_the_fast_graph_asks_for_the_rewrite(monkeypatch, tmp_path):
    asked = []
    monkeypatch.setattr(pt2, "package_entries", lambda *a, compiled_rewrites=False, **k: asked.append(compiled_rewrites) or {})
    from lwganet.cli import main
    for graph in ("fast", "official"):
        assert main(["export", "lwganet_l0", "--format", "pt2", "--graph", graph,
                     "--out", str(tmp_path / f"{graph}.pt2")]) == 0
    assert asked == [True, False]
