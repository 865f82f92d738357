// The operator lwganet::depthwise_conv2d: a depthwise convolution of a channels-last float map
// with a C++ kernel whose call costs a few microseconds. The .pt2 exporter
// (python/lwganet/formats/small_depthwise.py) puts it in place of the small depthwise
// convolutions of a compiled graph, where oneDNN's ~17 µs per call outweighs the work; the same
// schema is declared in python/lwganet/formats/depthwise_op.py with the reference (conv2d).
#pragma once

namespace lwganet {

// Registers the operator with LibTorch's dispatcher, once per process; a no-op when it is
// already registered (e.g. by a second copy of the addon). Must run before a package that
// calls it is loaded.
void registerDepthwiseConvOperator();

}  // namespace lwganet
