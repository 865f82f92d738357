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
  std::vector<OutputValue> items;  // Array elements, or Record values
  std::vector<std::string> keys;   // Record keys, parallel to items
  int64_t integer = 0;
  double number = 0;
  bool flag = false;
  std::string text;
};

// Tensor → Tensor, tuple/list → Array, dict with string keys → Record, scalars and None as such.
// Throws CodedError(OUTPUT_UNSUPPORTED) for anything else (objects, futures, non-string keys).
OutputValue prepareOutput(const c10::IValue& value, bool halfToFloat);

Napi::Value outputToJs(Napi::Env env, const OutputValue& value);

}  // namespace lwganet
