// One forward pass, identical for the sync path (JS thread) and the async path (inference thread).
#pragma once

#include <torch/script.h>

#include <vector>

#include "loaded_module.h"
#include "output_value.h"

namespace lwganet {

// Moves inputs to the module's device and precision, runs forward under InferenceMode with
// `threads` intra-op threads, and prepares the result for JavaScript. Throws on failure.
OutputValue runForward(LoadedModule& module, std::vector<c10::IValue> inputs, int threads);

}  // namespace lwganet
