// Process-wide LibTorch settings and build information.
#pragma once

#include <napi.h>

namespace lwganet {

// Sets LibTorch's intra-op thread count for the calling thread's forward passes. OpenMP keeps
// the count per thread, so every inference thread (and the JS thread for sync runs) applies it.
void applyIntraOpThreads(int threads);

// { libtorchVersion, builtWithLibtorch, cudaCompiled, cudaDeviceCount, cudaUnavailableReason,
//   parallelInfo, defaultThreads, inferenceThreads }
Napi::Object describeRuntime(Napi::Env env);

}  // namespace lwganet
