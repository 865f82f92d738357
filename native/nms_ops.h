// The TorchScript operators lwganet::nms_aligned and lwganet::nms_rotated with C++ kernels, so a
// detector exported from Python (python/lwganet/detection/native_ops.py) runs native NMS here.
#pragma once

namespace lwganet {

// Registers both operators with LibTorch's dispatcher, once per process; a no-op when they are
// already registered (e.g. by a second copy of the addon loaded into the same process). Must run
// before any TorchScript file that calls them is loaded.
void registerNmsOperators();

}  // namespace lwganet
