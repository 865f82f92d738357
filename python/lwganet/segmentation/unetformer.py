"""UNetFormer decoder (GeoSeg) on the LWGANet dense backbone: semantic segmentation.

Written from GeoSeg's published structure. Module names and container indices follow the
official state_dict (``decoder.pre_conv.0``, ``decoder.b4.attn.local1.0`` …), so a GeoSeg
Lightning checkpoint (``{'state_dict': {'net.backbone…', 'net.decoder…'}}``) loads strictly.
The training-only ``aux_head`` is built too, because its weights are in every checkpoint; it
is never run.

Differences from upstream, all confined to sizes upstream cannot run:
- the input is padded to a multiple of 32 and the logits cropped back (layers/padding.py);
- the window padding pads both map dimensions (upstream's 2-element reflect pad of a 4-D
  tensor crashes when a stride-8..32 map is not a multiple of 8, i.e. inputs not multiples of
  256), falling back to edge replication where the map is too small to mirror.
At multiples of 256 no padding happens anywhere and the computation is upstream's.
"""

from typing import List

import torch
import torch.nn.functional as F
from torch import nn

from ..backbone import VariantConfig
from ..features import LWGANetFeatures
from ..layers.padding import pad_to_stride

__all__ = ["UNetFormerLWGANet", "UNetFormerDecoder", "MIN_SEGMENTATION_SIZE"]

# The cross-window pooling reflect-pads the stride-32 map by one row/column: needs ≥ 2.
MIN_SEGMENTATION_SIZE = 64


def conv_bn(cin: int, cout: int, k: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, k, padding=k // 2, bias=False), nn.BatchNorm2d(cout))


def conv_bn_relu(cin: int, cout: int, k: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, k, padding=k // 2, bias=False), nn.BatchNorm2d(cout), nn.ReLU6())


def conv(cin: int, cout: int, k: int) -> nn.Sequential:
    # A one-element Sequential: the checkpoint keys carry the ".0".
    return nn.Sequential(nn.Conv2d(cin, cout, k, padding=k // 2, bias=False))


def separable_conv_bn(dim: int, k: int, padding: int) -> nn.Sequential:
    """Depthwise k×k → BN → pointwise 1×1, no biases."""
    return nn.Sequential(nn.Conv2d(dim, dim, k, padding=padding, groups=dim, bias=False), nn.BatchNorm2d(dim),
                         nn.Conv2d(dim, dim, 1, bias=False))


def pad_bottom_right(x: torch.Tensor, pad_h: int, pad_w: int) -> torch.Tensor:
    """Mirror padding at the bottom/right; edge replication where the side is too short to
    mirror (reflect needs pad < side). Only reached at sizes upstream cannot run."""
    if pad_h == 0 and pad_w == 0:
        return x
    if pad_h < x.shape[-2] and pad_w < x.shape[-1]:
        return F.pad(x, [0, pad_w, 0, pad_h], mode="reflect")
    return F.pad(x, [0, pad_w, 0, pad_h], mode="replicate")


class GlobalLocalAttention(nn.Module):
    """Local convs + window self-attention with relative position bias + cross-window pooling."""

    def __init__(self, dim: int = 64, num_heads: int = 8, window_size: int = 8) -> None:
        super().__init__()
        self.num_heads = num_heads
        self.head_dim = dim // num_heads
        self.scale = float(self.head_dim) ** -0.5
        self.ws = window_size
        # Swin-style table: one bias per head for each of (2ws−1)² relative offsets.
        self.relative_position_bias_table = nn.Parameter(torch.zeros((2 * window_size - 1) ** 2, num_heads))
        coords = torch.stack(torch.meshgrid(torch.arange(window_size), torch.arange(window_size), indexing="ij"))
        coords = coords.flatten(1)  # (2, ws²): (y, x) of each window cell, row-major
        rel = (coords[:, :, None] - coords[:, None, :]).permute(1, 2, 0) + (window_size - 1)
        self.register_buffer("relative_position_index", rel[:, :, 0] * (2 * window_size - 1) + rel[:, :, 1])
        self.qkv = conv(dim, 3 * dim, 1)
        self.local1 = conv_bn(dim, dim, 3)
        self.local2 = conv_bn(dim, dim, 1)
        self.proj = separable_conv_bn(dim, window_size, (window_size - 1) // 2)
        # Window-sized box filters along each axis mix information across window borders.
        self.attn_x = nn.AvgPool2d((window_size, 1), stride=1, padding=(window_size // 2 - 1, 0))
        self.attn_y = nn.AvgPool2d((1, window_size), stride=1, padding=(0, window_size // 2 - 1))
        nn.init.trunc_normal_(self.relative_position_bias_table, std=0.02)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        batch, channels, height, width = x.shape
        ws, heads, hd = self.ws, self.num_heads, self.head_dim
        local = self.local2(x) + self.local1(x)

        padded = pad_bottom_right(x, (ws - height % ws) % ws, (ws - width % ws) % ws)
        hp, wp = padded.shape[-2], padded.shape[-1]
        nh, nw = hp // ws, wp // ws
        # qkv channels are (qkv, head, head_dim); windows are ws×ws blocks, cells row-major.
        qkv = self.qkv(padded).view(batch, 3, heads, hd, nh, ws, nw, ws)
        qkv = qkv.permute(1, 0, 4, 6, 2, 5, 7, 3).reshape(3, batch * nh * nw, heads, ws * ws, hd)
        q, k, v = qkv[0], qkv[1], qkv[2]
        dots = torch.matmul(q, k.transpose(-2, -1)) * self.scale
        bias = self.relative_position_bias_table[self.relative_position_index.view(-1)]
        dots = dots + bias.view(ws * ws, ws * ws, heads).permute(2, 0, 1).unsqueeze(0)
        attn = torch.matmul(dots.softmax(dim=-1), v)  # (B·nh·nw, heads, ws², hd)
        attn = attn.view(batch, nh, nw, heads, ws, ws, hd).permute(0, 3, 6, 1, 4, 2, 5)
        attn = attn.reshape(batch, channels, hp, wp)[:, :, :height, :width]

        out = self.attn_x(F.pad(attn, [0, 0, 0, 1], mode="reflect")) + \
            self.attn_y(F.pad(attn, [0, 1, 0, 0], mode="reflect"))
        out = out + local
        out = self.proj(F.pad(out, [0, 1, 0, 1], mode="reflect"))
        return out[:, :, :height, :width]


class Mlp(nn.Module):
    def __init__(self, dim: int, hidden: int) -> None:
        super().__init__()
        self.fc1 = nn.Conv2d(dim, hidden, 1)
        self.act = nn.ReLU6()
        self.fc2 = nn.Conv2d(hidden, dim, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc2(self.act(self.fc1(x)))


class Block(nn.Module):
    """GLTB: pre-norm attention and MLP, each residual (drop-path is identity at inference)."""

    def __init__(self, dim: int = 64, num_heads: int = 8, window_size: int = 8, mlp_ratio: float = 4.0) -> None:
        super().__init__()
        self.norm1 = nn.BatchNorm2d(dim)
        self.attn = GlobalLocalAttention(dim, num_heads, window_size)
        self.mlp = Mlp(dim, int(dim * mlp_ratio))
        self.norm2 = nn.BatchNorm2d(dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.attn(self.norm1(x))
        return x + self.mlp(self.norm2(x))


def upsample2(x: torch.Tensor) -> torch.Tensor:
    # A float scale factor (scripts cleanly); bilinear, align_corners=False, as upstream.
    return F.interpolate(x, scale_factor=2.0, mode="bilinear", align_corners=False)


class WF(nn.Module):
    """Weighted fusion: upsampled decoder map and projected skip, mixed by normalised ReLU weights."""

    def __init__(self, in_channels: int, decode_channels: int, eps: float = 1e-8) -> None:
        super().__init__()
        self.pre_conv = conv(in_channels, decode_channels, 1)
        self.weights = nn.Parameter(torch.ones(2))
        self.eps = eps
        self.post_conv = conv_bn_relu(decode_channels, decode_channels, 3)

    def fuse(self, x: torch.Tensor, res: torch.Tensor) -> torch.Tensor:
        w = F.relu(self.weights)
        w = w / (w.sum() + self.eps)
        return self.post_conv(w[0] * self.pre_conv(res) + w[1] * upsample2(x))

    def forward(self, x: torch.Tensor, res: torch.Tensor) -> torch.Tensor:
        return self.fuse(x, res)


class FeatureRefinementHead(WF):
    """WF at stride 4 followed by spatial (pa) and channel (ca) attention and a shortcut."""

    def __init__(self, in_channels: int, decode_channels: int) -> None:
        super().__init__(in_channels, decode_channels)
        dim = decode_channels
        self.pa = nn.Sequential(nn.Conv2d(dim, dim, 3, padding=1, groups=dim), nn.Sigmoid())
        self.ca = nn.Sequential(nn.AdaptiveAvgPool2d(1), conv(dim, dim // 16, 1), nn.ReLU6(),
                                conv(dim // 16, dim, 1), nn.Sigmoid())
        self.shortcut = conv_bn(dim, dim, 1)
        self.proj = separable_conv_bn(dim, 3, 1)
        self.act = nn.ReLU6()

    def forward(self, x: torch.Tensor, res: torch.Tensor) -> torch.Tensor:
        x = self.fuse(x, res)
        shortcut = self.shortcut(x)
        x = self.pa(x) * x + self.ca(x) * x
        return self.act(self.proj(x) + shortcut)


class AuxHead(nn.Module):
    """Training-only auxiliary classifier; kept for its checkpoint keys, never run here."""

    def __init__(self, dim: int, num_classes: int) -> None:
        super().__init__()
        self.conv = conv_bn_relu(dim, dim, 3)
        self.drop = nn.Dropout(0.1)
        self.conv_out = conv(dim, num_classes, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv_out(self.drop(self.conv(x)))


class UNetFormerDecoder(nn.Module):
    """Encoder maps (C, 2C, 4C, 8C at strides 4..32) → K logits at stride 4."""

    def __init__(self, encoder_channels: List[int], num_classes: int, decode_channels: int = 64,
                 window_size: int = 8, dropout: float = 0.1) -> None:
        super().__init__()
        dc = decode_channels
        self.pre_conv = conv_bn(encoder_channels[3], dc, 1)
        self.b4 = Block(dc, 8, window_size)
        self.b3 = Block(dc, 8, window_size)
        self.p3 = WF(encoder_channels[2], dc)
        self.b2 = Block(dc, 8, window_size)
        self.p2 = WF(encoder_channels[1], dc)
        self.aux_head = AuxHead(dc, num_classes)
        self.p1 = FeatureRefinementHead(encoder_channels[0], dc)
        self.segmentation_head = nn.Sequential(conv_bn_relu(dc, dc, 3), nn.Dropout2d(dropout),
                                               conv(dc, num_classes, 1))

    def forward(self, res1: torch.Tensor, res2: torch.Tensor, res3: torch.Tensor,
                res4: torch.Tensor) -> torch.Tensor:
        x = self.b4(self.pre_conv(res4))
        x = self.b3(self.p3(x, res3))
        x = self.b2(self.p2(x, res2))
        return self.segmentation_head(self.p1(x, res1))


class UNetFormerLWGANet(nn.Module):
    """(B, 3, H, W) normalised RGB → (B, K, H, W) logits, any H, W ≥ 64."""

    def __init__(self, cfg: VariantConfig, num_classes: int, decode_channels: int = 64, window_size: int = 8) -> None:
        super().__init__()
        self.num_classes = num_classes
        self.backbone = LWGANetFeatures(cfg)
        self.decoder = UNetFormerDecoder(list(cfg.widths), num_classes, decode_channels, window_size)
        self.min_input_size = MIN_SEGMENTATION_SIZE

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not torch.jit.is_tracing() and (x.shape[2] < self.min_input_size or x.shape[3] < self.min_input_size):
            raise ValueError("UNetFormer-LWGANet needs an input of at least 64x64 pixels")
        padded, height, width = pad_to_stride(x)
        res1, res2, res3, res4 = self.backbone(padded)
        logits = self.decoder(res1, res2, res3, res4)
        logits = F.interpolate(logits, size=[padded.shape[2], padded.shape[3]], mode="bilinear", align_corners=False)
        return logits[:, :, :height, :width]
