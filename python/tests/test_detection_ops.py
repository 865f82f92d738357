"""Oriented R-CNN building blocks, each against an independent formulation written here from
The detector's test-time steps: anchors, both box coders and le90, level mapping, rotated RoIAlign (the mmcv
kernel restated as scalar loops), rotated IoU (Sutherland–Hodgman clipping), greedy NMS (a
plain sequential loop) and the contract of the two ``torch.ops.lwganet`` operators; FPN."""

import math
import random

import pytest
import torch
import torch.nn.functional as F

from lwganet.detection import native_ops  # noqa: F401 (registers torch.ops.lwganet.*)
from lwganet.detection.anchors import grid_anchors
from lwganet.detection.coders import (decode_delta_xywha, decode_midpoint_offset, norm_angle_le90, rbox_to_corners,
                                      rbox_to_hbox)
from lwganet.detection.fpn import FPN
from lwganet.detection.nms import rotated_iou_matrix, rotated_iou_pairs
from lwganet.detection.rotated_roi_align import map_roi_levels, multilevel_rotated_roi_align, rotated_roi_align

PI = math.pi
D = torch.float64


def t(rows):
    return torch.tensor(rows, dtype=D)


# --- B. anchors ---------------------------------------------------------------------------

def test_anchor_hand_cases():
    a = grid_anchors(2, 3, 4, [0.5, 1.0, 2.0], 8.0, D, torch.device("cpu"))
    assert a.shape == (2 * 3 * 3, 4)
    # row y = 1, column x = 2, ratio 0.5 (first): centre (x·s, y·s) = (8, 4), no +s/2;
    # h = 8·4·√0.5, w = 8·4/√0.5. Flattened (y, x, a): index (1·3 + 2)·3 + 0.
    assert torch.allclose(a[15], t([8.0, 4.0, 32 / math.sqrt(0.5), 32 * math.sqrt(0.5)]))
    assert torch.allclose(a[16], t([8.0, 4.0, 32.0, 32.0]))  # ratio 1
    assert torch.allclose(a[17], t([8.0, 4.0, 32 * math.sqrt(0.5), 32 / math.sqrt(0.5)]))  # ratio 2: tall
    assert torch.equal(a[0, :2], t([0.0, 0.0]))  # the first anchor sits on the image corner


def test_anchor_grid_matches_explicit_loops():
    stride, ratios = 16, [0.5, 1.0, 2.0]
    got = grid_anchors(3, 5, stride, ratios, 8.0, D, torch.device("cpu"))
    want = []
    for y in range(3):
        for x in range(5):
            for r in ratios:
                h, w = 8 * stride * math.sqrt(r), 8 * stride / math.sqrt(r)
                cx, cy = x * stride, y * stride
                x1, y1, x2, y2 = cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2  # upstream's corner form
                want.append([(x1 + x2) / 2, (y1 + y2) / 2, x2 - x1, y2 - y1])
    assert torch.allclose(got, t(want), atol=1e-9)


# --- D. midpoint-offset decoding, L. le90 -------------------------------------------------

def le90(theta):
    return (theta + PI / 2) % PI - PI / 2  # Python's % is the floored modulo


@pytest.mark.parametrize("theta,want", [
    (0.0, 0.0), (-PI / 2, -PI / 2), (PI / 2, -PI / 2), (PI, 0.0), (-PI, 0.0), (3 * PI / 4, -PI / 4),
    (-3 * PI / 4, PI / 4), (2 * PI + 0.1, 0.1), (-0.1, -0.1), (-2.0, PI - 2.0), (1.5, 1.5), (-1.5, -1.5),
    (PI / 2 - 1e-9, PI / 2 - 1e-9), (-PI / 2 - 1e-9, PI / 2 - 1e-9),
])
def test_le90_normalisation(theta, want):
    got = norm_angle_le90(t([theta]))[0].item()
    assert got == pytest.approx(want, abs=1e-12)
    assert -PI / 2 <= got < PI / 2


def midpoint_reference(anchor, delta):
    """Midpoint-offset decoding, scalar."""
    px, py, pw, ph = anchor
    dx, dy, dw, dh, da, db = (d * s for d, s in zip(delta, (1, 1, 1, 1, 0.5, 0.5)))
    lim = abs(math.log(16 / 1000))
    dw, dh = max(-lim, min(lim, dw)), max(-lim, min(lim, dh))
    gw, gh = pw * math.exp(dw), ph * math.exp(dh)
    gx, gy = px + pw * dx, py + ph * dy
    x1, x2, y1, y2 = gx - gw / 2, gx + gw / 2, gy - gh / 2, gy + gh / 2
    da, db = max(-0.5, min(0.5, da)), max(-0.5, min(0.5, db))
    v = [(gx + da * gw, y1), (x2, gy + db * gh), (gx - da * gw, y2), (x1, gy - db * gh)]
    longest = max(math.hypot(x - gx, y - gy) for x, y in v)
    v = [(gx + (x - gx) * longest / math.hypot(x - gx, y - gy), gy + (y - gy) * longest / math.hypot(x - gx, y - gy))
         for x, y in v]
    e1 = math.hypot(v[1][0] - v[0][0], v[1][1] - v[0][1])
    e2 = math.hypot(v[2][0] - v[1][0], v[2][1] - v[1][1])
    theta = math.atan2(v[1][1] - v[0][1], v[1][0] - v[0][0]) if e1 > e2 else \
        math.atan2(v[3][1] - v[0][1], v[3][0] - v[0][0])
    return [(v[0][0] + v[2][0]) / 2, (v[0][1] + v[2][1]) / 2, max(e1, e2), min(e1, e2), le90(theta)], v


@pytest.mark.parametrize("anchor,delta,want", [
    # Zero deltas: the four edge midpoints form a rhombus; rectified, a square of side 32·√2
    # turned by −45°.
    ((100, 50, 64, 32), (0, 0, 0, 0, 0, 0), (100, 50, 32 * math.sqrt(2), 32 * math.sqrt(2), -PI / 4)),
    # da = db = 0.5 (raw 1): the vertices are the box corners; axis-aligned, θ = 0, and the
    # centre and size deltas act as in the horizontal coder.
    ((100, 50, 64, 32), (0.25, -0.5, math.log(2), 0, 1, 1), (116, 34, 128, 32, 0.0)),
    # A square anchor with da = db = 0.25: already a square, side √1000, at −atan(1/3).
    ((0, 0, 40, 40), (0, 0, 0, 0, 0.5, 0.5), (0, 0, math.sqrt(1000), math.sqrt(1000), -math.atan(1 / 3))),
    # Clamps: dw beyond ln(1000/16) gives ×62.5; da beyond 0.5 acts as 0.5.
    ((10, 20, 8, 8), (0, 0, 50, 0, 9, 1), (10, 20, 8 * 62.5, 8, 0.0)),
])
def test_midpoint_offset_hand_cases(anchor, delta, want):
    got = decode_midpoint_offset(t([anchor]), t([delta]))[0]
    assert torch.allclose(got, t(want), atol=1e-9), got


def test_midpoint_offset_matches_the_scalar_statement_and_is_a_rectangle():
    rng = random.Random(0)
    anchors, deltas, wants, verts = [], [], [], []
    for _ in range(200):
        anchor = (rng.uniform(0, 500), rng.uniform(0, 500), rng.uniform(4, 300), rng.uniform(4, 300))
        delta = tuple(rng.gauss(0, 1.5) for _ in range(4)) + tuple(rng.uniform(-1.5, 1.5) for _ in range(2))
        want, v = midpoint_reference(anchor, delta)
        anchors.append(anchor), deltas.append(delta), wants.append(want), verts.append(v)
    got = decode_midpoint_offset(t(anchors), t(deltas))
    assert torch.allclose(got[:, :4], t(wants)[:, :4], rtol=1e-9, atol=1e-7)
    # Angles agree up to the π-periodic identity of a rectangle.
    diff = torch.remainder(got[:, 4] - t(wants)[:, 4] + PI / 2, PI) - PI / 2
    assert diff.abs().max() < 1e-7
    assert (got[:, 2] >= got[:, 3]).all() and (got[:, 4] >= -PI / 2).all() and (got[:, 4] < PI / 2).all()
    # The le90 box's corners are the rectified vertices (as a set).
    corners = rbox_to_corners(got)
    for i in range(len(verts)):
        for x, y in verts[i]:
            assert (corners[i] - t([x, y])).norm(dim=1).min() < 1e-6 * max(1.0, got[i, 2].item())


# --- I. delta-xywha decoding --------------------------------------------------------------

def delta_reference(roi, delta, height, width):
    """Delta-xywha decoding, scalar."""
    px, py, pw, ph, pa = roi
    dx, dy, dw, dh, da = (d * s for d, s in zip(delta, (0.1, 0.1, 0.2, 0.2, 0.1)))
    lim = abs(math.log(16 / 1000))
    gw, gh = pw * math.exp(max(-lim, min(lim, dw))), ph * math.exp(max(-lim, min(lim, dh)))
    gx = px + dx * pw * math.cos(pa) - dy * ph * math.sin(pa)
    gy = py + dx * pw * math.sin(pa) + dy * ph * math.cos(pa)
    ga = le90(pa + da)
    gx, gy = min(max(gx, 0), width - 1), min(max(gy, 0), height - 1)
    return [gx, gy, gw, gh, ga] if gw > gh else [gx, gy, gh, gw, le90(ga + PI / 2)]


@pytest.mark.parametrize("roi,delta,want", [
    ((100, 50, 60, 20, 0.3), (0, 0, 0, 0, 0), (100, 50, 60, 20, 0.3)),
    # w < h: edge swap to (h, w, θ + π/2), normalised.
    ((100, 50, 20, 60, 0.3), (0, 0, 0, 0, 0), (100, 50, 60, 20, 0.3 - PI / 2)),
    # Square: not wider, so swapped as well.
    ((50, 50, 30, 30, 0.2), (0, 0, 0, 0, 0), (50, 50, 30, 30, 0.2 - PI / 2)),
    # proj_xy: dx = 0.5 moves 0.5·w along the RoI's w axis (down at θ = π/2), dy = 0.5 moves
    # 0.5·h along its h axis (left); θ = π/2 normalises to −π/2.
    ((100, 50, 40, 20, PI / 2), (5, 5, 0, 0, 0), (90, 70, 40, 20, -PI / 2)),
    # Size deltas (std 0.2) with the clamp, angle delta (std 0.1).
    ((100, 50, 40, 20, 0.0), (0, 0, 5, 100, 2), (100, 50, 20 * 62.5, 40 * math.e, 0.2 + PI / 2 - PI)),
    # Centres clamp to [0, W − 1] × [0, H − 1] of the unpadded image (here 200 × 300).
    ((5, 195, 40, 20, 0.0), (-10, 10, 0, 0, 0), (0, 199, 40, 20, 0.0)),
    ((295, 100, 40, 20, 0.0), (10, 0, 0, 0, 0), (299, 100, 40, 20, 0.0)),
])
def test_delta_xywha_hand_cases(roi, delta, want):
    got = decode_delta_xywha(t([roi]), t([delta]), 200.0, 300.0)[0]
    assert torch.allclose(got, t(want), atol=1e-9), got
    assert torch.allclose(got, t(delta_reference(roi, delta, 200.0, 300.0)), atol=1e-9)


def test_delta_xywha_matches_the_scalar_statement():
    rng = random.Random(1)
    rois = [(rng.uniform(-20, 300), rng.uniform(-20, 200), rng.uniform(1, 200), rng.uniform(1, 200),
             rng.uniform(-PI / 2, PI / 2)) for _ in range(300)]
    deltas = [tuple(rng.gauss(0, 4) for _ in range(5)) for _ in rois]
    got = decode_delta_xywha(t(rois), t(deltas), 180.0, 260.0)
    want = t([delta_reference(r, d, 180.0, 260.0) for r, d in zip(rois, deltas)])
    assert torch.allclose(got, want, rtol=1e-12, atol=1e-9)
    assert (got[:, 2] >= got[:, 3]).all() and (got[:, 4] >= -PI / 2).all() and (got[:, 4] < PI / 2).all()


def test_corners_and_enclosing_box():
    box = t([[10, 20, 8, 4, 0.0], [0, 0, 2 * math.sqrt(2), math.sqrt(2), PI / 4]])
    corners = rbox_to_corners(box)
    assert torch.allclose(corners[0], t([[6, 18], [14, 18], [14, 22], [6, 22]]))  # tl, tr, br, bl at θ = 0
    assert torch.allclose(corners[1], t([[-0.5, -1.5], [1.5, 0.5], [0.5, 1.5], [-1.5, -0.5]]))  # clockwise
    assert torch.allclose(rbox_to_hbox(box), t([[6, 18, 14, 22], [-1.5, -1.5, 1.5, 1.5]]))


# --- F. level mapping, G. rotated RoIAlign -------------------------------------------------

@pytest.mark.parametrize("side,level", [(10, 0), (55.9, 0), (56, 0), (111.9, 0), (112, 1), (223, 1), (224, 2),
                                        (448, 3), (5000, 3)])
def test_roi_level_mapping(side, level):
    # √(w·h) = side for a w = 2·side, h = side/2 box.
    rois = t([[0, 0, 2 * side, side / 2, 0.3]])
    assert map_roi_levels(rois, 4).tolist() == [level]


def bilinear_mmcv(feat, y, x):
    """mmcv's bilinear_interpolate for RoIAlignRotated, scalar."""
    _, height, width = feat.shape
    if y < -1.0 or y > height or x < -1.0 or x > width:
        return torch.zeros(feat.shape[0], dtype=feat.dtype)
    y, x = max(y, 0.0), max(x, 0.0)
    y_low, x_low = int(y), int(x)
    if y_low >= height - 1:
        y_high = y_low = height - 1
        y = float(y_low)
    else:
        y_high = y_low + 1
    if x_low >= width - 1:
        x_high = x_low = width - 1
        x = float(x_low)
    else:
        x_high = x_low + 1
    ly, lx = y - y_low, x - x_low
    hy, hx = 1 - ly, 1 - lx
    return (hy * hx * feat[:, y_low, x_low] + hy * lx * feat[:, y_low, x_high] + ly * hx * feat[:, y_high, x_low]
            + ly * lx * feat[:, y_high, x_high])


def roi_align_rotated_mmcv(feat, roi, scale, out=7, samples=2):
    """mmcv RoIAlignRotated (aligned=True, clockwise=True) for one RoI, scalar loops."""
    cx, cy = roi[0] * scale - 0.5, roi[1] * scale - 0.5
    w, h = roi[2] * scale, roi[3] * scale
    theta = -roi[4]  # clockwise
    cos, sin = math.cos(theta), math.sin(theta)
    bin_h, bin_w = h / out, w / out
    result = torch.zeros(feat.shape[0], out, out, dtype=feat.dtype)
    for ph in range(out):
        for pw in range(out):
            acc = torch.zeros(feat.shape[0], dtype=feat.dtype)
            for iy in range(samples):
                yy = -h / 2 + ph * bin_h + (iy + 0.5) * bin_h / samples
                for ix in range(samples):
                    xx = -w / 2 + pw * bin_w + (ix + 0.5) * bin_w / samples
                    y = yy * cos - xx * sin + cy
                    x = yy * sin + xx * cos + cx
                    acc += bilinear_mmcv(feat, y, x)
            result[:, ph, pw] = acc / (samples * samples)
    return result


ROIS = [
    (20, 16, 24, 12, 0.0), (20, 16, 24, 12, 0.7), (20, 16, 24, 12, -1.2), (19, 17, 30, 9, PI / 2 - 0.01),
    (0, 0, 30, 30, 0.3),  # partly outside the top-left corner
    (-30, -30, 10, 10, 0.5),  # entirely outside: zeros
    (43, 35, 8, 40, 1.5),  # at the bottom-right corner
    (18, 18, 0.5, 0.5, 0.2),  # much smaller than a pixel of the map
    (22, 18, 200, 150, -0.4),  # much larger than the map
    (2, 2, 0.0, 0.0, 0.0),  # zero size (aligned=True has no minimum)
]


def test_rotated_roi_align_matches_the_kernel_restatement():
    feat = torch.randn(1, 3, 9, 11, generator=torch.Generator().manual_seed(0), dtype=D)
    got = rotated_roi_align(feat, t(ROIS), 0.25)
    want = torch.stack([roi_align_rotated_mmcv(feat[0], r, 0.25) for r in ROIS])
    assert got.shape == (len(ROIS), 3, 7, 7)
    assert torch.allclose(got, want, atol=1e-12)
    assert torch.equal(got[5], torch.zeros(3, 7, 7, dtype=D))
    # Chunking does not change anything.
    assert torch.allclose(rotated_roi_align(feat, t(ROIS), 0.25, chunk=3), got, atol=1e-15)


def test_rotated_roi_align_float32_follows_float64():
    feat = torch.randn(1, 8, 12, 10, generator=torch.Generator().manual_seed(1), dtype=D)
    want = rotated_roi_align(feat, t(ROIS), 0.25)
    got = rotated_roi_align(feat.float(), t(ROIS).float(), 0.25)
    assert (got.double() - want).abs().max() < 1e-5


def test_multilevel_roi_align_uses_each_rois_level():
    gen = torch.Generator().manual_seed(2)
    strides = [4, 8, 16, 32]
    feats = [torch.randn(1, 2, 16 // 2 ** i + 1, 20 // 2 ** i, generator=gen, dtype=D) for i in range(4)]
    feats[3] = torch.randn(1, 2, 1, 3, generator=gen, dtype=D)  # a one-pixel-high coarse map
    rois = [(30, 30, 40, 30, 0.2), (30, 30, 120, 110, -0.9), (40, 20, 260, 200, 1.1), (10, 50, 600, 300, 0.0),
            (50, 40, 1000, 900, -1.5), (5, 5, 20, 20, 0.4), (64, 16, 150, 80, 0.6)]
    got = multilevel_rotated_roi_align(feats, t(rois), strides)
    for i, r in enumerate(rois):
        level = min(3, max(0, math.floor(math.log2(math.sqrt(r[2] * r[3]) / 56 + 1e-6))))
        assert torch.allclose(got[i], roi_align_rotated_mmcv(feats[level][0], r, 1 / strides[level]), atol=1e-12)
    assert sorted({min(3, max(0, math.floor(math.log2(math.sqrt(r[2] * r[3]) / 56 + 1e-6)))) for r in rois}) == \
        [0, 1, 2, 3]
    assert multilevel_rotated_roi_align(feats, t(rois)[:0], strides).shape == (0, 2, 7, 7)


@pytest.mark.parametrize("out_size,samples", [(7, 1), (5, 3), (3, 2)])
def test_roi_align_operator_matches_the_kernel_restatement(out_size, samples):
    feat = torch.randn(1, 5, 9, 11, generator=torch.Generator().manual_seed(3), dtype=D)
    rois = ROIS + [(20, 16, 24, 12, PI), (20, 16, 24, 12, -PI / 2), (44, 36, 6, 6, 0.0), (-3, 18, 6, 10, 0.1)]
    got = torch.ops.lwganet.rotated_roi_align(feat, t(rois), 0.25, out_size, samples)
    want = torch.stack([roi_align_rotated_mmcv(feat[0], r, 0.25, out_size, samples) for r in rois])
    assert got.shape == (len(rois), 5, out_size, out_size)
    assert torch.allclose(got, want, atol=1e-12)


def test_roi_align_operator_on_an_empty_roi_set():
    feat = torch.randn(1, 4, 6, 6, dtype=torch.float32)
    got = torch.ops.lwganet.rotated_roi_align(feat, torch.zeros(0, 5), 0.5, 7, 2)
    assert got.shape == (0, 4, 7, 7) and got.dtype == torch.float32


@pytest.mark.parametrize("call,message", [
    (lambda: torch.ops.lwganet.rotated_roi_align(torch.zeros(2, 3, 4, 4), torch.zeros(1, 5), 0.5, 7, 2),
     r"features must be \(1, C, H, W\)"),
    (lambda: torch.ops.lwganet.rotated_roi_align(torch.zeros(1, 3, 4, 4), torch.zeros(1, 4), 0.5, 7, 2),
     r"rois \(N, 5\)"),
    (lambda: torch.ops.lwganet.rotated_roi_align(torch.zeros(1, 3, 4, 4), torch.zeros(1, 5, dtype=D), 0.5, 7, 2),
     "one dtype"),
    (lambda: torch.ops.lwganet.rotated_roi_align(torch.zeros(1, 3, 4, 4), torch.zeros(1, 5), 0.0, 7, 2),
     "spatial_scale must be positive"),
    (lambda: torch.ops.lwganet.rotated_roi_align(torch.zeros(1, 3, 4, 4), torch.zeros(1, 5), 0.5, 7, 0),
     "sampling_ratio at least 1"),
])
def test_roi_align_operator_rejects_bad_arguments(call, message):
    with pytest.raises((ValueError, RuntimeError), match=message):
        call()


def test_detector_graph_calls_the_roi_align_operator():
    """The exported detector samples its RoIs through the operator (native in the addon), not
    through an inlined grid_sample."""
    from lwganet.detection.orcnn import OrientedRCNN
    from lwganet.backbone import VARIANTS

    graph = str(torch.jit.script(OrientedRCNN(VARIANTS["l0"], 15).eval()).detect.inlined_graph)
    assert "lwganet::rotated_roi_align" in graph
    assert "grid_sampler" not in graph


# --- rotated IoU against Sutherland–Hodgman ---------------------------------------------

def corners_reference(b):
    cx, cy, w, h, th = b
    ux, uy = w / 2 * math.cos(th), w / 2 * math.sin(th)
    vx, vy = -h / 2 * math.sin(th), h / 2 * math.cos(th)
    return [(cx - ux - vx, cy - uy - vy), (cx + ux - vx, cy + uy - vy), (cx + ux + vx, cy + uy + vy),
            (cx - ux + vx, cy - uy + vy)]


def signed_area(poly):
    n = len(poly)
    return 0.5 * sum(poly[i][0] * poly[(i + 1) % n][1] - poly[(i + 1) % n][0] * poly[i][1] for i in range(n))


def clip(subject, clipper):
    """Sutherland–Hodgman: subject polygon clipped by a convex polygon."""
    orient = 1.0 if signed_area(clipper) >= 0 else -1.0

    def inside(p, a, b):
        return orient * ((b[0] - a[0]) * (p[1] - a[1]) - (b[1] - a[1]) * (p[0] - a[0])) >= 0

    def cross_point(p, q, a, b):
        d1 = (b[0] - a[0]) * (p[1] - a[1]) - (b[1] - a[1]) * (p[0] - a[0])
        d2 = (b[0] - a[0]) * (q[1] - a[1]) - (b[1] - a[1]) * (q[0] - a[0])
        s = d1 / (d1 - d2)
        return (p[0] + s * (q[0] - p[0]), p[1] + s * (q[1] - p[1]))

    out = list(subject)
    for i in range(len(clipper)):
        a, b = clipper[i], clipper[(i + 1) % len(clipper)]
        src, out = out, []
        for j in range(len(src)):
            cur, prev = src[j], src[j - 1]
            if inside(cur, a, b):
                if not inside(prev, a, b):
                    out.append(cross_point(prev, cur, a, b))
                out.append(cur)
            elif inside(prev, a, b):
                out.append(cross_point(prev, cur, a, b))
        if not out:
            break
    return out


def iou_reference(b1, b2):
    inter = abs(signed_area(clip(corners_reference(b1), corners_reference(b2))))
    union = b1[2] * b1[3] + b2[2] * b2[3] - inter
    return inter / union if union > 0 else 0.0


def test_reference_clipping_on_known_areas():
    assert abs(signed_area(corners_reference((0, 0, 4, 2, 0.3)))) == pytest.approx(8)
    assert iou_reference((0, 0, 2, 2, 0), (1, 0, 2, 2, 0)) == pytest.approx(2 / 6)


@pytest.mark.parametrize("a,b,want", [
    ((10, 10, 6, 3, 0.4), (10, 10, 6, 3, 0.4), 1.0),  # identical
    ((10, 10, 6, 3, 0.4), (10, 10, 6, 3, 0.4 - PI), 1.0),  # identical up to π
    ((0, 0, 2, 2, 0), (10, 10, 2, 2, 0.3), 0.0),  # disjoint, far
    ((0, 0, 2, 2, PI / 4), (2.1, 2.1, 2, 2, PI / 4), 0.0),  # disjoint, enclosing boxes overlap
    ((0, 0, 10, 8, 0.2), (0.5, 0.5, 2, 1, 1.0), 2 / 80),  # contained
    ((0, 0, 4, 2, 0), (1, 0, 4, 2, 0), 6 / 10),  # axis-aligned
    ((0, 0, 4, 2, 0), (1, 1, 2, 2, 0), 2 / 10),  # axis-aligned, shared edge segment
    ((0, 0, 2, 2, 0), (2, 0, 2, 2, 0), 0.0),  # touching along an edge
    ((0, 0, 2, 2, 0), (2, 2, 2, 2, 0), 0.0),  # touching at a corner
    ((0, 0, 2, 2, 0), (0, 0, 2, 2, PI / 4), None),  # square and its 45° turn: an octagon
])
def test_rotated_iou_cases(a, b, want):
    ref = iou_reference(a, b)
    if want is not None:
        assert ref == pytest.approx(want, abs=1e-12)
    got = rotated_iou_pairs(t([a]), t([b]))[0].item()
    assert got == pytest.approx(ref, abs=1e-9)
    assert rotated_iou_pairs(t([b]), t([a]))[0].item() == pytest.approx(ref, abs=1e-9)


def test_rotated_iou_random_pairs():
    rng = random.Random(3)
    pairs = []
    for _ in range(400):
        a = (rng.uniform(0, 20), rng.uniform(0, 20), rng.uniform(0.5, 12), rng.uniform(0.5, 12),
             rng.uniform(-PI / 2, PI / 2))
        b = (a[0] + rng.uniform(-8, 8), a[1] + rng.uniform(-8, 8), rng.uniform(0.5, 12), rng.uniform(0.5, 12),
             rng.choice([a[4], a[4] + PI / 2, rng.uniform(-PI / 2, PI / 2)]))
        pairs.append((a, b))
    got = rotated_iou_pairs(t([p[0] for p in pairs]), t([p[1] for p in pairs]))
    want = t([iou_reference(a, b) for a, b in pairs])
    assert (got - want).abs().max() < 1e-9
    assert (want > 0).sum() > 200  # most pairs overlap
    matrix = rotated_iou_matrix(t([p[0] for p in pairs[:30]]), t([p[1] for p in pairs[:40]]))
    for i in range(30):
        for j in range(0, 40, 7):
            assert matrix[i, j].item() == pytest.approx(iou_reference(pairs[i][0], pairs[j][1]), abs=1e-9)


# --- greedy NMS against a sequential reference, the operator contract ----------------------

def aligned_iou_reference(a, b):
    w = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    h = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - w * h
    return w * h / union if union > 0 else 0.0


def nms_reference(boxes, scores, groups, threshold, iou):
    """Visit by descending score, ties by index; drop later boxes of the same group above
    the threshold; kept indices by descending score, ties by index."""
    order = sorted(range(len(scores)), key=lambda i: (-scores[i], i))
    kept = []
    for i in order:
        if all(groups[k] != groups[i] or iou(boxes[k], boxes[i]) <= threshold for k in kept):
            kept.append(i)
    return kept


def random_rboxes(rng, n):
    return [(rng.uniform(0, 40), rng.uniform(0, 40), rng.uniform(3, 15), rng.uniform(2, 10),
             rng.uniform(-PI / 2, PI / 2)) for _ in range(n)]


@pytest.mark.parametrize("threshold", [0.1, 0.3, 0.7])
def test_rotated_nms_matches_the_sequential_reference(threshold):
    rng = random.Random(int(threshold * 10))
    boxes = random_rboxes(rng, 80)
    scores = [round(rng.random(), 2) for _ in boxes]  # rounded: ties occur
    groups = [rng.randrange(3) for _ in boxes]
    got = torch.ops.lwganet.nms_rotated(t(boxes), t(scores), torch.tensor(groups), threshold)
    assert got.dtype == torch.int64
    assert got.tolist() == nms_reference(boxes, scores, groups, threshold, iou_reference)


@pytest.mark.parametrize("threshold", [0.3, 0.8])
def test_aligned_nms_matches_the_sequential_reference(threshold):
    rng = random.Random(7)
    boxes = []
    for _ in range(150):
        x, y = rng.uniform(0, 50), rng.uniform(0, 50)
        boxes.append((x, y, x + rng.uniform(1, 20), y + rng.uniform(1, 20)))
    scores = [round(rng.random(), 2) for _ in boxes]
    groups = [rng.randrange(5) for _ in boxes]
    got = torch.ops.lwganet.nms_aligned(t(boxes), t(scores), torch.tensor(groups), threshold)
    assert got.tolist() == nms_reference(boxes, scores, groups, threshold, aligned_iou_reference)
    f32 = torch.ops.lwganet.nms_aligned(t(boxes).float(), t(scores).float(), torch.tensor(groups), threshold)
    assert f32.tolist() == got.tolist()


def test_nms_contract_ties_groups_and_strict_threshold():
    g0 = torch.zeros(3, dtype=torch.long)
    # Equal scores: visited and returned by ascending index; the lower index suppresses.
    boxes = t([[0, 0, 10, 10], [50, 50, 60, 60], [0, 0, 10, 10]])
    assert torch.ops.lwganet.nms_aligned(boxes, t([0.5, 0.5, 0.5]), g0, 0.5).tolist() == [0, 1]
    assert torch.ops.lwganet.nms_aligned(boxes, t([0.4, 0.5, 0.5]), g0, 0.5).tolist() == [1, 2]
    # Groups never suppress each other, even for identical boxes.
    assert torch.ops.lwganet.nms_aligned(boxes, t([0.5, 0.5, 0.9]), torch.tensor([0, 0, 1]), 0.5).tolist() == \
        [2, 0, 1]
    # IoU exactly at the threshold keeps (strict >): these two have IoU 1/2.
    half = t([[0, 0, 2, 1], [0, 0, 1, 1]])
    g = torch.zeros(2, dtype=torch.long)
    assert torch.ops.lwganet.nms_aligned(half, t([0.9, 0.8]), g, 0.5).tolist() == [0, 1]
    assert torch.ops.lwganet.nms_aligned(half, t([0.9, 0.8]), g, 0.49).tolist() == [0]
    rhalf = t([[1, 0.5, 2, 1, 0], [0.5, 0.5, 1, 1, 0]])
    assert torch.ops.lwganet.nms_rotated(rhalf, t([0.9, 0.8]), g, 0.5).tolist() == [0, 1]
    assert torch.ops.lwganet.nms_rotated(rhalf, t([0.9, 0.8]), g, 0.49).tolist() == [0]
    assert torch.ops.lwganet.nms_rotated(t([[5, 5, 4, 2, 0.3]] * 3), t([0.2, 0.7, 0.7]), torch.tensor([0, 1, 0]),
                                         0.1).tolist() == [1, 2]
    # Empty input.
    empty = torch.ops.lwganet.nms_rotated(torch.zeros(0, 5, dtype=D), torch.zeros(0, dtype=D),
                                          torch.zeros(0, dtype=torch.long), 0.1)
    assert empty.shape == (0,) and empty.dtype == torch.int64


@pytest.mark.parametrize("call,message", [
    (lambda: torch.ops.lwganet.nms_rotated(torch.zeros(2, 4), torch.zeros(2), torch.zeros(2, dtype=torch.long), 0.1),
     r"boxes must be \(N, 5\)"),
    (lambda: torch.ops.lwganet.nms_aligned(torch.zeros(2, 4), torch.zeros(3), torch.zeros(2, dtype=torch.long), 0.1),
     r"scores \(N,\)"),
    (lambda: torch.ops.lwganet.nms_aligned(torch.zeros(2, 4), torch.zeros(2), torch.zeros(2), 0.1),
     "groups must be .* int64"),
    (lambda: torch.ops.lwganet.nms_aligned(torch.zeros(2, 4), torch.zeros(2, dtype=D), torch.zeros(2, dtype=torch.long),
                                           0.1), "share one floating dtype"),
])
def test_nms_ops_reject_bad_arguments(call, message):
    with pytest.raises((ValueError, RuntimeError), match=message):
        call()


def test_scripted_code_calls_the_operators():
    def suppress(boxes: torch.Tensor, scores: torch.Tensor) -> torch.Tensor:
        return torch.ops.lwganet.nms_rotated(boxes, scores, torch.zeros_like(scores, dtype=torch.long), 0.1)

    scripted = torch.jit.script(suppress)
    assert "lwganet::nms_rotated" in str(scripted.graph)
    boxes = t([[5, 5, 4, 2, 0.3], [5.2, 5, 4, 2, 0.3], [20, 5, 4, 2, 0.3]])
    assert scripted(boxes, t([0.9, 0.8, 0.7])).tolist() == [0, 2]


# --- A. FPN -------------------------------------------------------------------------------

def test_fpn_shapes_top_down_and_p6():
    gen = torch.Generator().manual_seed(4)
    widths = (96, 192, 384, 768)
    sizes = [(17, 25), (9, 13), (5, 7), (3, 4)]  # odd maps: nearest upsampling to the exact size
    feats = [torch.randn(1, c, h, w, generator=gen, dtype=D) for c, (h, w) in zip(widths, sizes)]
    fpn = FPN(widths).double().eval()
    with torch.no_grad():
        for p in fpn.parameters():
            p.copy_(torch.randn(p.shape, generator=gen, dtype=D) * 0.05)
        outs = fpn(feats)
        lat = [F.conv2d(f, m.conv.weight, m.conv.bias) for f, m in zip(feats, fpn.lateral_convs)]
        for i in (3, 2, 1):
            h, w = lat[i - 1].shape[2:]
            hi, wi = lat[i].shape[2:]
            rows = [r * hi // h for r in range(h)]  # nearest: floor(dst · in / out)
            cols = [c * wi // w for c in range(w)]
            lat[i - 1] = lat[i - 1] + lat[i][:, :, rows][:, :, :, cols]
        want = [F.conv2d(x, m.conv.weight, m.conv.bias, padding=1) for x, m in zip(lat, fpn.fpn_convs)]
    assert len(outs) == 5 and all(o.shape[1] == 256 for o in outs)
    assert [tuple(o.shape[2:]) for o in outs] == sizes + [(2, 2)]
    for o, w in zip(outs, want):
        assert torch.allclose(o, w, atol=1e-10)
    assert torch.equal(outs[4], outs[3][:, :, ::2, ::2])  # P6: every second pixel of P5
