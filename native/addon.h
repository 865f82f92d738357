// Per-environment state of the addon (main thread and every Worker get their own), created by
// Napi::Addon so no JS handle is ever static. LibTorch and the inference threads are shared.
#pragma once

#include <napi.h>

#include <memory>

#include "inference_pool.h"
#include "tensor_class.h"

namespace lwganet {

class LwganetAddon;
void settleOnJsThread(Napi::Env env, Napi::Function, LwganetAddon* addon, Job* job);

class LwganetAddon : public Napi::Addon<LwganetAddon> {
 public:
  LwganetAddon(Napi::Env env, Napi::Object exports);

  // Queues `job` on the inference threads (takes ownership); its Settle() later runs on this
  // environment's JS thread. Keeps the event loop alive while jobs are pending.
  void Submit(Napi::Env env, Job* job);

  // Called on the JS thread after a job settled.
  void JobFinished(Napi::Env env);

  Napi::FunctionReference modelConstructor;
  TensorClass tensorClass;

 private:
  using Completions = Napi::TypedThreadSafeFunction<LwganetAddon, Job, settleOnJsThread>;

  Napi::Value SetTensorClass(const Napi::CallbackInfo& info);
  Napi::Value LoadModelSync(const Napi::CallbackInfo& info);
  Napi::Value LoadModel(const Napi::CallbackInfo& info);
  Napi::Value Devices(const Napi::CallbackInfo& info);
  Napi::Value CachedModuleCount(const Napi::CallbackInfo& info);
  Napi::Value ReleaseCpuCache(const Napi::CallbackInfo& info);
  Napi::Value RotatedNms(const Napi::CallbackInfo& info);
  Napi::Value RotatedIou(const Napi::CallbackInfo& info);
  Napi::Value QuiesceForExit(const Napi::CallbackInfo& info);

  Completions completions_;
  std::shared_ptr<EnvGate> gate_;
  int pending_ = 0;
};

}  // namespace lwganet
