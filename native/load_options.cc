#include "load_options.h"

#include "device.h"
#include "errors.h"

namespace lwganet {

LoadArguments readLoadArguments(const Napi::CallbackInfo& info) {
  LoadArguments args;
  Napi::Value source = info[0];
  if (source.IsString()) {
    args.request.path = source.As<Napi::String>().Utf8Value();
    if (args.request.path.empty()) throwTypeError("Expected a non-empty path for source");
  } else if (source.IsTypedArray() && source.As<Napi::TypedArray>().TypedArrayType() == napi_uint8_array) {
    Napi::Uint8Array bytes = source.As<Napi::Uint8Array>();
    // Copied: an async load reads it on another thread while JavaScript may change or free it.
    args.request.bytes.assign(reinterpret_cast<const char*>(bytes.Data()), bytes.ByteLength());
  } else {
    throwTypeError("Expected a file path or a Uint8Array for source");
  }

  if (!info[1].IsObject()) throwTypeError("Expected an options object { device, dtype, threads }");
  Napi::Object options = info[1].As<Napi::Object>();

  Napi::Value device = options.Get("device");
  if (!device.IsString()) throwTypeError("Expected a string for options.device");
  args.request.device = resolveDevice(device.As<Napi::String>().Utf8Value());

  Napi::Value dtype = options.Get("dtype");
  std::string dtypeName = dtype.IsString() ? dtype.As<Napi::String>().Utf8Value() : "";
  if (dtypeName == "float32") {
    args.request.dtype = at::kFloat;
  } else if (dtypeName == "float16") {
    if (args.request.device.is_cpu()) {
      throw CodedError("DTYPE_UNSUPPORTED",
                       "dtype float16 is only supported on CUDA devices: LibTorch's CPU half-precision kernels are "
                       "missing for several of LWGANet's ops. Use dtype float32 on the CPU");
    }
    args.request.dtype = at::kHalf;
  } else {
    throwTypeError("Expected \"float32\" or \"float16\" for options.dtype");
  }

  Napi::Value threads = options.Get("threads");
  if (!threads.IsNumber()) throwTypeError("Expected an integer for options.threads");
  double count = threads.As<Napi::Number>().DoubleValue();
  if (!(count >= 1 && count <= 1024) || count != static_cast<int>(count)) {
    throwRangeError("Expected an integer between 1 and 1024 for options.threads");
  }
  args.threads = static_cast<int>(count);
  return args;
}

}  // namespace lwganet
