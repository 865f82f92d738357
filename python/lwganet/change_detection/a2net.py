"""A2Net change-detection head on the LWGANet backbone.

Two co-registered images (BGR, ImageNet statistics in BGR order) go through one shared
backbone; neighbour aggregation (``swa``), temporal fusion of |a − b| (``tfm``) and a
supervised-attention decoder give a change logit at stride 4. The model returns only the
main output, σ(bilinear ×4 of that logit), as (B, 1, H, W) change probability; upstream's
three deep-supervision maps are training-only. Names follow the official state_dict.
"""

from typing import List, Tuple

import torch
import torch.nn.functional as F
from torch import nn

from ..backbone import VariantConfig
from ..features import LWGANetFeatures
from ..layers.padding import pad_to_stride

__all__ = ["A2NetLWGANet", "MIN_CHANGE_SIZE"]

MIN_CHANGE_SIZE = 64  # the stride-32 maps stay ≥ 2×2, as the dilated convs expect some context


def cbr(cin: int, cout: int, pool: bool = False) -> nn.Sequential:
    """conv3×3 (bias) + BN + ReLU, optionally after a 2×2 max-pool (then conv/BN sit at .1/.2)."""
    layers: List[nn.Module] = [nn.MaxPool2d(2, 2)] if pool else []
    layers += [nn.Conv2d(cin, cout, 3, padding=1), nn.BatchNorm2d(cout), nn.ReLU()]
    return nn.Sequential(*layers)


def up2(x: torch.Tensor) -> torch.Tensor:
    return F.interpolate(x, scale_factor=2.0, mode="bilinear", align_corners=False)


class FeatureFusionModule(nn.Module):
    """ReLU(BN(conv3×3(ReLU(BN(conv3×3(fuse))))) + conv1×1(identity))."""

    def __init__(self, fuse_d: int, id_d: int, out_d: int) -> None:
        super().__init__()
        self.conv_fuse = nn.Sequential(nn.Conv2d(fuse_d, out_d, 3, padding=1), nn.BatchNorm2d(out_d), nn.ReLU(),
                                       nn.Conv2d(out_d, out_d, 3, padding=1), nn.BatchNorm2d(out_d))
        self.conv_identity = nn.Conv2d(id_d, out_d, 1)

    def forward(self, fuse: torch.Tensor, identity: torch.Tensor) -> torch.Tensor:
        return F.relu(self.conv_fuse(fuse) + self.conv_identity(identity))


class NeighborFeatureAggregation(nn.Module):
    """Each scale gathers its neighbours (finer: max-pooled, coarser: upsampled), width 32 → 64."""

    def __init__(self, in_d: List[int], mid_d: int = 32, out_d: int = 64) -> None:
        super().__init__()
        c2, c3, c4, c5 = in_d
        self.conv_scale2_c2 = cbr(c2, mid_d)
        self.conv_scale2_c3 = cbr(c3, mid_d)
        self.conv_aggregation_s2 = FeatureFusionModule(mid_d * 2, c2, out_d)
        self.conv_scale3_c2 = cbr(c2, mid_d, pool=True)
        self.conv_scale3_c3 = cbr(c3, mid_d)
        self.conv_scale3_c4 = cbr(c4, mid_d)
        self.conv_aggregation_s3 = FeatureFusionModule(mid_d * 3, c3, out_d)
        self.conv_scale4_c3 = cbr(c3, mid_d, pool=True)
        self.conv_scale4_c4 = cbr(c4, mid_d)
        self.conv_scale4_c5 = cbr(c5, mid_d)
        self.conv_aggregation_s4 = FeatureFusionModule(mid_d * 3, c4, out_d)
        self.conv_scale5_c4 = cbr(c4, mid_d, pool=True)
        self.conv_scale5_c5 = cbr(c5, mid_d)
        self.conv_aggregation_s5 = FeatureFusionModule(mid_d * 2, c5, out_d)

    def forward(self, c2: torch.Tensor, c3: torch.Tensor, c4: torch.Tensor, c5: torch.Tensor
                ) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        s2 = self.conv_aggregation_s2(torch.cat([self.conv_scale2_c2(c2), up2(self.conv_scale2_c3(c3))], 1), c2)
        s3 = self.conv_aggregation_s3(torch.cat([self.conv_scale3_c2(c2), self.conv_scale3_c3(c3),
                                                 up2(self.conv_scale3_c4(c4))], 1), c3)
        s4 = self.conv_aggregation_s4(torch.cat([self.conv_scale4_c3(c3), self.conv_scale4_c4(c4),
                                                 up2(self.conv_scale4_c5(c5))], 1), c4)
        s5 = self.conv_aggregation_s5(torch.cat([self.conv_scale5_c4(c4), self.conv_scale5_c5(c5)], 1), c5)
        return s2, s3, s4, s5


def conv_bn_dilated(dim: int, dilation: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(dim, dim, 3, padding=dilation, dilation=dilation), nn.BatchNorm2d(dim))


class TemporalFeatureFusionModule(nn.Module):
    """Cascade of dilated convs (7, 5, 3, 1) on |a − b|, each re-injecting a 1×1 view of it."""

    def __init__(self, dim: int = 64) -> None:
        super().__init__()
        self.conv_branch1 = conv_bn_dilated(dim, 7)
        self.conv_branch2 = nn.Conv2d(dim, dim, 1)
        self.conv_branch2_f = conv_bn_dilated(dim, 5)
        self.conv_branch3 = nn.Conv2d(dim, dim, 1)
        self.conv_branch3_f = conv_bn_dilated(dim, 3)
        self.conv_branch4 = nn.Conv2d(dim, dim, 1)
        self.conv_branch4_f = conv_bn_dilated(dim, 1)
        self.conv_branch5 = nn.Conv2d(dim, dim, 1)

    def forward(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        d = torch.abs(a - b)
        y = self.conv_branch1(d)
        y = self.conv_branch2_f(F.relu(self.conv_branch2(d) + y))
        y = self.conv_branch3_f(F.relu(self.conv_branch3(d) + y))
        y = self.conv_branch4_f(F.relu(self.conv_branch4(d) + y))
        return F.relu(self.conv_branch5(d) + y)


class TemporalFusionModule(nn.Module):
    def __init__(self, dim: int = 64) -> None:
        super().__init__()
        self.tffm_x2 = TemporalFeatureFusionModule(dim)
        self.tffm_x3 = TemporalFeatureFusionModule(dim)
        self.tffm_x4 = TemporalFeatureFusionModule(dim)
        self.tffm_x5 = TemporalFeatureFusionModule(dim)


class SupervisedAttentionModule(nn.Module):
    """A 1-channel change logit m gates x through context from [σ(m), 1 − σ(m)]."""

    def __init__(self, dim: int = 64) -> None:
        super().__init__()
        self.cls = nn.Conv2d(dim, 1, 1)
        self.conv_context = nn.Sequential(nn.Conv2d(2, dim, 1), nn.BatchNorm2d(dim), nn.ReLU())
        self.conv2 = cbr(dim, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        mask = torch.sigmoid(self.cls(x))
        context = self.conv_context(torch.cat([mask, 1 - mask], 1))
        return self.conv2(x * context)


class Decoder(nn.Module):
    def __init__(self, dim: int = 64) -> None:
        super().__init__()
        self.sam_p5 = SupervisedAttentionModule(dim)
        self.sam_p4 = SupervisedAttentionModule(dim)
        self.sam_p3 = SupervisedAttentionModule(dim)
        self.conv_p4 = cbr(dim, dim)
        self.conv_p3 = cbr(dim, dim)
        self.conv_p2 = cbr(dim, dim)
        self.cls = nn.Conv2d(dim, 1, 1)

    def forward(self, d2: torch.Tensor, d3: torch.Tensor, d4: torch.Tensor, d5: torch.Tensor) -> torch.Tensor:
        p5 = self.sam_p5(d5)
        p4 = self.sam_p4(self.conv_p4(d4 + up2(p5)))
        p3 = self.sam_p3(self.conv_p3(d3 + up2(p4)))
        p2 = self.conv_p2(d2 + up2(p3))
        return self.cls(p2)  # the main change logit, stride 4


class A2NetLWGANet(nn.Module):
    """forward(a, b): two (B, 3, H, W) normalised BGR images → (B, 1, H, W) change probability."""

    def __init__(self, cfg: VariantConfig, mid_d: int = 32, out_d: int = 64) -> None:
        super().__init__()
        self.backbone = LWGANetFeatures(cfg)
        self.swa = NeighborFeatureAggregation(list(cfg.widths), mid_d, out_d)
        self.tfm = TemporalFusionModule(out_d)
        self.decoder = Decoder(out_d)
        self.min_input_size = MIN_CHANGE_SIZE

    def forward(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        if a.shape != b.shape:
            raise ValueError("A2Net-LWGANet needs the two images at the same size")
        if not torch.jit.is_tracing() and (a.shape[2] < self.min_input_size or a.shape[3] < self.min_input_size):
            raise ValueError("A2Net-LWGANet needs inputs of at least 64x64 pixels")
        a, height, width = pad_to_stride(a)
        b, _, _ = pad_to_stride(b)
        a2, a3, a4, a5 = self.backbone(a)
        b2, b3, b4, b5 = self.backbone(b)
        a2, a3, a4, a5 = self.swa(a2, a3, a4, a5)
        b2, b3, b4, b5 = self.swa(b2, b3, b4, b5)
        d2 = self.tfm.tffm_x2(a2, b2)
        d3 = self.tfm.tffm_x3(a3, b3)
        d4 = self.tfm.tffm_x4(a4, b4)
        d5 = self.tfm.tffm_x5(a5, b5)
        logit = self.decoder(d2, d3, d4, d5)
        logit = F.interpolate(logit, size=[a.shape[2], a.shape[3]], mode="bilinear", align_corners=False)
        return torch.sigmoid(logit[:, :, :height, :width])
