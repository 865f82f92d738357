// Tensors across the boundary. Inputs borrow the caller's typed-array memory (zero copy);
// outputs hand LibTorch's storage to JavaScript as an external ArrayBuffer that keeps the
// at::Tensor alive until the garbage collector releases it, wrapped in the public Tensor class.
#pragma once

#include <ATen/ATen.h>
#include <napi.h>

#include <string>

namespace lwganet {

struct DTypeInfo {
  const char* name;              // public dtype name, e.g. "float16"
  at::ScalarType scalar;         // LibTorch element type
  napi_typedarray_type array;    // typed array that carries it in JavaScript
};

// nullptr when the name or scalar type is not one of the public dtypes.
const DTypeInfo* dtypeByName(const std::string& name);
const DTypeInfo* dtypeByScalar(at::ScalarType scalar);

// Reads one `{ dtype, data, shape }` descriptor (JS thread). The returned CPU tensor points at
// the typed array's memory; the caller keeps that memory alive while the tensor is used.
// Throws ArgumentError on any malformed field; `where` names the input in messages. `data`, when
// given, receives the typed array read (outputs that view this input are built over it).
at::Tensor borrowInputTensor(Napi::Value value, const std::string& where, Napi::TypedArray* data = nullptr);

// True when `tensor`'s storage is memory borrowed from a JavaScript input.
bool isBorrowedFromJs(const at::Tensor& tensor);

// A copy of a borrowed input made with memcpy on the calling (JS) thread. Not Tensor::clone():
// its copy kernel opens an OpenMP parallel region for a large tensor, which gives the JS thread an
// OpenMP team of its own; libgomp then manages more threads than there are CPUs and stops spinning
// between the forward's parallel regions on the inference thread (L0 224² on 2 cores: 21 ms instead of 8).
at::Tensor copyBorrowedInput(const at::Tensor& tensor);

// Makes an output safe to hand to JavaScript (any thread, under InferenceMode):
// contiguous, on the CPU, of a public dtype, and owning its memory.
at::Tensor prepareOutputTensor(const at::Tensor& tensor, bool halfToFloat);

// Builds a public Tensor (tensor_class.h) from a prepared tensor (JS thread).
// `ownedByV8` copies the data into an ArrayBuffer V8 allocates, which a garbage collection frees
// on the spot; an external buffer (the default, no copy) is freed only by a finalizer that N-API
// runs once the event loop turns, so a synchronous loop of runSync() calls would pile them up.
Napi::Object tensorToJs(Napi::Env env, const at::Tensor& prepared, bool ownedByV8 = false);

// Builds a public Tensor over the memory of `input`, the JS data of the input that `view` views,
// starting `byteOffset` bytes into it (no copy: the caller's memory, as PyTorch would share it).
Napi::Object aliasToJs(Napi::Env env, const at::Tensor& view, Napi::TypedArray input, size_t byteOffset);

}  // namespace lwganet
