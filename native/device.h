// Device selection at run time: one binary serves CPU-only and CUDA machines.
#pragma once

#include <c10/core/Device.h>

#include <string>

namespace lwganet {

// True when the LibTorch loaded has CUDA: its libtorch_cuda.so was loaded and registered its hooks
// (decided at load time; the addon itself links only LibTorch's CPU libraries).
bool cudaCompiled();

// Number of CUDA devices LibTorch can use now (0 without a GPU or with a CPU-only build).
int cudaDeviceCount();

// Why CUDA cannot be used, or an empty string when it can.
std::string cudaUnavailableReason();

// Parses "cpu", "cuda" or "cuda:N" and checks that the device exists.
// Throws ArgumentError for malformed text, CodedError(CUDA_UNAVAILABLE) for a missing GPU.
c10::Device resolveDevice(const std::string& text);

// "cpu" or "cuda:N".
std::string deviceName(const c10::Device& device);

}  // namespace lwganet
