"""Small depthwise convolutions as ``lwganet::depthwise_conv2d`` (formats/depthwise_op.py,
formats/small_depthwise.py): the operator's Python reference and shape function, which
convolutions of an exported graph the rewrite takes, that the rewritten graph computes the same
function, and that a compiled package calls the operator and equals eager. The C++ kernel is
tested from Node (test/depthwise-conv.test.ts) against the same reference."""

import zipfile

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from lwganet.build import create_model
from lwganet.formats.depthwise_op import SCHEMA, depthwise_conv2d, taps_of
from lwganet.formats.pt2 import CompiledEntry, package_entries
from lwganet.formats.small_depthwise import MAX_MACS, small_depthwise_as_op
from lwganet.formats.small_gemms import activation_products, small_convs_as_gemms
from lwganet.graph import prepare_graph

OP = torch.ops.lwganet.depthwise_conv2d.default


@pytest.mark.parametrize("shape,kernel,stride,padding,dilation,bias", [
    ((1, 8, 9, 13), (3, 3), (1, 1), (1, 1), (1, 1), True),
    ((2, 19, 11, 12), (5, 5), (2, 1), (2, 0), (1, 2), False),
    ((1, 16, 3, 3), (13, 13), (1, 1), (6, 6), (1, 1), True),
    ((1, 8, 20, 23), (4, 4), (3, 3), (0, 0), (1, 1), False),
])
def test_the_operator_is_conv2d_with_channels_last_output(shape, kernel, stride, padding, dilation, bias):
    x = torch.randn(shape)
    weight = torch.randn(shape[1], 1, *kernel)
    b = torch.randn(shape[1]) if bias else None
    got = depthwise_conv2d(x, taps_of(weight), b, list(stride), list(padding), list(dilation))
    torch.testing.assert_close(got, F.conv2d(x, weight, b, stride, padding, dilation, shape[1]), rtol=0, atol=0)
    assert got.is_contiguous(memory_format=torch.channels_last)
    assert taps_of(weight).shape == (*kernel, shape[1]) and taps_of(weight).is_contiguous()
    with torch._subclasses.FakeTensorMode():  # the shape function export and Inductor use
        fake = OP(torch.empty(shape), torch.empty(*kernel, shape[1]), None, list(stride), list(padding), list(dilation))
    assert fake.shape == got.shape and fake.is_contiguous(memory_format=torch.channels_last)


def test_the_operator_rejects_mismatched_taps_and_bias():
    x = torch.randn(1, 8, 5, 5)
    with pytest.raises(RuntimeError, match="taps must be"):
        depthwise_conv2d(x, torch.randn(3, 3, 7), None, [1, 1], [1, 1], [1, 1])
    with pytest.raises(RuntimeError, match="bias must be"):
        depthwise_conv2d(x, torch.randn(3, 3, 8), torch.randn(7), [1, 1], [1, 1], [1, 1])
    with pytest.raises(RuntimeError, match="input must be"):
        depthwise_conv2d(torch.randn(8, 5, 5), torch.randn(3, 3, 8), None, [1, 1], [1, 1], [1, 1])
    assert SCHEMA.startswith("depthwise_conv2d(Tensor input, Tensor taps, Tensor? bias")


class Mixed(nn.Module):
    """Each kind of convolution the rewrite must take or leave (at a 12x12 input)."""

    def __init__(self) -> None:
        super().__init__()
        self.small = nn.Conv2d(8, 8, 5, padding=2, groups=8)                 # 28.8 k: taken
        self.dilated = nn.Conv2d(8, 8, 3, padding=2, dilation=2, groups=8, bias=False)  # taken
        self.strided = nn.Conv2d(8, 8, 3, stride=2, padding=1, groups=8)     # taken
        self.large = nn.Conv2d(8, 8, 31, padding=15, groups=8)               # 1.1 M: left
        self.doubling = nn.Conv2d(8, 16, 3, padding=1, groups=8)             # multiplier 2: left
        self.dense = nn.Conv2d(8, 8, 3, padding=1)                           # not depthwise: left
        self.strips = nn.Parameter(torch.randn(8, 2, 3))

    def forward(self, x, gate):
        y = self.small(x) + self.dilated(x) + self.large(x) + self.dense(x)
        kernel = (self.strips[:, 0, :, None] * self.strips[:, 1, None, :]).unsqueeze(1)
        y = y + F.conv2d(y, kernel, padding=1, groups=8)                     # computed from constants: taken
        y = y + F.conv2d(y, gate.view(8, 1, 1, 1).expand(8, 1, 3, 3).contiguous(), padding=1, groups=8)  # input weight: left
        return self.strided(y), self.doubling(y)


def exported(model, example):
    with torch.no_grad():
        return torch.export.export(model.eval(), example).module()


def example():
    return (torch.randn(1, 8, 12, 12), torch.randn(8))


def test_the_rewrite_takes_small_depthwise_convs_with_constant_weights_only():
    model, inputs = Mixed(), example()
    module = exported(model, inputs)
    assert small_depthwise_as_op(module) == 4
    calls = [n for n in module.graph.nodes if n.op == "call_function" and n.target is OP]
    convs = [n for n in module.graph.nodes if n.op == "call_function" and n.target is torch.ops.aten.conv2d.default]
    assert len(calls) == 4 and len(convs) == 4  # large, doubling, dense and the input-weighted one stay
    with torch.no_grad():
        for got, want in zip(module(*inputs), model(*inputs)):
            torch.testing.assert_close(got, want, rtol=1e-5, atol=1e-5)


def test_the_limit_counts_multiply_adds_of_the_output():
    conv = nn.Conv2d(8, 8, 5, padding=2, groups=8)
    macs = 1 * 12 * 12 * 8 * 25
    assert small_depthwise_as_op(exported(conv, (torch.randn(1, 8, 12, 12),)), max_macs=macs) == 1
    assert small_depthwise_as_op(exported(conv, (torch.randn(1, 8, 12, 12),)), max_macs=macs - 1) == 0
    # batch counts: the same conv at batch 2 is twice the work
    assert small_depthwise_as_op(exported(conv, (torch.randn(2, 8, 12, 12),)), max_macs=macs) == 0
    assert MAX_MACS == 250_000


def test_lwganet_l0_at_224_batch_1_gets_its_small_depthwise_convs_and_gemms():
    # Its GA12, MRA, blur-pool and DRFD stride-2 convolutions; a graph-level rule, so the
    # functional ones (MRA, blur pool) count, and the GEMM rewrite is not turned off by MRA.
    model = prepare_graph(create_model("lwganet_l0"), "fast")
    x = (torch.randn(1, 3, 224, 224).contiguous(memory_format=torch.channels_last),)
    gemm_model, gemms = small_convs_as_gemms(model, x)
    with torch.no_grad():
        program = torch.export.export(gemm_model, x)
    assert gemms > 0 and activation_products(program) == []
    module = program.module()
    assert small_depthwise_as_op(module) == 22
    with torch.no_grad():
        torch.testing.assert_close(module(*x), model(*x), rtol=1e-5, atol=1e-6)


def test_a_compiled_package_calls_the_operator_and_equals_eager(tmp_path):
    model = nn.Sequential(nn.Conv2d(3, 16, 3, padding=1), nn.ReLU(), nn.Conv2d(16, 16, 5, padding=2, groups=16),
                          nn.Conv2d(16, 16, 3, stride=2, padding=1, groups=16, bias=False)).eval()
    model = model.to(memory_format=torch.channels_last)
    x = torch.randn(1, 3, 16, 16)
    out = tmp_path / "dw.pt2"
    written = package_entries(model, [CompiledEntry("b1_16x16", (x,))], out, "{}", compiled_rewrites=True)
    assert written["b1_16x16"]["lwganet.depthwiseOps"] == "2"
    with zipfile.ZipFile(out) as package:
        extern = [package.read(n).decode() for n in package.namelist() if n.endswith(".json")]
    assert sum(text.count("lwganet::depthwise_conv2d") for text in extern) >= 1  # the proxy executor's calls
    loader = torch._C._aoti.AOTIModelPackageLoader(str(out), "b1_16x16", False, 1, -1)
    with torch.no_grad():
        torch.testing.assert_close(loader.run([x])[0], model(x), rtol=1e-4, atol=1e-5)
    # Without the rewrite the package has no such call (what the count above rests on).
    plain = tmp_path / "plain.pt2"
    assert "lwganet.depthwiseOps" not in package_entries(model, [CompiledEntry("b1_16x16", (x,))], plain, "{}")["b1_16x16"]
