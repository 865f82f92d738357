"""Writes what bench/roi-align.mjs times: the grid_sample reference of the rotated RoIAlign scripted
on its own (reference.pt), the operator call the exported detector makes (native.pt: native in the
addon), a seeded P2-sized map (1, 256, 256, 256) and 2000 rotated RoIs of a 1024² patch at scale 1/4.

Usage: python make_roi_align.py OUT_DIR
"""

import sys
import warnings
from pathlib import Path

import torch
from torch import Tensor, nn

from lwganet.detection import native_ops  # noqa: F401 (registers torch.ops.lwganet.rotated_roi_align)
from lwganet.detection.rotated_roi_align import rotated_roi_align

warnings.filterwarnings("ignore")


class Reference(nn.Module):
    def forward(self, features: Tensor, rois: Tensor, params: Tensor) -> Tensor:
        return rotated_roi_align(features, rois, float(params[0].item()), int(params[1].item()), int(params[2].item()))


class Native(nn.Module):
    def forward(self, features: Tensor, rois: Tensor, params: Tensor) -> Tensor:
        return torch.ops.lwganet.rotated_roi_align(features, rois, float(params[0].item()), int(params[1].item()),
                                                   int(params[2].item()))


def main() -> None:
    out = Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    torch.jit.save(torch.jit.script(Reference()), str(out / "reference.pt"))
    torch.jit.save(torch.jit.script(Native()), str(out / "native.pt"))
    gen = torch.Generator().manual_seed(0)
    torch.randn(1, 256, 256, 256, generator=gen).numpy().tofile(out / "features.f32")
    n = 2000
    xy = torch.rand(n, 2, generator=gen) * 1024
    wh = 16 + torch.rand(n, 2, generator=gen) * 100
    angle = (torch.rand(n, 1, generator=gen) - 0.5) * torch.pi
    torch.cat([xy, wh, angle], 1).numpy().tofile(out / "rois.f32")


if __name__ == "__main__":
    main()
