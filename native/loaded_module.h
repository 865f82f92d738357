// A TorchScript module or a compiled (.pt2) package ready for inference, and the process-wide cache that lets every
// handle (in every worker thread) loading the same file on the same device share its weights.
#pragma once

#include <torch/script.h>

#include <memory>
#include <string>
#include <vector>

#include "compiled_package.h"

namespace lwganet {

struct ForwardArgument {
  std::string name;
  std::string type;  // TorchScript type text, e.g. "Tensor", "Optional[Tensor]"
  bool hasDefault;
};

// What a handle reports about its module; copied into each handle so it stays readable
// after dispose() released the weights.
struct ModuleDescription {
  c10::Device device = c10::Device(c10::kCPU);
  at::ScalarType dtype = at::kFloat;  // kFloat or kHalf
  bool hasMetadata = false;
  std::string metadataJson;
  std::vector<ForwardArgument> arguments;  // forward's arguments after self
  int prepackedConvolutions = 0;           // conv_prepack.h
  std::vector<CompiledEntry> compiledEntries;  // a .pt2's entries (without their loaders); empty for TorchScript
};

// A TorchScript module, or (when `compiled` is set) an AOTInductor package.
struct LoadedModule : ModuleDescription {
  torch::jit::Module module;
  std::shared_ptr<CompiledPackage> compiled;
};

struct LoadRequest {
  std::string path;    // a file, or empty when `bytes` holds the archive
  std::string bytes;   // the archive itself (a copy: loading may run on another thread)
  c10::Device device = c10::Device(c10::kCPU);
  at::ScalarType dtype = at::kFloat;
};

// Loads (or finds in the cache) a module. Runs on any thread; throws CodedError
// (MODEL_NOT_FOUND, MODEL_CORRUPT) with a message that names the file and the cause.
std::shared_ptr<LoadedModule> loadModule(const LoadRequest& request);

// Number of modules currently alive in the cache.
size_t cachedModuleCount();

}  // namespace lwganet
