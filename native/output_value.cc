#include "output_value.h"

#include <cmath>

#include "errors.h"
#include "tensor_convert.h"

namespace lwganet {

namespace {

// Index of the input whose memory `tensor` views, when it can be handed back as such a view.
int aliasedInput(const at::Tensor& tensor, const OutputContext& context) {
  if (!isBorrowedFromJs(tensor) || !tensor.is_contiguous() || tensor.is_neg() || tensor.is_conj()) return -1;
  if (!dtypeByScalar(tensor.scalar_type())) return -1;  // e.g. a bfloat16 view: copied and widened
  for (size_t i = 0; i < context.inputMemory.size(); ++i) {
    if (context.inputMemory[i] == tensor.storage().data()) return static_cast<int>(i);
  }
  return -1;
}

}  // namespace

OutputValue prepareOutput(const c10::IValue& value, const OutputContext& context) {
  OutputValue out;
  if (value.isTensor()) {
    out.kind = OutputValue::Kind::Tensor;
    const at::Tensor& tensor = value.toTensor();
    out.aliasOf = aliasedInput(tensor, context);
    if (out.aliasOf >= 0) {
      out.tensor = tensor;
      out.aliasByteOffset = static_cast<size_t>(tensor.storage_offset()) * tensor.element_size();
    } else {
      out.tensor = prepareOutputTensor(tensor, context.halfToFloat);
    }
  } else if (value.isTuple()) {
    out.kind = OutputValue::Kind::Array;
    for (const auto& element : value.toTupleRef().elements()) out.items.push_back(prepareOutput(element, context));
  } else if (value.isList()) {
    out.kind = OutputValue::Kind::Array;
    for (const c10::IValue& element : value.toListRef()) out.items.push_back(prepareOutput(element, context));
  } else if (value.isGenericDict()) {
    out.kind = OutputValue::Kind::Record;
    for (const auto& entry : value.toGenericDict()) {
      if (!entry.key().isString()) {
        throw CodedError("OUTPUT_UNSUPPORTED", "Model output is a dict with " + entry.key().tagKind() +
                                                   " keys; only str keys can become a JavaScript record");
      }
      out.keys.push_back(entry.key().toStringRef());
      out.items.push_back(prepareOutput(entry.value(), context));
    }
  } else if (value.isInt()) {
    out.kind = OutputValue::Kind::Integer;
    out.integer = value.toInt();
  } else if (value.isDouble()) {
    out.kind = OutputValue::Kind::Double;
    out.number = value.toDouble();
  } else if (value.isBool()) {
    out.kind = OutputValue::Kind::Bool;
    out.flag = value.toBool();
  } else if (value.isString()) {
    out.kind = OutputValue::Kind::String;
    out.text = value.toStringRef();
  } else if (value.isNone()) {
    out.kind = OutputValue::Kind::None;
  } else {
    throw CodedError("OUTPUT_UNSUPPORTED", "Model output contains a value of type " + value.tagKind() +
                                               ", which lwganet-node cannot return");
  }
  return out;
}

Napi::Value outputToJs(Napi::Env env, const OutputValue& value, bool ownedByV8, const std::vector<Napi::TypedArray>& inputData) {
  switch (value.kind) {
    case OutputValue::Kind::Tensor:
      if (value.aliasOf < 0) return tensorToJs(env, value.tensor, ownedByV8);
      if (static_cast<size_t>(value.aliasOf) >= inputData.size() || inputData[value.aliasOf].IsEmpty()) {
        throw Napi::Error::New(env, "lwganet-node: an output views an input whose JavaScript data is unknown");
      }
      return aliasToJs(env, value.tensor, inputData[value.aliasOf], value.aliasByteOffset);
    case OutputValue::Kind::Array: {
      Napi::Array array = Napi::Array::New(env, value.items.size());
      for (size_t i = 0; i < value.items.size(); ++i) array.Set(static_cast<uint32_t>(i), outputToJs(env, value.items[i], ownedByV8, inputData));
      return array;
    }
    case OutputValue::Kind::Record: {
      Napi::Object record = Napi::Object::New(env);
      for (size_t i = 0; i < value.items.size(); ++i) record.Set(value.keys[i], outputToJs(env, value.items[i], ownedByV8, inputData));
      return record;
    }
    case OutputValue::Kind::Integer:
      // Integers beyond 2^53 would silently lose precision as numbers.
      if (std::llabs(value.integer) > 9007199254740991LL) return Napi::BigInt::New(env, value.integer);
      return Napi::Number::New(env, static_cast<double>(value.integer));
    case OutputValue::Kind::Double:
      return Napi::Number::New(env, value.number);
    case OutputValue::Kind::Bool:
      return Napi::Boolean::New(env, value.flag);
    case OutputValue::Kind::String:
      return Napi::String::New(env, value.text);
    case OutputValue::Kind::None:
      break;
  }
  return env.Null();
}

}  // namespace lwganet
