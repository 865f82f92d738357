#include "tensor_convert.h"

#include <cstring>
#include <vector>

#include "errors.h"
#include "tensor_class.h"

namespace lwganet {
namespace {

const DTypeInfo kDTypes[] = {
    {"float32", at::kFloat, napi_float32_array}, {"float64", at::kDouble, napi_float64_array},
    {"float16", at::kHalf, napi_uint16_array},   {"uint8", at::kByte, napi_uint8_array},
    {"int8", at::kChar, napi_int8_array},        {"int32", at::kInt, napi_int32_array},
    {"int64", at::kLong, napi_bigint64_array},   {"bool", at::kBool, napi_uint8_array},
};

const char* typedArrayName(napi_typedarray_type type) {
  switch (type) {
    case napi_int8_array: return "Int8Array";
    case napi_uint8_array: return "Uint8Array";
    case napi_uint8_clamped_array: return "Uint8ClampedArray";
    case napi_int16_array: return "Int16Array";
    case napi_uint16_array: return "Uint16Array";
    case napi_int32_array: return "Int32Array";
    case napi_uint32_array: return "Uint32Array";
    case napi_float32_array: return "Float32Array";
    case napi_float64_array: return "Float64Array";
    case napi_bigint64_array: return "BigInt64Array";
    case napi_biguint64_array: return "BigUint64Array";
    default: return "typed array";
  }
}

// Marks storage borrowed from JavaScript; never frees anything (JavaScript owns the memory).
void borrowedFromJs(void*) {}

std::vector<int64_t> readShape(Napi::Value value, const std::string& where) {
  if (!value.IsArray()) throwTypeError("Expected an array of non-negative integers for " + where + ".shape");
  Napi::Array array = value.As<Napi::Array>();
  if (array.Length() > 64) throwRangeError("Expected at most 64 dimensions for " + where + ".shape");
  std::vector<int64_t> shape;
  for (uint32_t i = 0; i < array.Length(); ++i) {
    Napi::Value dim = array.Get(i);
    if (!dim.IsNumber()) throwTypeError("Expected a non-negative integer for " + where + ".shape[" + std::to_string(i) + "]");
    double number = dim.As<Napi::Number>().DoubleValue();
    if (!(number >= 0) || number != static_cast<double>(static_cast<int64_t>(number)) || number > 9007199254740991.0) {
      throwRangeError("Expected a non-negative integer for " + where + ".shape[" + std::to_string(i) + "]");
    }
    shape.push_back(static_cast<int64_t>(number));
  }
  return shape;
}

}  // namespace

const DTypeInfo* dtypeByName(const std::string& name) {
  for (const auto& info : kDTypes)
    if (name == info.name) return &info;
  return nullptr;
}

const DTypeInfo* dtypeByScalar(at::ScalarType scalar) {
  for (const auto& info : kDTypes)
    if (scalar == info.scalar) return &info;
  return nullptr;
}

at::Tensor borrowInputTensor(Napi::Value value, const std::string& where, Napi::TypedArray* jsData) {
  if (!value.IsObject() || value.IsArray()) throwTypeError("Expected a tensor object { dtype, data, shape } for " + where);
  Napi::Object object = value.As<Napi::Object>();

  Napi::Value dtypeValue = object.Get("dtype");
  if (!dtypeValue.IsString()) throwTypeError("Expected a dtype string for " + where + ".dtype");
  const DTypeInfo* dtype = dtypeByName(dtypeValue.As<Napi::String>().Utf8Value());
  if (!dtype) throwTypeError("Unknown dtype \"" + dtypeValue.As<Napi::String>().Utf8Value() + "\" for " + where);

  Napi::Value dataValue = object.Get("data");
  if (!dataValue.IsTypedArray()) throwTypeError("Expected a typed array for " + where + ".data");
  Napi::TypedArray data = dataValue.As<Napi::TypedArray>();
  if (jsData) *jsData = data;
  if (data.TypedArrayType() != dtype->array) {
    throwTypeError("Expected a " + std::string(typedArrayName(dtype->array)) + " for " + where + ".data (dtype " +
                   dtype->name + ") but received a " + typedArrayName(data.TypedArrayType()));
  }

  std::vector<int64_t> shape = readShape(object.Get("shape"), where);
  // Overflow-safe element count (a huge shape must not wrap around to a small number).
  size_t numel = 1;
  bool overflow = false, empty = false;
  for (int64_t dim : shape) {
    overflow = __builtin_mul_overflow(numel, static_cast<size_t>(dim), &numel) || overflow;
    empty = empty || dim == 0;
  }
  if (empty) numel = 0;
  else if (overflow) numel = SIZE_MAX;
  if (numel != data.ElementLength()) {
    throwRangeError("Shape of " + where + " holds " + (numel == SIZE_MAX ? std::string("too many") : std::to_string(numel)) +
                    " elements but its data has " + std::to_string(data.ElementLength()));
  }

  auto options = at::TensorOptions().dtype(dtype->scalar).device(at::kCPU);
  if (numel == 0) return at::empty(shape, options);

  Napi::Value buffer = data.ArrayBuffer();
  if (!buffer.IsArrayBuffer()) {
    throwTypeError("The data of " + where + " is backed by a SharedArrayBuffer, which another thread may change while the model reads it; copy it into an ArrayBuffer first");
  }
  uint8_t* bytes = static_cast<uint8_t*>(buffer.As<Napi::ArrayBuffer>().Data()) + data.ByteOffset();
  if (bytes == nullptr) throwTypeError("The data of " + where + " is detached (was its ArrayBuffer transferred?)");
  if (dtype->scalar == at::kBool) {
    for (size_t i = 0; i < numel; ++i)
      if (bytes[i] > 1) throwRangeError("Expected only 0 or 1 in the data of bool tensor " + where);
  }
  return at::for_blob(bytes, shape).context(bytes, &borrowedFromJs).options(options).make_tensor();
}

bool isBorrowedFromJs(const at::Tensor& tensor) {
  return tensor.has_storage() && tensor.storage().data_ptr().get_deleter() == &borrowedFromJs;
}

at::Tensor copyBorrowedInput(const at::Tensor& tensor) {
  // Borrowed inputs are dense CPU buffers (borrowInputTensor), so one memcpy copies them.
  at::Tensor copy = at::empty(tensor.sizes(), tensor.options());
  if (tensor.nbytes() > 0) std::memcpy(copy.data_ptr(), tensor.data_ptr(), tensor.nbytes());
  return copy;
}

at::Tensor prepareOutputTensor(const at::Tensor& tensor, bool halfToFloat) {
  at::Tensor out = tensor;
  if (!out.device().is_cpu()) out = out.to(at::kCPU);
  if (halfToFloat && out.scalar_type() == at::kHalf) out = out.to(at::kFloat);
  if (!dtypeByScalar(out.scalar_type())) {
    // Widen the element types JavaScript has no tensor kind for; anything else is an error.
    switch (out.scalar_type()) {
      case at::kBFloat16: out = out.to(at::kFloat); break;
      case at::kShort: out = out.to(at::kInt); break;
      default:
        throw CodedError("OUTPUT_UNSUPPORTED", std::string("Model output has dtype ") + c10::toString(out.scalar_type()) +
                                                   ", which lwganet-node cannot return");
    }
  }
  if (out.is_neg() || out.is_conj()) out = out.resolve_neg().resolve_conj();
  // Input memory that cannot be returned as a view on its JS buffer is copied: an external
  // buffer over it would dangle once the caller's array is collected.
  if (isBorrowedFromJs(out)) return out.clone(at::MemoryFormat::Contiguous);
  return out.contiguous();
}

namespace {

Napi::Array shapeOf(Napi::Env env, const at::Tensor& tensor) {
  Napi::Array shape = Napi::Array::New(env, tensor.dim());
  for (int64_t i = 0; i < tensor.dim(); ++i) shape.Set(static_cast<uint32_t>(i), Napi::Number::New(env, static_cast<double>(tensor.size(i))));
  return shape;
}

// A public Tensor over `buffer` (from `byteOffset`), with `tensor`'s dtype and shape.
Napi::Object newJsTensor(Napi::Env env, const at::Tensor& tensor, napi_value buffer, size_t byteOffset) {
  const DTypeInfo* dtype = dtypeByScalar(tensor.scalar_type());
  napi_value data;
  napi_status status = napi_create_typedarray(env, dtype->array, tensor.numel(), buffer, byteOffset, &data);
  NAPI_THROW_IF_FAILED(env, status, Napi::Object());
  return tensorClassOf(env).New(env, dtype->name, Napi::Value(env, data), shapeOf(env, tensor));
}

Napi::ArrayBuffer copyToV8(Napi::Env env, const at::Tensor& prepared, size_t bytes) {
  Napi::ArrayBuffer copy = Napi::ArrayBuffer::New(env, bytes);
  if (bytes > 0) std::memcpy(copy.Data(), prepared.data_ptr(), bytes);
  return copy;
}

}  // namespace

Napi::Object aliasToJs(Napi::Env env, const at::Tensor& view, Napi::TypedArray input, size_t byteOffset) {
  return newJsTensor(env, view, input.ArrayBuffer(), input.ByteOffset() + byteOffset);
}

Napi::Object tensorToJs(Napi::Env env, const at::Tensor& prepared, bool ownedByV8) {
  size_t bytes = prepared.numel() * prepared.element_size();
  if (bytes == 0 || ownedByV8) return newJsTensor(env, prepared, copyToV8(env, prepared, bytes), 0);
  // The hint owns a reference to the tensor, so the storage lives exactly as long as the buffer.
  auto* owner = new at::Tensor(prepared);
  napi_value buffer;
  napi_status status = napi_create_external_arraybuffer(
      env, prepared.data_ptr(), bytes,
      [](napi_env env, void*, void* hint) {
        auto* tensor = static_cast<at::Tensor*>(hint);
        int64_t released = -static_cast<int64_t>(tensor->numel() * tensor->element_size());
        delete tensor;
        int64_t ignored;
        napi_adjust_external_memory(env, released, &ignored);
      },
      owner, &buffer);
  if (status != napi_ok) {
    delete owner;
    // Runtimes with a V8 memory cage (Electron) refuse external buffers: copy instead.
    return newJsTensor(env, prepared, copyToV8(env, prepared, bytes), 0);
  }
  // Tell V8 how much memory the buffer holds, so garbage collection keeps up with big outputs.
  int64_t ignored;
  napi_adjust_external_memory(env, static_cast<int64_t>(bytes), &ignored);
  return newJsTensor(env, prepared, buffer, 0);
}

}  // namespace lwganet
