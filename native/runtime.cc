#include "runtime.h"

#include <ATen/Parallel.h>
#include <torch/version.h>

#include <string>

#include "device.h"
#include "inference_pool.h"

namespace lwganet {

void applyIntraOpThreads(int threads) {
  thread_local int current = -1;
  if (threads != current) {
    at::set_num_threads(threads);
    current = threads;
  }
}

Napi::Object describeRuntime(Napi::Env env) {
  Napi::Object info = Napi::Object::New(env);
  // TORCH_VERSION is the headers' version; the running library reports the same unless a
  // different LibTorch was put on the library path, which the loader in lib/ checks.
  info.Set("libtorchVersion", Napi::String::New(env, TORCH_VERSION));
  info.Set("builtWithLibtorch", Napi::String::New(env, TORCH_VERSION));
  info.Set("cudaCompiled", Napi::Boolean::New(env, cudaCompiled()));
  info.Set("cudaDeviceCount", Napi::Number::New(env, cudaDeviceCount()));
  std::string reason = cudaUnavailableReason();
  info.Set("cudaUnavailableReason", reason.empty() ? env.Null() : Napi::String::New(env, reason));
  info.Set("parallelInfo", Napi::String::New(env, at::get_parallel_info()));
  info.Set("defaultThreads", Napi::Number::New(env, at::get_num_threads()));
  info.Set("inferenceThreads", Napi::Number::New(env, static_cast<double>(InferencePool::Instance().Size())));
  return info;
}

}  // namespace lwganet
