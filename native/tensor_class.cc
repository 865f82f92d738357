#include "tensor_class.h"

#include "addon.h"

namespace lwganet {

void TensorClass::Set(const Napi::CallbackInfo& info) {
  if (info.Length() < 2 || !info[0].IsFunction() || !info[1].IsObject()) {
    throw Napi::TypeError::New(info.Env(), "setTensorClass expects the Tensor class and its construction token");
  }
  constructor_ = Napi::Persistent(info[0].As<Napi::Function>());
  token_ = Napi::Persistent(info[1].As<Napi::Object>());
}

Napi::Object TensorClass::New(Napi::Env env, const char* dtype, Napi::Value data, Napi::Array shape) const {
  if (constructor_.IsEmpty()) {
    throw Napi::Error::New(env, "lwganet-node: no Tensor class registered in this JavaScript environment "
                                "(load the addon through lib/native/binding.ts, which calls setTensorClass)");
  }
  return constructor_.New({Napi::String::New(env, dtype), data, shape, token_.Value()});
}

const TensorClass& tensorClassOf(Napi::Env env) { return env.GetInstanceData<LwganetAddon>()->tensorClass; }

}  // namespace lwganet
