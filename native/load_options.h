// Reading loadModel()'s arguments on the JS thread into a LoadRequest.
#pragma once

#include <napi.h>

#include "loaded_module.h"

namespace lwganet {

struct LoadArguments {
  LoadRequest request;
  int threads = 1;
};

// (source: string | Uint8Array, options: { device, dtype, threads }). Throws ArgumentError for
// malformed arguments and CodedError for an unusable device or precision.
LoadArguments readLoadArguments(const Napi::CallbackInfo& info);

}  // namespace lwganet
