"""compat.py: the torch 1.13 fallbacks compute what the 2.x calls compute, and the pinned torch
gets the 2.x calls."""

import torch
import torch.nn.functional as F

from lwganet import compat


def test_the_pinned_torch_uses_the_fused_attention():
    assert compat.HAS_SDPA
    assert compat.scaled_dot_product_attention is compat._fused_attention


def test_matmul_fallback_matches_torch_sdpa():
    gen = torch.Generator().manual_seed(0)
    q, k, v = (torch.randn(2, 3, 50, 4, generator=gen, dtype=torch.float64) for _ in range(3))
    expected = F.scaled_dot_product_attention(q, k, v, scale=0.5)
    torch.testing.assert_close(compat._matmul_attention(q, k, v, 0.5), expected, rtol=0, atol=1e-12)
    torch.testing.assert_close(compat.scaled_dot_product_attention(q, k, v, 0.5), expected, rtol=0, atol=1e-12)


def test_both_attentions_script():
    gen = torch.Generator().manual_seed(1)
    q, k, v = (torch.randn(1, 2, 9, 4, generator=gen) for _ in range(3))
    for fn in (compat._fused_attention, compat._matmul_attention):
        torch.testing.assert_close(torch.jit.script(fn)(q, k, v, 0.5), fn(q, k, v, 0.5))
