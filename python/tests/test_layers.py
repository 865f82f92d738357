"""Building blocks against independent formulations written from their definitions."""

import itertools

import pytest
import torch
import torch.nn.functional as F

from torch import nn

from lwganet.backbone import DRFD, GA12, MRA, D_GA, set_formulation
from lwganet.layers import (GA, BlurPool, blur_filter, max_pool_2x2, max_unpool_2x2, mirror_indices,
                            scatter_unpool, shear_cols, shear_rows, unshear_cols, unshear_rows)
from conftest import fill_

SIZES = [(5, 5), (7, 7), (12, 12), (4, 9), (9, 4), (1, 6), (3, 1)]


def rand(*shape, seed=0):
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)


# --- shear transforms ------------------------------------------------------------------------
@pytest.mark.parametrize("h,w", SIZES)
def test_shear_transforms_match_their_index_definitions(h, w):
    t = rand(2, 3, h, w)
    rows, cols = shear_rows(t), shear_cols(t)
    assert rows.shape == (2, 3, h, w + h - 1) and cols.shape == (2, 3, h + w - 1, w)
    for r, j in itertools.product(range(h), range(w + h - 1)):  # hT[r, j] = t[r, j − r]
        want = t[..., r, j - r] if 0 <= j - r < w else torch.zeros(2, 3, dtype=t.dtype)
        assert torch.equal(rows[..., r, j], want)
    for i, c in itertools.product(range(h + w - 1), range(w)):  # vT[i, c] = t[i − c, c]
        want = t[..., i - c, c] if 0 <= i - c < h else torch.zeros(2, 3, dtype=t.dtype)
        assert torch.equal(cols[..., i, c], want)
    y_rows, y_cols = rand(2, 3, h, w + h - 1, seed=1), rand(2, 3, h + w - 1, w, seed=2)
    inv_rows, inv_cols = unshear_rows(y_rows), unshear_cols(y_cols)
    for r, c in itertools.product(range(h), range(w)):  # inv_h[r,c] = y[r, r+c]; inv_v[r,c] = y[r+c, c]
        assert torch.equal(inv_rows[..., r, c], y_rows[..., r, r + c])
        assert torch.equal(inv_cols[..., r, c], y_cols[..., r + c, c])
    assert torch.equal(unshear_rows(rows), t) and torch.equal(unshear_cols(cols), t)


def test_square_shear_is_the_official_recipe():
    # The official shear: pad each row by n, flatten, drop the last n, reshape n × (2n − 1).
    n = 7
    t = rand(1, 2, n, n)
    official = F.pad(t, [0, n]).flatten(2)[:, :, :-n].reshape(1, 2, n, 2 * n - 1)
    assert torch.equal(shear_rows(t), official)
    y = rand(1, 2, n, 2 * n - 1)  # inverse: flatten, pad n, reshape n × 2n, first n columns
    assert torch.equal(unshear_rows(y), F.pad(y.flatten(2), [0, n]).reshape(1, 2, n, 2 * n)[..., :n])


def closed_form_sheared(t, weight_h2, weight_v2, p):
    """h2[r,c] = Σ W_H2[a+p, b+1]·t̃[r+a, c+b−a];  v2[r,c] = Σ W_V2[a+1, b+p]·t̃[r+a−b, c+b]."""
    _, ch, h, w = t.shape

    def at(i, j):
        return t[0, :, i, j] if 0 <= i < h and 0 <= j < w else torch.zeros(ch, dtype=t.dtype)

    h2, v2 = torch.zeros_like(t), torch.zeros_like(t)
    for r, c in itertools.product(range(h), range(w)):
        for a, b in itertools.product(range(-p, p + 1), range(-1, 2)):
            h2[0, :, r, c] += weight_h2[:, 0, a + p, b + 1] * at(r + a, c + b - a)
        for a, b in itertools.product(range(-1, 2), range(-p, p + 1)):
            v2[0, :, r, c] += weight_v2[:, 0, a + 1, b + p] * at(r + a - b, c + b)
    return h2, v2


@pytest.mark.parametrize("h,w", [(5, 5), (4, 7), (8, 3)])
def test_sheared_strip_convolutions_equal_the_closed_form(h, w):
    mra = fill_(MRA(2, 11).double())
    t = rand(1, 2, h, w)
    h2 = unshear_rows(mra.H_att2(shear_rows(t)))
    v2 = unshear_cols(mra.V_att2(shear_cols(t)))
    want_h2, want_v2 = closed_form_sheared(t, mra.H_att2.weight, mra.V_att2.weight, 5)
    torch.testing.assert_close(h2, want_h2, rtol=0, atol=1e-13)
    torch.testing.assert_close(v2, want_v2, rtol=0, atol=1e-13)


@pytest.mark.parametrize("h,w", [(5, 5), (4, 7), (19, 13), (1, 1)])
def test_fused_mra_kernel_equals_the_four_strip_convolutions(h, w):
    mra = fill_(MRA(4, 11).double(), seed=3)
    t = rand(2, 4, h, w)
    torch.testing.assert_close(mra.strips_fused(t), mra.strips_shear(t), rtol=0, atol=1e-12)


# --- BlurPool ----------------------------------------------------------------------------------
def test_blur_filter_is_the_normalised_binomial_outer_product():
    f = blur_filter(3)
    taps = torch.tensor([1.0, 3.0, 3.0, 1.0])
    assert f.shape == (3, 1, 4, 4) and f.dtype == torch.float32
    assert torch.equal(f[2, 0], torch.outer(taps, taps) / 64)


@pytest.mark.parametrize("n", [3, 4, 5, 7, 10])
def test_mirror_indices_equal_reflection_padding(n):
    x = torch.arange(float(n)).view(1, 1, n)
    assert F.pad(x, [1, 2], mode="reflect").flatten().long().tolist() == mirror_indices(n, 1, 2)


def test_mirror_indices_keep_reflecting_on_tiny_axes():
    assert mirror_indices(1, 1, 2) == [0, 0, 0, 0]
    assert mirror_indices(2, 1, 2) == [1, 0, 1, 0, 1]


@pytest.mark.parametrize("h,w", [(3, 3), (6, 6), (7, 11), (12, 5), (1, 2), (2, 9)])
def test_blur_pool_equals_its_definition(h, w):
    """out[i,j] = Σ_{u,v} k[u]k[v]/64 · x[mirror(3i+u−1), mirror(3j+v−1)], size ceil(n/3)."""
    x = rand(1, 2, h, w)
    out = BlurPool(2).double()(x)
    assert out.shape[-2:] == ((h + 2) // 3, (w + 2) // 3)
    taps = [1.0, 3.0, 3.0, 1.0]
    rows, cols = mirror_indices(h, 1, 2), mirror_indices(w, 1, 2)
    for i, j in itertools.product(range(out.shape[2]), range(out.shape[3])):
        want = sum(taps[u] * taps[v] / 64 * x[0, :, rows[3 * i + u], cols[3 * j + v]]
                   for u in range(4) for v in range(4))
        torch.testing.assert_close(out[0, :, i, j], want, rtol=0, atol=1e-14)


# --- 2×2 max-pool with indices and the scatter back ---------------------------------------------
@pytest.mark.parametrize("h,w", [(4, 4), (6, 10), (8, 2)])
def test_scatter_unpool_equals_max_unpool_on_even_sizes(h, w):
    x = rand(2, 3, h, w)
    floor_z, floor_idx = max_pool_2x2(x, ceil_mode=False)
    ceil_z, ceil_idx = max_pool_2x2(x, ceil_mode=True)
    assert torch.equal(floor_z, ceil_z) and torch.equal(floor_idx, ceil_idx)
    assert torch.equal(scatter_unpool(floor_z, floor_idx, x), max_unpool_2x2(floor_z, floor_idx))


@pytest.mark.parametrize("h,w", [(4, 4), (5, 7), (1, 1), (3, 2)])
def test_unpool_round_trip(h, w):
    """pool → scatter back keeps exactly each window's maximum at its place (odd sides: the
    partial window of the ceil-mode pool), and pooling that map again returns the same values
    and indices."""
    x = rand(2, 3, h, w).abs() + 0.1  # positive, so zeros never win the re-pool
    z, idx = max_pool_2x2(x, ceil_mode=True)
    back = scatter_unpool(z, idx, x)
    assert back.shape == x.shape
    for i, j in itertools.product(range(z.shape[2]), range(z.shape[3])):
        window = x[..., 2 * i:2 * i + 2, 2 * j:2 * j + 2]
        assert torch.equal(z[..., i, j], window.amax(dim=(-2, -1)))
    kept = back != 0
    assert torch.equal(back[kept], x[kept]) and int(kept.sum()) == z.numel()
    z2, idx2 = max_pool_2x2(back, ceil_mode=True)
    assert torch.equal(z2, z) and torch.equal(idx2, idx)


def test_index_pool_ties_pick_the_first_element_in_row_major_order():
    # Exact ties resolve like upstream. Near-ties are the float32 caveat of conftest.py: a
    # different rounding can move the argmax, which is why model parity is checked in float64.
    x = torch.ones(1, 1, 2, 2)
    _, idx = max_pool_2x2(x, ceil_mode=True)
    assert idx.item() == 0


# --- global attention -----------------------------------------------------------------------------
def test_ga_equals_per_head_softmax_attention():
    ga = fill_(GA(8).double(), seed=5)
    x = rand(2, 8, 3, 5)
    tokens = x.flatten(2).transpose(1, 2)  # (B, N, C), row-major pixels
    q, k, v = (tokens @ ga.qkv.weight.T).split(8, dim=-1)
    heads = []
    for h in range(2):  # 8 channels / head_dim 4
        s = slice(4 * h, 4 * h + 4)
        weights = torch.softmax(q[..., s] @ k[..., s].transpose(1, 2) * 0.5, dim=-1)
        heads.append(weights @ v[..., s])
    want = (torch.cat(heads, dim=-1) @ ga.proj.weight.T).transpose(1, 2).reshape(2, 8, 3, 5)
    torch.testing.assert_close(ga(x), want, rtol=0, atol=1e-13)
    ga.formulation = "sdpa"
    torch.testing.assert_close(ga(x), want, rtol=0, atol=1e-12)


# --- backbone blocks -------------------------------------------------------------------------
@pytest.mark.parametrize("branch", ["GA12", "D_GA"])
@pytest.mark.parametrize("h,w", [(9, 11), (5, 4), (6, 7)])
def test_pooled_branch_on_odd_maps_equals_the_even_map_padded_with_minus_infinity(branch, h, w):
    """The any-size pooling takes each partial 2x2 window at an odd edge (ceil mode): the same as
    padding the map with -inf to even sides, running the official floor-mode pool + max_unpool2d,
    and cropping. Dropping the partial windows would zero the last row or column."""
    module = fill_(GA12(8, nn.GELU) if branch == "GA12" else D_GA(8)).double().eval()
    x = rand(2, 8, h, w, seed=4)
    padded = F.pad(x, (0, w % 2, 0, h % 2), value=float("-inf"))
    with torch.no_grad():
        ours = set_formulation(module, unpool="scatter")(x)
        official = set_formulation(module, unpool="max_unpool")(padded)[..., :h, :w]
    torch.testing.assert_close(ours, official, rtol=0, atol=1e-13)


def test_mra_runs_the_strip_formulation_it_is_set_to(monkeypatch):
    """Both formulations give the same numbers, so only this tells that the fast graph really
    runs the one fused convolution (and the official graph the four sheared strips)."""
    mra = fill_(MRA(4, 11)).double().eval()
    x = rand(1, 4, 12, 12)
    for chosen, other in (("shear", "strips_fused"), ("fused", "strips_shear")):
        set_formulation(mra, mra=chosen)
        with monkeypatch.context() as patch:
            def refuse(t, other=other):
                raise AssertionError(f"the {chosen} formulation ran {other}")
            patch.setattr(mra, other, refuse)
            with torch.no_grad():
                mra(x)


def test_drfd_normalises_the_pool_branch_after_pooling():
    """DRFD's max-pool branch is max-pool then BN (as upstream). With a negative BN scale
    (trained weights have them) BN first would turn the window maximum into a minimum."""
    drfd = fill_(DRFD(4, nn.GELU)).double().eval()
    with torch.no_grad():
        drfd.norm_m.weight[::2] *= -1
        x = rand(1, 4, 9, 10, seed=5)
        y = drfd.conv(x)
        conv_branch = drfd.norm_c(F.gelu(drfd.conv_c(y)))
        pool_branch = drfd.norm_m(F.max_pool2d(y, 3, 2, 1))
        expected = drfd.fusion(torch.cat([conv_branch, pool_branch], dim=1))
        torch.testing.assert_close(drfd(x), expected, rtol=0, atol=1e-13)
