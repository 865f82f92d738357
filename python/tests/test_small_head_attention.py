"""Attention with small heads as ``lwganet::attention`` (formats/attention_op.py,
formats/small_head_attention.py): the operator's Python reference and shape function (values,
output layout, errors), which attention calls of an exported graph the rewrite takes, that the
rewritten graph computes the same function, and that a compiled package calls the operator and
equals eager. The C++ kernel is tested from Node (test/small-head-attention.test.ts) against the
same reference."""

import zipfile

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from lwganet.build import create_model
from lwganet.formats.attention_op import SCHEMA, attention
from lwganet.formats.pt2 import CompiledEntry, package_entries
from lwganet.formats.small_head_attention import small_head_attention_as_op
from lwganet.graph import prepare_graph
from lwganet.layers.attention import GA

OP = torch.ops.lwganet.attention.default
SDPA = torch.ops.aten.scaled_dot_product_attention.default


def split_qkv(tokens: int, heads: int, dim: int, batch: int = 1):
    """q, k, v as GA makes them: strided views of one (B, N, 3, H, D) tensor."""
    qkv = torch.randn(batch, tokens, 3, heads, dim).permute(2, 0, 3, 1, 4)
    return qkv[0], qkv[1], qkv[2]


@pytest.mark.parametrize("tokens,heads,dim,batch", [(49, 16, 4, 1), (37, 3, 8, 2), (5, 2, 16, 1)])
def test_the_operator_is_sdpa_laid_out_token_major(tokens, heads, dim, batch):
    q, k, v = split_qkv(tokens, heads, dim, batch)
    got = attention(q, k, v, 0.5)
    torch.testing.assert_close(got, F.scaled_dot_product_attention(q, k, v, scale=0.5), rtol=0, atol=0)
    assert got.shape == (batch, heads, tokens, dim)
    assert got.stride() == (tokens * heads * dim, dim, heads * dim, 1)  # a contiguous (B, N, H, D)
    with torch._subclasses.FakeTensorMode():  # the shape function export and Inductor use
        fake = OP(torch.empty(batch, heads, tokens, dim), torch.empty(batch, heads, 7, dim),
                  torch.empty(batch, heads, 7, dim), 0.5)
    assert fake.shape == got.shape and fake.stride() == got.stride()


def test_queries_and_keys_may_differ_in_number():
    q = torch.randn(1, 2, 3, 4)
    k, v = torch.randn(1, 2, 11, 4), torch.randn(1, 2, 11, 4)
    torch.testing.assert_close(attention(q, k, v, 0.25), F.scaled_dot_product_attention(q, k, v, scale=0.25))


def test_the_operator_rejects_mismatched_inputs():
    q = torch.randn(1, 2, 5, 4)
    with pytest.raises(RuntimeError, match=r"must be \(B, H, N, D\)"):
        attention(q[0], q[0], q[0], 0.5)
    with pytest.raises(RuntimeError, match="one shape"):
        attention(q, torch.randn(1, 2, 5, 4), torch.randn(1, 2, 6, 4), 0.5)
    with pytest.raises(RuntimeError, match="share B, H and D"):
        attention(q, torch.randn(1, 3, 5, 4), torch.randn(1, 3, 5, 4), 0.5)
    with pytest.raises(RuntimeError, match="no keys"):
        attention(q, torch.randn(1, 2, 0, 4), torch.randn(1, 2, 0, 4), 0.5)
    assert SCHEMA == "attention(Tensor query, Tensor key, Tensor value, float scale) -> Tensor"


class Mixed(nn.Module):
    """Each kind of attention call the rewrite must take or leave."""

    def forward(self, small, wide, mask):
        q, k, v = small
        taken = F.scaled_dot_product_attention(q, k, v, scale=0.3)              # 4-channel heads: taken
        default_scale = F.scaled_dot_product_attention(q, k, v)                 # scale None → D^-0.5: taken
        masked = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)        # a mask: left
        causal = F.scaled_dot_product_attention(q, k, v, is_causal=True)        # causal: left
        dropped = F.scaled_dot_product_attention(q, k, v, dropout_p=0.1)        # dropout: left
        grouped = F.scaled_dot_product_attention(q, k, v, enable_gqa=True)      # grouped-query: left
        wq, wk, wv = wide
        wide_out = F.scaled_dot_product_attention(wq, wk, wv)                   # 16-channel heads: left
        return taken, default_scale, masked, causal, dropped, grouped, wide_out


def test_the_rewrite_takes_unmasked_attention_with_small_heads_only():
    inputs = (split_qkv(9, 2, 4), split_qkv(9, 2, 16), torch.randn(9, 9))
    model = Mixed().eval()
    with torch.no_grad():
        module = torch.export.export(model, inputs).module()
    assert small_head_attention_as_op(module) == 2
    nodes = [n for n in module.graph.nodes if n.op == "call_function"]
    calls = [n for n in nodes if n.target is OP]
    assert len(calls) == 2 and sum(n.target is SDPA for n in nodes) == 5
    assert sorted(n.args[3] for n in calls) == [0.3, 0.5]  # the given scale, and 4 ** -0.5 for the default
    with torch.no_grad():
        torch.manual_seed(0)
        got = module(*inputs)
        torch.manual_seed(0)
        want = model(*inputs)
        for i in (0, 1, 2, 3, 5, 6):  # not the dropout output (drawn afresh each call)
            torch.testing.assert_close(got[i], want[i])


def test_lwganet_l0_gets_its_six_attention_calls_and_computes_the_same():
    model = prepare_graph(create_model("lwganet_l0"), "fast")
    x = (torch.randn(1, 3, 224, 224).contiguous(memory_format=torch.channels_last),)
    with torch.no_grad():
        module = torch.export.export(model, x).module()
    assert small_head_attention_as_op(module) == 6  # D_GA in the four stage-3 blocks, GA in the two stage-4 ones
    assert not any(n.target is SDPA for n in module.graph.nodes)
    with torch.no_grad():
        torch.testing.assert_close(module(*x), model(*x), rtol=1e-5, atol=1e-6)


def test_a_compiled_package_calls_the_operator_and_equals_eager(tmp_path):
    model = nn.Sequential(nn.Conv2d(3, 16, 3, padding=1), GA(16)).eval()
    model[1].formulation = "sdpa"
    x = torch.randn(1, 3, 8, 8)
    out = tmp_path / "att.pt2"
    written = package_entries(model, [CompiledEntry("b1_8x8", (x,))], out, "{}", compiled_rewrites=True)
    assert written["b1_8x8"]["lwganet.attentionOps"] == "1"
    with zipfile.ZipFile(out) as package:
        extern = [package.read(n).decode() for n in package.namelist() if n.endswith(".json")]
    assert sum(text.count("lwganet::attention") for text in extern) >= 1  # the proxy executor's call
    loader = torch._C._aoti.AOTIModelPackageLoader(str(out), "b1_8x8", False, 1, -1)
    with torch.no_grad():
        torch.testing.assert_close(loader.run([x])[0], model(x), rtol=1e-4, atol=1e-5)
    plain = tmp_path / "plain.pt2"
    assert "lwganet.attentionOps" not in package_entries(model, [CompiledEntry("b1_8x8", (x,))], plain, "{}")["b1_8x8"]

