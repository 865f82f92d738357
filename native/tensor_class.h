// The public Tensor class (lib/tensor/tensor.ts) as this JS environment registered it: the addon
// builds output tensors as instances of it, so TypeScript never re-walks an output. Kept in the
// addon's per-environment state, as the main thread and each worker thread have their own class.
#pragma once

#include <napi.h>

namespace lwganet {

class TensorClass {
 public:
  // setTensorClass(constructor, token): the token opens the class's unchecked construction path.
  void Set(const Napi::CallbackInfo& info);

  // new Tensor(dtype, data, shape, token). Throws when this environment registered no class.
  Napi::Object New(Napi::Env env, const char* dtype, Napi::Value data, Napi::Array shape) const;

 private:
  Napi::FunctionReference constructor_;
  Napi::ObjectReference token_;
};

// The class registered in `env`.
const TensorClass& tensorClassOf(Napi::Env env);

}  // namespace lwganet
