// The operator lwganet::attention: softmax(scale · q kᵀ) v for heads of 4 or 8 channels, with a
// C++ kernel. LWGANet's global attention has 4 channels per head, so each score costs four
// multiply-adds and one exponential: ATen's attention (built for wide heads and matrix-product
// tiles) spends ~1.4 ns per score and thread on it, half of a 1024² backbone forward. The .pt2
// exporter (python/lwganet/formats/small_head_attention.py) puts this operator in place of
// scaled_dot_product_attention calls with such heads; the same schema is declared in
// python/lwganet/formats/attention_op.py with the reference (scaled_dot_product_attention).
#pragma once

namespace lwganet {

// Registers the operator with LibTorch's dispatcher, once per process; a no-op when it is
// already registered (e.g. by a second copy of the addon). Must run before a package that
// calls it is loaded.
void registerSmallHeadAttentionOperator();

}  // namespace lwganet
