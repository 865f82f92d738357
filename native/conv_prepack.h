// Load-time rewrite of a frozen CPU float32 graph's convolutions to oneDNN with packed weights.
// OPT-IN (LWGANET_PREPACK=1): measured a net loss on LWGANet as a whole.
//
// aten::conv2d hands oneDNN the weights in PyTorch's layout, and oneDNN reorders them into its
// blocked layout on every call. Packing each constant weight once, at load, and calling
// mkldnn::_convolution_pointwise (fusing a following exact GELU into it) measured 0–45 % faster
// per convolution in isolation, and 7–10 % faster on L0 at 224², but 2.5× SLOWER on L2 at 224²
// in every TorchScript executor mode, for a reason not found yet (bench/README.md, "Levers
// tried and rejected"). The packed weights are opaque oneDNN tensors, which TorchScript cannot
// save: this can only run after loading, never at export.
#pragma once

#include <torch/script.h>

namespace lwganet {

// Rewrites every aten::conv2d of `module`'s forward whose weight (and bias) are graph constants
// (frozen exports), on a float32 CPU module. Returns how many were rewritten (0 when the
// LibTorch has no oneDNN or no mkldnn::_convolution_pointwise, e.g. Debian's 1.13, or when
// LWGANET_PREPACK is not 1). A convolution that cannot be rewritten stays as it was.
int prepackConvolutions(torch::jit::Module& module);

}  // namespace lwganet
