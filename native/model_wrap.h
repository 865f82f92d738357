// NativeModel: the JS object behind lib/model/model.ts. Holds a shared reference to a LoadedModule;
// forwardSync runs on the JS thread, forward on the inference threads.
#pragma once

#include <napi.h>

#include <memory>
#include <string>

#include "loaded_module.h"

namespace lwganet {

class NativeModel : public Napi::ObjectWrap<NativeModel> {
 public:
  // Defines the class; instances are made only by loadModel()/loadModelSync().
  static Napi::Function DefineClass(Napi::Env env);
  // Wraps a loaded module in a new NativeModel (JS thread).
  static Napi::Object Create(Napi::Env env, std::shared_ptr<LoadedModule> module, int threads);

  explicit NativeModel(const Napi::CallbackInfo& info);

 private:
  Napi::Value ForwardSync(const Napi::CallbackInfo& info);
  Napi::Value Forward(const Napi::CallbackInfo& info);
  Napi::Value Dispose(const Napi::CallbackInfo& info);
  Napi::Value GetDevice(const Napi::CallbackInfo& info);
  Napi::Value GetDType(const Napi::CallbackInfo& info);
  Napi::Value GetThreads(const Napi::CallbackInfo& info);
  Napi::Value GetPrepackedConvolutions(const Napi::CallbackInfo& info);
  Napi::Value GetInputs(const Napi::CallbackInfo& info);
  Napi::Value GetCompiledEntries(const Napi::CallbackInfo& info);
  Napi::Value GetMetadataJson(const Napi::CallbackInfo& info);
  Napi::Value GetDisposed(const Napi::CallbackInfo& info);
  Napi::Value GetPendingRuns(const Napi::CallbackInfo& info);

  // Reads the JS input array into borrowed tensors, checking arity against forward's schema.
  // `data`, when given, receives each input's typed array (empty for an omitted input).
  std::vector<c10::IValue> ReadInputs(Napi::Value value, std::vector<Napi::TypedArray>* data = nullptr) const;
  LoadedModule& LiveModule() const;

  std::shared_ptr<LoadedModule> module_;  // null after dispose()
  ModuleDescription described_;  // for the read-only properties, also after dispose()
  int threads_ = 1;
  std::shared_ptr<int> pendingRuns_ = std::make_shared<int>(0);  // touched on the JS thread only
};

}  // namespace lwganet
