"""CLAFA change-detection head on the LWGANet backbone, without mmcv.

MoFPN (DCNv2 levels with pyramid offset predictors, SE γ and context-gated-conv β modulation)
per date, then |p(t1) − p(t2)| fused coarse-to-fine by "attend-then-filter" vertical fusion
(deformable cross-attention, then a predicted 5×5 dilated filter), then a gated residual up
head to 2-class logits at full resolution. The model returns softmax(logits)[:, 1:2], the
probability of "changed" (its 0.5 threshold is upstream's argmax).

mmcv ops are replaced by the plain-torch versions in layers/deform_conv.py and
layers/ms_deform_attn.py. Modules that exist only for their checkpoint keys are built and
never run: each DCN's ``conv_offset`` (the offsets come from the pyramid predictor),
the auxiliary heads ``p{2..5}_head`` and ``project``. Unlike upstream the context-gated conv
reshapes with the map's own H, W (upstream uses √L, square maps only), and every size is
derived from the input, so the model scripts and runs at any size.
"""

from typing import List, Tuple

import torch
import torch.nn.functional as F
from torch import nn

from ..backbone import VariantConfig
from ..layers.deform_conv import modulated_deform_conv2d
from ..layers.ms_deform_attn import DeformableAttention
from ..features import LWGANetFeatures
from ..layers.padding import pad_to_stride

__all__ = ["CLAFALWGANet", "MIN_CLAFA_SIZE"]

MIN_CLAFA_SIZE = 64  # the DCN sampling grid needs map sides ≥ 2 at stride 32


class PyramidDCN(nn.Module):
    """DCNv2 3×3 whose offsets/masks come from 1×1/3×3/5×5 grouped conv branches."""

    def __init__(self, cin: int, cout: int, deform_groups: int = 4) -> None:
        super().__init__()
        self.deform_groups = deform_groups
        offset_ch = deform_groups * 3 * 9
        self.weight = nn.Parameter(torch.empty(cout, cin, 3, 3))
        self.bias = nn.Parameter(torch.zeros(cout))
        self.conv_offset = nn.Conv2d(cin, offset_ch, 3, padding=1)  # checkpoint-only (never run)
        self.pyconv_levels = nn.Sequential(*[
            nn.Sequential(nn.Conv2d(cin, offset_ch, k, padding=k // 2, groups=g, bias=False),
                          nn.BatchNorm2d(offset_ch), nn.ReLU())
            for k, g in ((1, 1), (3, deform_groups // 2), (5, deform_groups))])
        self.offset = nn.Conv2d(offset_ch * 3, offset_ch, 1)
        nn.init.kaiming_uniform_(self.weight, a=5 ** 0.5)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        feats: List[torch.Tensor] = []
        for level in self.pyconv_levels:
            feats.append(level(x))
        o1, o2, m = torch.chunk(self.offset(torch.cat(feats, 1)), 3, dim=1)
        return modulated_deform_conv2d(x, torch.cat([o1, o2], 1), torch.sigmoid(m), self.weight, self.bias,
                                       [1, 1], [1, 1], [1, 1], self.deform_groups)


class GenerateGamma(nn.Module):
    """SE gate σ(1×1 → ReLU → 1×1) of the global average."""

    def __init__(self, dim: int) -> None:
        super().__init__()
        self.fc = nn.Sequential(nn.Conv2d(dim, dim // 4, 1, bias=False), nn.ReLU(), nn.Conv2d(dim // 4, dim, 1, bias=False))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(self.fc(F.adaptive_avg_pool2d(x, 1)))


class ContextGatedConv2d(nn.Module):
    """3×3 conv whose kernel is gated per sample by the input's pooled 3×3 context.

    The gate is σ(A + B): A decodes each input channel's context (``ce`` → BN → ReLU → ``gd``),
    B mixes channels in groups of 16 (``ci``) before decoding (``gd2``). The registered
    ``bias`` is not added, as upstream (it is in the checkpoint)."""

    def __init__(self, dim: int, groups: int = 16) -> None:
        super().__init__()
        self.dim = dim
        self.g = groups
        lat = 9 // 2 + 1  # latent width 5
        self.weight = nn.Parameter(torch.empty(dim, dim, 3, 3))
        self.bias = nn.Parameter(torch.zeros(dim))
        self.ce = nn.Linear(9, lat, bias=False)
        self.ce_bn = nn.BatchNorm1d(dim)
        self.ci_bn2 = nn.BatchNorm1d(dim)
        self.ci = nn.Linear(groups, groups, bias=False)
        self.ci_bn = nn.BatchNorm1d(dim)
        self.gd = nn.Linear(lat, 9, bias=False)
        self.gd2 = nn.Linear(lat, 9, bias=False)
        nn.init.kaiming_uniform_(self.weight, a=5 ** 0.5)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, c, h, w = x.shape
        ctx = self.ce(F.adaptive_avg_pool2d(x, 3).view(b, c, 9))  # (B, C, 5)
        a = self.gd(F.relu(self.ce_bn(ctx)))  # (B, C, 9)
        mixed = F.relu(self.ci_bn2(ctx).view(b, c // self.g, self.g, -1).transpose(2, 3))
        mixed = self.ci(mixed).transpose(2, 3).reshape(b, self.dim, -1)
        o = self.gd2(F.relu(self.ci_bn(mixed)))  # (B, out, 9)
        gate = torch.sigmoid(a.view(b, 1, c, 3, 3) + o.view(b, self.dim, 1, 3, 3))
        kernel = (gate * self.weight.unsqueeze(0)).view(b, self.dim, c * 9)
        patches = F.unfold(x, 3, padding=1)  # (B, C·9, H·W): channel outer, tap inner
        return torch.matmul(kernel, patches).view(b, self.dim, h, w)


class GenerateBeta(nn.Module):
    def __init__(self, dim: int) -> None:
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(dim, dim, 3, padding=1), nn.ReLU())
        self.conv = ContextGatedConv2d(dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(self.stem(x))


def resize_like(x: torch.Tensor, ref: torch.Tensor) -> torch.Tensor:
    return F.interpolate(x, size=[ref.shape[2], ref.shape[3]], mode="bilinear", align_corners=False)


class MoFPN(nn.Module):
    def __init__(self, in_channels: List[int], dim: int = 128, deform_groups: int = 4) -> None:
        super().__init__()
        self.p2 = PyramidDCN(in_channels[0], dim, deform_groups)
        self.p3 = PyramidDCN(in_channels[1], dim, deform_groups)
        self.p4 = PyramidDCN(in_channels[2], dim, deform_groups)
        self.p5 = PyramidDCN(in_channels[3], dim, deform_groups)
        self.p5_bn = nn.BatchNorm2d(dim)
        self.p4_bn = nn.BatchNorm2d(dim, affine=False)
        self.p3_bn = nn.BatchNorm2d(dim, affine=False)
        self.p2_bn = nn.BatchNorm2d(dim, affine=False)
        self.p4_Gamma = GenerateGamma(dim)
        self.p4_beta = GenerateBeta(dim)
        self.p3_Gamma = GenerateGamma(dim)
        self.p3_beta = GenerateBeta(dim)
        self.p2_Gamma = GenerateGamma(dim)
        self.p2_beta = GenerateBeta(dim)
        self.p5_smooth = nn.Conv2d(dim, dim, 3, padding=1)
        self.p4_smooth = nn.Conv2d(dim, dim, 3, padding=1)
        self.p3_smooth = nn.Conv2d(dim, dim, 3, padding=1)
        self.p2_smooth = nn.Conv2d(dim, dim, 3, padding=1)

    def forward(self, c2: torch.Tensor, c3: torch.Tensor, c4: torch.Tensor, c5: torch.Tensor
                ) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        p5 = F.relu(self.p5_bn(self.p5(c5)))
        # Coarser level modulates the finer one: scale by (1 + γ), shift by β.
        u = resize_like(p5, c4)
        p4 = F.relu(self.p4_bn(self.p4(c4)) * (1 + self.p4_Gamma(u)) + self.p4_beta(u))
        u = resize_like(p4, c3)
        p3 = F.relu(self.p3_bn(self.p3(c3)) * (1 + self.p3_Gamma(u)) + self.p3_beta(u))
        u = resize_like(p3, c2)
        p2 = F.relu(self.p2_bn(self.p2(c2)) * (1 + self.p2_Gamma(u)) + self.p2_beta(u))
        return self.p2_smooth(p2), self.p3_smooth(p3), self.p4_smooth(p4), self.p5_smooth(p5)


class ScaledSinusoidalEmbedding(nn.Module):
    """[sin(n·f), cos(n·f)] over the flattened token index n, times a learned scalar."""

    def __init__(self, dim: int) -> None:
        super().__init__()
        self.scale = nn.Parameter(torch.ones(1))
        half = dim // 2
        self.register_buffer("inv_freq", 10000.0 ** -(torch.arange(half).float() / half))

    def forward(self, length: int, dtype: torch.dtype) -> torch.Tensor:
        n = torch.arange(length, device=self.inv_freq.device).to(dtype)
        emb = n.unsqueeze(1) * self.inv_freq.to(dtype).unsqueeze(0)
        return torch.cat([emb.sin(), emb.cos()], dim=-1) * self.scale.to(dtype)


class ConvBnRelu(nn.Module):
    def __init__(self, cin: int, cout: int) -> None:
        super().__init__()
        self.block = nn.Sequential(nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.block(x)


class VerticalFusion(nn.Module):
    """Coarse x1 (h×w) attends into fine x2 (2h×2w), then a predicted 5×5 dilated filter
    spreads the attended coarse map over x2: out = Σ_k kernel_k · patch_k + x2."""

    def __init__(self, dim: int, num_points: int, kernel_size: int = 5, dilation: int = 2) -> None:
        super().__init__()
        self.kernel_size = kernel_size
        self.dilation = dilation
        self.norm1 = nn.LayerNorm(dim)
        self.norm2 = nn.LayerNorm(dim)
        self.pos = ScaledSinusoidalEmbedding(dim)
        self.crossattn = DeformableAttention(dim, 1, num_points)
        self.convs = nn.Sequential(ConvBnRelu(dim, dim))
        self.enc = ConvBnRelu(dim, kernel_size * kernel_size)

    def forward(self, x1: torch.Tensor, x2: torch.Tensor) -> torch.Tensor:
        b, c, h, w = x1.shape
        big_h, big_w = x2.shape[2], x2.shape[3]
        q = self.norm1(x1.flatten(2).transpose(1, 2))
        v = self.norm2(x2.flatten(2).transpose(1, 2))
        pos = self.pos(h * w, q.dtype).unsqueeze(0)
        # Reference point of query (r, c): the centre of its coarse cell, normalised (x, y).
        ys = (torch.arange(h, device=x1.device).to(q.dtype) + 0.5) / h
        xs = (torch.arange(w, device=x1.device).to(q.dtype) + 0.5) / w
        ref = torch.stack([xs.repeat(h), ys.repeat_interleave(w)], dim=-1).unsqueeze(0)
        attended = self.crossattn(q, v, pos, ref, (big_h, big_w)).transpose(1, 2).reshape(b, c, h, w)
        attended = F.interpolate(attended, size=[big_h, big_w], mode="nearest")
        k2 = self.kernel_size * self.kernel_size
        pad = self.dilation * (self.kernel_size - 1) // 2
        patches = F.unfold(attended, self.kernel_size, dilation=self.dilation, padding=pad)
        patches = patches.view(b, c, k2, big_h, big_w)
        kernel = torch.softmax(self.enc(self.convs(x2)), dim=1).unsqueeze(1)
        return (kernel * patches).sum(2) + x2


class GatedConv2d(nn.Module):
    def __init__(self, cin: int, cout: int) -> None:
        super().__init__()
        self.conv2d = nn.Conv2d(cin, cout, 3, padding=1)
        self.mask_conv2d = nn.Conv2d(cin, cout, 3, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv2d(x) * torch.sigmoid(self.mask_conv2d(x))


class GatedResidualUp(nn.Module):
    """×2: ReLU(conv1×1(bilinear×2(x)) + gated(ReLU(BN(transposed conv(x)))))."""

    def __init__(self, dim: int) -> None:
        super().__init__()
        self.residual_up = nn.Sequential(
            nn.ConvTranspose2d(dim, dim, 3, stride=2, padding=1, output_padding=1, bias=False),
            nn.BatchNorm2d(dim), nn.ReLU())
        self.gate = GatedConv2d(dim, dim // 2)
        self.up = nn.Sequential(nn.Upsample(scale_factor=2.0, mode="bilinear", align_corners=False),
                                nn.Conv2d(dim, dim // 2, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.relu(self.up(x) + self.gate(self.residual_up(x)))


class GatedResidualUpHead(nn.Module):
    def __init__(self, dim: int = 128, num_classes: int = 2, dropout: float = 0.1) -> None:
        super().__init__()
        self.up = nn.Sequential(GatedResidualUp(dim), GatedResidualUp(dim // 2))
        self.smooth = nn.Sequential(nn.Conv2d(dim // 4, dim // 4, 3, padding=1), nn.ReLU(), nn.Dropout2d(dropout))
        self.final = nn.Conv2d(dim // 4, num_classes, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.final(self.smooth(self.up(x)))


class CLAFALWGANet(nn.Module):
    """forward(a, b): two (B, 3, H, W) normalised RGB images → (B, 1, H, W) P(changed)."""

    def __init__(self, cfg: VariantConfig, dim: int = 128, deform_groups: int = 4) -> None:
        super().__init__()
        self.backbone = LWGANetFeatures(cfg)
        self.fpn = MoFPN(list(cfg.widths), dim, deform_groups)
        self.p5_to_p4 = VerticalFusion(dim, 4)
        self.p4_to_p3 = VerticalFusion(dim, 8)
        self.p3_to_p2 = VerticalFusion(dim, 16)
        # Training-only deep supervision and an unused projection: checkpoint keys only.
        self.p5_head = nn.Conv2d(dim, 2, 1)
        self.p4_head = nn.Conv2d(dim, 2, 1)
        self.p3_head = nn.Conv2d(dim, 2, 1)
        self.p2_head = nn.Conv2d(dim, 2, 1)
        self.project = nn.Sequential(nn.Conv2d(dim * 4, dim, 1, bias=False), nn.BatchNorm2d(dim), nn.ReLU())
        self.head = GatedResidualUpHead(dim, 2)
        self.min_input_size = MIN_CLAFA_SIZE

    def forward_logits(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        """2-class logits at the padded size (upstream's main output)."""
        a2, a3, a4, a5 = self.backbone(a)
        b2, b3, b4, b5 = self.backbone(b)
        a2, a3, a4, a5 = self.fpn(a2, a3, a4, a5)
        b2, b3, b4, b5 = self.fpn(b2, b3, b4, b5)
        fea = torch.abs(a5 - b5)
        fea = self.p5_to_p4(fea, torch.abs(a4 - b4))
        fea = self.p4_to_p3(fea, torch.abs(a3 - b3))
        fea = self.p3_to_p2(fea, torch.abs(a2 - b2))
        return self.head(fea)

    def forward(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        if a.shape != b.shape:
            raise ValueError("CLAFA-LWGANet needs the two images at the same size")
        if not torch.jit.is_tracing() and (a.shape[2] < self.min_input_size or a.shape[3] < self.min_input_size):
            raise ValueError("CLAFA-LWGANet needs inputs of at least 64x64 pixels")
        a, height, width = pad_to_stride(a)
        b, _, _ = pad_to_stride(b)
        logits = self.forward_logits(a, b)
        return torch.softmax(logits, dim=1)[:, 1:2, :height, :width]
