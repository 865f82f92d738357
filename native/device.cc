#include "device.h"

#include <ATen/detail/CUDAHooksInterface.h>
#include <torch/cuda.h>

#include <regex>

#include "errors.h"

namespace lwganet {

bool cudaCompiled() {
  // libtorch_cpu holds a CUDA hooks stub that says "not built"; libtorch_cuda, when it was
  // loaded, registers the real hooks. Asked after the addon loaded, i.e. after lib/native/binding.ts
  // opened libtorch_cuda.so (or found none).
  return at::detail::getCUDAHooks().isBuilt();
}

int cudaDeviceCount() {
  try {
    return static_cast<int>(torch::cuda::device_count());
  } catch (...) {
    return 0;  // A broken driver must not turn device discovery into a crash.
  }
}

std::string cudaUnavailableReason() {
  if (!cudaCompiled()) {
    return "the LibTorch in use is a CPU-only LibTorch (no libtorch_cuda.so was loaded with its libtorch_cpu.so); "
           "`npx lwganet setup --cuda` installs a CUDA torch, or set LIBTORCH to a LibTorch with CUDA";
  }
  if (cudaDeviceCount() == 0) {
    return "no CUDA device is visible (no GPU, no NVIDIA driver, or CUDA_VISIBLE_DEVICES hides them)";
  }
  return "";
}

c10::Device resolveDevice(const std::string& text) {
  static const std::regex pattern("^(cpu|cuda)(?::([0-9]{1,3}))?$");
  std::smatch match;
  if (!std::regex_match(text, match, pattern) || (match[1] == "cpu" && match[2].matched)) {
    throwTypeError("Expected \"cpu\", \"cuda\" or \"cuda:N\" for device but received \"" + text + "\"");
  }
  if (match[1] == "cpu") return c10::Device(c10::kCPU);
  std::string reason = cudaUnavailableReason();
  if (!reason.empty()) throw CodedError("CUDA_UNAVAILABLE", "CUDA was requested (" + text + ") but " + reason);
  int index = match[2].matched ? std::stoi(match[2].str()) : 0;
  int count = cudaDeviceCount();
  if (index >= count) {
    throw CodedError("CUDA_UNAVAILABLE", "CUDA device " + text + " was requested but only " + std::to_string(count) +
                                             " CUDA device(s) are visible");
  }
  return c10::Device(c10::kCUDA, static_cast<c10::DeviceIndex>(index));
}

std::string deviceName(const c10::Device& device) {
  if (device.is_cpu()) return "cpu";
  return device.str();
}

}  // namespace lwganet
