// A TorchScript result made safe to cross into JavaScript: built on the thread that ran the
// forward (tensors already contiguous, on the CPU, owning their memory), turned into JS values
// later on the JS thread.
#pragma once

#include <ATen/core/ivalue.h>
#include <napi.h>

#include <string>
#include <vector>

namespace lwganet {

struct OutputValue {
  enum class Kind { Tensor, Array, Record, Integer, Double, Bool, String, None };
  Kind kind = Kind::None;
  at::Tensor tensor;
  // An output that is an input, or a contiguous view of one (identity-like models): it is
  // returned as a view on that input's JS memory instead of a copy.
  int aliasOf = -1;
  size_t aliasByteOffset = 0;
  std::vector<OutputValue> items;  // Array elements, or Record values
  std::vector<std::string> keys;   // Record keys, parallel to items
  int64_t integer = 0;
  double number = 0;
  bool flag = false;
  std::string text;
};

struct OutputContext {
  bool halfToFloat = false;                // float16 models hand back float32
  std::vector<const void*> inputMemory;    // start of each input's JS memory (nullptr if none)
};

// Tensor → Tensor, tuple/list → Array, dict with string keys → Record, scalars and None as such.
// Throws CodedError(OUTPUT_UNSUPPORTED) for anything else (objects, futures, non-string keys).
OutputValue prepareOutput(const c10::IValue& value, const OutputContext& context);

// Tensors become instances of the environment's Tensor class (tensor_class.h).
// `ownedByV8`: tensors are copied into ArrayBuffers V8 allocates (see tensorToJs).
// `inputData`: each input's JS data (empty for an omitted one), which aliases view; only the
// sync path has aliases, as the async path runs on copies of its inputs.
Napi::Value outputToJs(Napi::Env env, const OutputValue& value, bool ownedByV8 = false,
                       const std::vector<Napi::TypedArray>& inputData = {});

}  // namespace lwganet
