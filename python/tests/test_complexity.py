"""Parameter and FLOP counts reproduce the paper (45-class NWPU models) and our two counting conventions (complexity.py)."""

import pytest

import lwganet
from lwganet.cli import main, model_info

# name: (params 45 cls, paper GFLOPs, ptflops GFLOPs 45 cls, MACs G 1000 cls, params 1000 cls, dense)
EXPECTED = {
    "lwganet_l0": (1_717_423, 0.186, 0.1866, 0.1834, 2_940_778, 1_333_058),
    "lwganet_l1": (5_906_975, 0.709, 0.7098, 0.7024, 7_130_330, 5_195_890),
    "lwganet_l2": (13_040_667, 1.87, 1.8733, 1.8576, 14_264_022, 12_002_862),
}


@pytest.mark.parametrize("name", list(EXPECTED))
def test_counts_match_paper_and_conventions(name):
    params45, paper_g, spec_g, spec_macs, params1000, params_dense = EXPECTED[name]
    info = model_info(name)
    assert info["nwpu45"]["params"] == params45
    assert abs(params45 / 1e6 - info["paper"]["paramsMillions"]) / info["paper"]["paramsMillions"] < 0.005
    assert info["imagenet1k"]["params"] == params1000 and info["features"]["params"] == params_dense
    flops = info["nwpu45"]["flops"] / 1e9
    assert round(flops, 4) == spec_g
    assert abs(flops - paper_g) / paper_g < 0.005  # paper rounds to 3 significant digits
    assert round(info["imagenet1k"]["macs"] / 1e9, 4) == spec_macs


def test_counting_leaves_the_chosen_formulation_in_place():
    model = lwganet.set_formulation(lwganet.create_model("lwganet_l0", labels="ucm"), mra="fused")
    assert lwganet.count_flops(model, (96, 96), "macs") > 0
    assert all(m.formulation == "fused" for m in model.modules() if type(m).__name__ == "MRA")


def test_info_command_prints_paper_numbers(capsys):
    assert main(["info", "lwganet_l0"]) == 0
    out = capsys.readouterr().out
    assert "params 1,717,423 (paper 1.72 M), FLOPs 0.1866 G (paper 0.186 G" in out
