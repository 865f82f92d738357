// AOTInductor packages (.pt2, written by python/lwganet/pt2_export.py): a model compiled to C++
// kernels, one entry per input shape, run through LibTorch's AOTIModelPackageLoader. Each
// entry's AOTInductor metadata (a string map) says what it accepts; forward picks the entry
// that takes the inputs' shapes.
#pragma once

#include <ATen/Tensor.h>
#include <c10/core/Device.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace torch::inductor {
class AOTIModelPackageLoader;
}

namespace lwganet {

struct CompiledEntry {
  std::string name;
  std::vector<std::vector<int64_t>> shapes;  // static: exact input shapes; dynamic: the example shapes
  bool dynamic = false;
  int64_t batchMin = 0, batchMax = 0, heightMin = 0, heightMax = 0, widthMin = 0, widthMax = 0, multiple = 1;
  std::shared_ptr<torch::inductor::AOTIModelPackageLoader> loader;
};

struct CompiledPackage {
  std::vector<CompiledEntry> entries;  // static entries first, then the dynamic one (if any)
  std::vector<std::string> inputNames;
  std::string metadataJson;  // extra/metadata.json, empty when absent
};

// True when the archive is a PT2 archive holding AOTInductor entries (a zip with
// data/aotinductor/); false for anything else (TorchScript archives, corrupt files).
bool isCompiledPackage(const std::string& path);
bool isCompiledPackageBytes(const std::string& bytes);

// Loads every entry for `device` with `runners` concurrent runners each. Throws CodedError:
// PACKAGE_INCOMPATIBLE (compiled by another torch, or for another device), MODEL_CORRUPT.
std::shared_ptr<CompiledPackage> loadCompiledPackage(const std::string& path, const std::string& source,
                                                     c10::Device device, size_t runners);

// Runs the entry taking these inputs' shapes (INPUT_SHAPE naming the compiled shapes when none
// does, INPUT_DTYPE for non-float32 inputs).
std::vector<at::Tensor> runCompiled(CompiledPackage& package, const std::vector<at::Tensor>& inputs);

}  // namespace lwganet
