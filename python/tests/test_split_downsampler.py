"""DRFD with its channel-doubling convolution split into two depthwise halves
(formats/split_downsampler.py): the same function as DRFD, channel for channel."""

import copy

import pytest
import torch
from torch import nn

from lwganet.backbone import DRFD
from lwganet.build import build_model
from lwganet.formats.split_downsampler import MIN_POSITIONS, SplitDRFD, split_downsamplers
from lwganet.graph import prepare_graph


def randomise_statistics(model: nn.Module, seed: int = 5) -> None:
    """Batch norms with non-trivial statistics and affine terms, so a mis-sliced one shows."""
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, nn.BatchNorm2d):
                n = module.num_features
                module.running_mean.copy_(torch.rand(n, generator=generator) - 0.5)
                module.running_var.copy_(torch.rand(n, generator=generator) + 0.5)
                module.weight.copy_(torch.randn(n, generator=generator))
                module.bias.copy_(torch.randn(n, generator=generator))


@pytest.mark.parametrize("dim,height,width", [(8, 16, 16), (8, 15, 9), (12, 7, 10)])
def test_a_split_downsampler_equals_drfd(dim, height, width):
    torch.manual_seed(dim + height)
    drfd = DRFD(dim, nn.GELU)
    randomise_statistics(drfd)
    drfd.eval()
    x = torch.randn(2, dim, height, width)
    with torch.no_grad():
        torch.testing.assert_close(SplitDRFD(drfd)(x), drfd(x), rtol=1e-5, atol=1e-6)


def test_the_halves_are_the_even_and_odd_channels():
    # A planted swap of the halves (or of the fusion's columns) changes the output: a fusion that
    # reads only one channel of the expansion tells which.
    drfd = DRFD(4, nn.ReLU).eval()
    with torch.no_grad():
        drfd.fusion.weight.zero_()
        drfd.fusion.bias.zero_()
        drfd.fusion.weight[0, 1] = 1.0  # conv branch, expansion channel 1 (odd half, first)
        drfd.fusion.weight[1, 8 + 2] = 1.0  # pool branch, expansion channel 2 (even half, second)
    x = torch.randn(1, 4, 8, 8)
    with torch.no_grad():
        want, got = drfd(x), SplitDRFD(drfd)(x)
    assert want[:, :2].abs().sum() > 0
    torch.testing.assert_close(got, want)


def test_downsamplers_split_only_where_every_later_op_is_per_channel():
    plain, prelu, no_affine = DRFD(8, nn.GELU), DRFD(8, nn.GELU), DRFD(8, nn.GELU)
    prelu.act_c = nn.PReLU(16)  # per-channel parameters the halves would not slice
    no_affine.norm_m = nn.BatchNorm2d(16, affine=False)
    model = nn.Sequential(plain, prelu, no_affine)
    assert split_downsamplers(model) == 1
    assert [type(m).__name__ for m in model] == ["SplitDRFD", "DRFD", "DRFD"]


@pytest.mark.parametrize("batch,side,split", [(1, 128, 1), (1, 127, 0), (4, 64, 1), (3, 64, 0)])
def test_at_a_compiled_shape_only_downsamplers_on_large_maps_split(batch, side, split):
    assert MIN_POSITIONS == 128 * 128 == 4 * 64 * 64
    model = nn.Sequential(DRFD(4, nn.GELU), DRFD(8, nn.GELU)).eval()  # the second one sees a quarter
    assert split_downsamplers(model, (torch.randn(batch, 4, side, side),)) == split
    assert isinstance(model[0], SplitDRFD) == bool(split) and isinstance(model[1], DRFD)


@pytest.mark.parametrize("name,features", [("lwganet_l0", False), ("lwganet_l2", True)])
def test_a_whole_model_keeps_its_function(name, features):
    built = build_model(name, features_only=features, labels=None if features else "nwpu-resisc45")
    model = prepare_graph(built.model.float().eval(), "fast")
    randomise_statistics(model)
    split = copy.deepcopy(model)
    assert split_downsamplers(split) == 3
    assert sum(isinstance(m, SplitDRFD) for m in split.modules()) == 3
    x = torch.randn(1, 3, 96, 128).contiguous(memory_format=torch.channels_last)
    with torch.no_grad():
        want, got = model(x), split(x)
    for a, b in zip(got if features else [got], want if features else [want]):
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-5 * float(b.abs().max()))


def test_a_compiled_package_with_split_downsamplers_equals_eager(tmp_path):
    # A compiled slice of a weight (filter 2c + k) once gave wrong outputs: oneDNN's weight packing
    # read the strided view as if it were dense. The halves' weights are made contiguous for that.
    from lwganet.formats.pt2 import CompiledEntry, package_entries

    class Down(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.stem = nn.Conv2d(3, 16, 3, padding=1)
            self.down = DRFD(16, nn.GELU)  # with 8 channels the wrong packing did not show

        def forward(self, x):
            return self.down(self.stem(x))

    torch.manual_seed(11)
    model = Down()
    randomise_statistics(model)
    model = model.eval().to(memory_format=torch.channels_last)
    x = torch.randn(1, 3, 128, 128)  # 16384 positions: split
    out = tmp_path / "down.pt2"
    written = package_entries(model, [CompiledEntry("b1_128x128", (x,))], out, "{}", compiled_rewrites=True)
    assert written["b1_128x128"]["lwganet.splitDownsamplers"] == "1"
    assert isinstance(model.down, DRFD)  # the model passed in is not rewritten
    loader = torch._C._aoti.AOTIModelPackageLoader(str(out), "b1_128x128", False, 1, -1)
    with torch.no_grad():
        want = model(x)
        torch.testing.assert_close(loader.run([x])[0], want, rtol=1e-4, atol=1e-5 * float(want.abs().max()))
