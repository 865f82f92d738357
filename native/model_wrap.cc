#include "model_wrap.h"

#include "addon.h"
#include "device.h"
#include "errors.h"
#include "forward.h"
#include "tensor_convert.h"

namespace lwganet {
namespace {

struct ModelInit {
  std::shared_ptr<LoadedModule> module;
  int threads;
};

// A forward pass queued on the inference threads. Its inputs are copies made on the JS thread
// (Forward below): JavaScript can free, transfer or resize a borrowed buffer while the forward
// runs, and no N-API call can pin an ArrayBuffer's memory.
class ForwardJob : public Job {
 public:
  ForwardJob(std::shared_ptr<LoadedModule> module, std::vector<c10::IValue> inputs, int threads,
             Napi::Promise::Deferred deferred, std::shared_ptr<int> pending)
      : module_(std::move(module)), inputs_(std::move(inputs)), threads_(threads), deferred_(deferred),
        pending_(std::move(pending)) {}

  void Run() override {
    try {
      output_ = runForward(*module_, std::move(inputs_), threads_);
    } catch (...) {
      failed_ = true;
      error_ = captureCurrentException("FORWARD_FAILED", "Model forward failed");
    }
    inputs_.clear();
  }

  void Settle(Napi::Env env) override {
    --*pending_;
    if (failed_) {
      deferred_.Reject(toJsError(env, error_).Value());
      return;
    }
    try {
      deferred_.Resolve(outputToJs(env, output_));
    } catch (const Napi::Error& error) {
      deferred_.Reject(error.Value());
    } catch (const std::exception& error) {  // e.g. out of memory while building the result
      deferred_.Reject(toJsError(env, {CapturedError::Kind::Coded, "FORWARD_FAILED", std::string("Returning the model output failed: ") + error.what()}).Value());
    }
  }

 private:
  std::shared_ptr<LoadedModule> module_;
  std::vector<c10::IValue> inputs_;
  int threads_;
  Napi::Promise::Deferred deferred_;
  std::shared_ptr<int> pending_;
  OutputValue output_;
  bool failed_ = false;
  CapturedError error_;
};

// forward(inputs, threads?): the intra-op threads of this one call (lib/model/thread-policy.ts picks
// them per forward); the model's own count when omitted. Checked in TypeScript already.
int callThreads(const Napi::CallbackInfo& info, int fallback) {
  if (info.Length() < 2 || !info[1].IsNumber()) return fallback;
  int threads = info[1].As<Napi::Number>().Int32Value();
  return threads >= 1 && threads <= 1024 ? threads : fallback;
}

bool acceptsTensor(const std::string& type) { return type == "Tensor" || type == "Optional[Tensor]"; }

}  // namespace

Napi::Function NativeModel::DefineClass(Napi::Env env) {
  return ObjectWrap::DefineClass(
      env, "NativeModel",
      {
          InstanceMethod<&NativeModel::ForwardSync>("forwardSync"),
          InstanceMethod<&NativeModel::Forward>("forward"),
          InstanceMethod<&NativeModel::Dispose>("dispose"),
          InstanceAccessor<&NativeModel::GetDevice>("device"),
          InstanceAccessor<&NativeModel::GetDType>("dtype"),
          InstanceAccessor<&NativeModel::GetThreads>("threads"),
          InstanceAccessor<&NativeModel::GetPrepackedConvolutions>("prepackedConvolutions"),
          InstanceAccessor<&NativeModel::GetInputs>("inputs"),
          InstanceAccessor<&NativeModel::GetCompiledEntries>("compiledEntries"),
          InstanceAccessor<&NativeModel::GetMetadataJson>("metadataJson"),
          InstanceAccessor<&NativeModel::GetDisposed>("disposed"),
          InstanceAccessor<&NativeModel::GetPendingRuns>("pendingRuns"),
      });
}

Napi::Object NativeModel::Create(Napi::Env env, std::shared_ptr<LoadedModule> module, int threads) {
  ModelInit init{std::move(module), threads};
  auto* addon = env.GetInstanceData<LwganetAddon>();
  return addon->modelConstructor.New({Napi::External<ModelInit>::New(env, &init)});
}

NativeModel::NativeModel(const Napi::CallbackInfo& info) : Napi::ObjectWrap<NativeModel>(info) {
  if (info.Length() != 1 || !info[0].IsExternal()) {
    throw Napi::TypeError::New(info.Env(), "NativeModel cannot be constructed directly; use loadModel()");
  }
  auto* init = info[0].As<Napi::External<ModelInit>>().Data();
  module_ = init->module;
  described_ = *init->module;
  threads_ = init->threads;
}

LoadedModule& NativeModel::LiveModule() const {
  if (!module_) throw CodedError("DISPOSED", "Model is disposed; load it again to run it");
  return *module_;
}

std::vector<c10::IValue> NativeModel::ReadInputs(Napi::Value value, std::vector<Napi::TypedArray>* data) const {
  const auto& arguments = LiveModule().arguments;
  if (!value.IsArray()) throwTypeError("Expected an array of tensors for inputs");
  Napi::Array array = value.As<Napi::Array>();
  size_t required = 0;
  for (const auto& argument : arguments) required += argument.hasDefault ? 0 : 1;
  if (array.Length() < required || array.Length() > arguments.size()) {
    std::string names;
    for (const auto& argument : arguments) names += (names.empty() ? "" : ", ") + argument.name;
    throw CodedError("INPUT_ARITY", "Model forward takes " +
                                        (required == arguments.size() ? std::to_string(required)
                                                                      : std::to_string(required) + " to " + std::to_string(arguments.size())) +
                                        " input(s) (" + names + ") but received " + std::to_string(array.Length()));
  }
  std::vector<c10::IValue> inputs;
  for (uint32_t i = 0; i < array.Length(); ++i) {
    const ForwardArgument& argument = arguments[i];
    std::string where = "inputs[" + std::to_string(i) + "] (" + argument.name + ")";
    if (!acceptsTensor(argument.type)) {
      throw CodedError("INPUT_DTYPE", "Model forward argument " + argument.name + " has type " + argument.type +
                                          "; lwganet-node passes tensors only");
    }
    Napi::Value element = array.Get(i);
    if (data) data->emplace_back();
    if (element.IsNull() || element.IsUndefined()) {
      if (argument.type != "Optional[Tensor]") throw CodedError("INPUT_ARITY", "Model input " + where + " is required");
      inputs.emplace_back();
      continue;
    }
    inputs.emplace_back(borrowInputTensor(element, where, data ? &data->back() : nullptr));
  }
  return inputs;
}

Napi::Value NativeModel::ForwardSync(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  OutputValue output;
  std::vector<Napi::TypedArray> inputData;  // outputs that are inputs view these
  try {
    std::vector<c10::IValue> inputs = ReadInputs(info[0], &inputData);
    output = runForward(LiveModule(), std::move(inputs), callThreads(info, threads_));
  } catch (...) {
    throw toJsError(env, captureCurrentException("FORWARD_FAILED", "Model forward failed"));
  }
  // Copied into V8-owned buffers: a synchronous loop never yields to the finalizers that free
  // external buffers, so their memory would pile up (a memcpy, small next to the forward).
  return outputToJs(env, output, /*ownedByV8=*/true, inputData);
}

Napi::Value NativeModel::Forward(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Promise::Deferred deferred = Napi::Promise::Deferred::New(env);
  try {
    std::vector<c10::IValue> inputs = ReadInputs(info[0]);
    for (c10::IValue& input : inputs) {
      if (input.isTensor()) input = copyBorrowedInput(input.toTensor());
    }
    auto* job = new ForwardJob(module_, std::move(inputs), callThreads(info, threads_), deferred, pendingRuns_);
    ++*pendingRuns_;
    env.GetInstanceData<LwganetAddon>()->Submit(env, job);
  } catch (...) {
    // A Promise-returning call reports every problem by rejecting, never by throwing.
    deferred.Reject(toJsError(env, captureCurrentException("FORWARD_FAILED", "Model forward failed")).Value());
  }
  return deferred.Promise();
}

Napi::Value NativeModel::Dispose(const Napi::CallbackInfo& info) {
  module_.reset();  // running jobs hold their own reference and finish normally
  return info.Env().Undefined();
}

Napi::Value NativeModel::GetDevice(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(), deviceName(described_.device));
}

Napi::Value NativeModel::GetDType(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(), described_.dtype == at::kHalf ? "float16" : "float32");
}

Napi::Value NativeModel::GetThreads(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), threads_); }

Napi::Value NativeModel::GetPrepackedConvolutions(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), described_.prepackedConvolutions);
}

Napi::Value NativeModel::GetInputs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Array array = Napi::Array::New(env, described_.arguments.size());
  for (size_t i = 0; i < described_.arguments.size(); ++i) {
    const auto& argument = described_.arguments[i];
    Napi::Object entry = Napi::Object::New(env);
    entry.Set("name", argument.name);
    entry.Set("type", argument.type);
    entry.Set("hasDefault", argument.hasDefault);
    array.Set(static_cast<uint32_t>(i), entry);
  }
  return array;
}

// A .pt2's entries: { name, inputs: shapes, dynamic: null | { batch, height, width, multipleOf } };
// null for a TorchScript model.
Napi::Value NativeModel::GetCompiledEntries(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (described_.compiledEntries.empty()) return env.Null();
  auto pair = [&](int64_t lo, int64_t hi) {
    Napi::Array range = Napi::Array::New(env, 2);
    range.Set(0u, Napi::Number::New(env, static_cast<double>(lo)));
    range.Set(1u, Napi::Number::New(env, static_cast<double>(hi)));
    return range;
  };
  Napi::Array array = Napi::Array::New(env, described_.compiledEntries.size());
  for (size_t i = 0; i < described_.compiledEntries.size(); ++i) {
    const CompiledEntry& entry = described_.compiledEntries[i];
    Napi::Object item = Napi::Object::New(env);
    item.Set("name", entry.name);
    Napi::Array shapes = Napi::Array::New(env, entry.shapes.size());
    for (size_t s = 0; s < entry.shapes.size(); ++s) {
      Napi::Array dims = Napi::Array::New(env, entry.shapes[s].size());
      for (size_t d = 0; d < entry.shapes[s].size(); ++d) dims.Set(static_cast<uint32_t>(d), Napi::Number::New(env, static_cast<double>(entry.shapes[s][d])));
      shapes.Set(static_cast<uint32_t>(s), dims);
    }
    item.Set("inputs", shapes);
    if (entry.dynamic) {
      Napi::Object ranges = Napi::Object::New(env);
      ranges.Set("batch", pair(entry.batchMin, entry.batchMax));
      ranges.Set("height", pair(entry.heightMin, entry.heightMax));
      ranges.Set("width", pair(entry.widthMin, entry.widthMax));
      ranges.Set("multipleOf", Napi::Number::New(env, static_cast<double>(entry.multiple)));
      item.Set("dynamic", ranges);
    } else {
      item.Set("dynamic", env.Null());
    }
    array.Set(static_cast<uint32_t>(i), item);
  }
  return array;
}

Napi::Value NativeModel::GetMetadataJson(const Napi::CallbackInfo& info) {
  if (!described_.hasMetadata) return info.Env().Null();
  return Napi::String::New(info.Env(), described_.metadataJson);
}

Napi::Value NativeModel::GetDisposed(const Napi::CallbackInfo& info) { return Napi::Boolean::New(info.Env(), !module_); }

Napi::Value NativeModel::GetPendingRuns(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), *pendingRuns_);
}

}  // namespace lwganet
