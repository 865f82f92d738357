// Process-wide LibTorch settings and build information.
#pragma once

#include <napi.h>

namespace lwganet {

// Sets LibTorch's intra-op thread count for the calling thread's forward passes. OpenMP keeps
// the count per thread, so every inference thread (and the JS thread for sync runs) applies it.
void applyIntraOpThreads(int threads);

// One intra-op thread on the calling thread for the scope, the previous count afterwards. For
// work on the JS thread that should not give it an OpenMP team of its own (a synchronous load):
// libgomp stops spinning once the threads it manages outnumber the CPUs, and every team's
// workers count, so a JS-thread team slows every async forward's team. (at::set_num_threads also
// clears oneDNN's primitive cache: loaded models rebuild their primitives once, on their next forward.)
class SingleThreadedScope {
 public:
  SingleThreadedScope();
  ~SingleThreadedScope();
  SingleThreadedScope(const SingleThreadedScope&) = delete;
  SingleThreadedScope& operator=(const SingleThreadedScope&) = delete;

 private:
  int previous_;
};

// { libtorchVersion, builtWithLibtorch, cudaCompiled, cudaDeviceCount, cudaUnavailableReason,
//   parallelInfo, defaultThreads, inferenceThreads }
Napi::Object describeRuntime(Napi::Env env);

}  // namespace lwganet
