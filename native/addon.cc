// Module init: registers the native functions. Everything else lives in its own file.
#include "addon.h"

#include "cpu_memory.h"
#include "depthwise_conv.h"
#include "errors.h"
#include "load_options.h"
#include "model_wrap.h"
#include "nms_napi.h"
#include "nms_ops.h"
#include "rotated_roi_align.h"
#include "runtime.h"
#include "small_head_attention.h"

namespace lwganet {
namespace {

// Loads a module on an inference thread; the NativeModel is created back on the JS thread.
class LoadJob : public Job {
 public:
  LoadJob(LoadArguments args, Napi::Promise::Deferred deferred) : args_(std::move(args)), deferred_(deferred) {}

  void Run() override {
    try {
      module_ = loadModule(args_.request);
    } catch (...) {
      error_ = captureCurrentException("MODEL_CORRUPT", "Model load failed");
    }
    args_.request.bytes.clear();
  }

  void Settle(Napi::Env env) override {
    if (!module_) {
      deferred_.Reject(toJsError(env, error_).Value());
      return;
    }
    try {
      deferred_.Resolve(NativeModel::Create(env, std::move(module_), args_.threads));
    } catch (const Napi::Error& error) {
      deferred_.Reject(error.Value());
    } catch (const std::exception& error) {
      deferred_.Reject(toJsError(env, {CapturedError::Kind::Coded, "MODEL_CORRUPT", std::string("Model load failed: ") + error.what()}).Value());
    }
  }

 private:
  LoadArguments args_;
  Napi::Promise::Deferred deferred_;
  std::shared_ptr<LoadedModule> module_;
  CapturedError error_;
};

}  // namespace

void settleOnJsThread(Napi::Env env, Napi::Function, LwganetAddon* addon, Job* job) {
  std::unique_ptr<Job> owned(job);
  if (env == nullptr) return;  // the environment is being torn down: drop the result
  Napi::HandleScope scope(env);
  try {
    job->Settle(env);
  } catch (...) {
    // Settle() reports its own failures; nothing may escape into the event loop.
  }
  addon->JobFinished(env);
}

LwganetAddon::LwganetAddon(Napi::Env env, Napi::Object exports) {
  registerNmsOperators();  // before any model is loaded: exported detectors call lwganet::nms_*
  registerRotatedRoiAlignOperator();  // and lwganet::rotated_roi_align
  registerDepthwiseConvOperator();  // compiled packages (.pt2) call lwganet::depthwise_conv2d
  registerSmallHeadAttentionOperator();  // and lwganet::attention
  installCpuMemoryPolicy();  // before any tensor is made: blocks it did not allocate are never cached
  modelConstructor = Napi::Persistent(NativeModel::DefineClass(env));
  completions_ = Completions::New(env, "lwganet-inference", 0, 1, this);
  completions_.Unref(env);  // only pending jobs keep the process alive
  gate_ = std::make_shared<EnvGate>(&completions_, [](void* target, Job* job) {
    return static_cast<Completions*>(target)->NonBlockingCall(job) == napi_ok;
  });
  // Registered after the thread-safe function, so it runs before that is torn down
  // (cleanup hooks run in reverse order): no inference thread touches this environment after.
  std::shared_ptr<EnvGate> gate = gate_;
  env.AddCleanupHook([gate] { gate->Close(); });

  DefineAddon(exports, {
                           InstanceMethod<&LwganetAddon::SetTensorClass>("setTensorClass"),
                           InstanceMethod<&LwganetAddon::LoadModelSync>("loadModelSync"),
                           InstanceMethod<&LwganetAddon::LoadModel>("loadModel"),
                           InstanceMethod<&LwganetAddon::Devices>("devices"),
                           InstanceMethod<&LwganetAddon::CachedModuleCount>("cachedModuleCount"),
                           InstanceMethod<&LwganetAddon::ReleaseCpuCache>("releaseCpuCache"),
                           InstanceMethod<&LwganetAddon::RotatedNms>("rotatedNms"),
                           InstanceMethod<&LwganetAddon::RotatedIou>("rotatedIou"),
                           InstanceMethod<&LwganetAddon::QuiesceForExit>("quiesceForExit"),
                       });
}

void LwganetAddon::Submit(Napi::Env env, Job* job) {
  job->gate = gate_;
  if (pending_++ == 0) completions_.Ref(env);
  InferencePool::Instance().Submit(job);
}

void LwganetAddon::JobFinished(Napi::Env env) {
  if (--pending_ == 0) completions_.Unref(env);
}

Napi::Value LwganetAddon::SetTensorClass(const Napi::CallbackInfo& info) {
  tensorClass.Set(info);
  return info.Env().Undefined();
}

Napi::Value LwganetAddon::LoadModelSync(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::shared_ptr<LoadedModule> module;
  int threads;
  try {
    LoadArguments args = readLoadArguments(info);
    threads = args.threads;
    SingleThreadedScope serial;  // on the JS thread: no OpenMP team here (runtime.h)
    module = loadModule(args.request);
  } catch (...) {
    throw toJsError(env, captureCurrentException("MODEL_CORRUPT", "Model load failed"));
  }
  return NativeModel::Create(env, std::move(module), threads);
}

Napi::Value LwganetAddon::LoadModel(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Promise::Deferred deferred = Napi::Promise::Deferred::New(env);
  try {
    Submit(env, new LoadJob(readLoadArguments(info), deferred));
  } catch (...) {
    deferred.Reject(toJsError(env, captureCurrentException("MODEL_CORRUPT", "Model load failed")).Value());
  }
  return deferred.Promise();
}

Napi::Value LwganetAddon::Devices(const Napi::CallbackInfo& info) {
  try {
    return describeRuntime(info.Env());
  } catch (const Napi::Error&) {
    throw;
  } catch (...) {
    throw toJsError(info.Env(), captureCurrentException("FORWARD_FAILED", "Reading LibTorch's device information failed"));
  }
}

Napi::Value LwganetAddon::CachedModuleCount(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(cachedModuleCount()));
}

Napi::Value LwganetAddon::ReleaseCpuCache(const Napi::CallbackInfo& info) {
  releaseCpuCache();
  return info.Env().Undefined();
}

Napi::Value LwganetAddon::RotatedNms(const Napi::CallbackInfo& info) { return rotatedNmsJs(info); }

Napi::Value LwganetAddon::QuiesceForExit(const Napi::CallbackInfo& info) {
  InferencePool::QuiesceForExit();
  return info.Env().Undefined();
}

Napi::Value LwganetAddon::RotatedIou(const Napi::CallbackInfo& info) { return rotatedIouJs(info); }

}  // namespace lwganet

using lwganet::LwganetAddon;
NODE_API_NAMED_ADDON(lwganet, LwganetAddon)
