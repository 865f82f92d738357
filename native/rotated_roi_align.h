// The TorchScript operator lwganet::rotated_roi_align with a C++ kernel, so the RoI stage of an
// exported Oriented R-CNN (python/lwganet/detection/native_ops.py declares the same schema and
// backs it with the grid_sample reference) samples its RoI features natively here.
#pragma once

namespace lwganet {

// Registers the operator with LibTorch's dispatcher, once per process; a no-op when it is
// already registered (e.g. by a second copy of the addon). Must run before any TorchScript
// file that calls it is loaded.
void registerRotatedRoiAlignOperator();

}  // namespace lwganet
