#include "compiled_package.h"

#include <caffe2/serialize/inline_container.h>
#include <torch/csrc/inductor/aoti_package/model_package_loader.h>
#include <torch/version.h>

#include <algorithm>
#include <cstdio>
#include <unordered_map>
#include <set>
#include <sstream>

#include "errors.h"

namespace lwganet {
namespace {

constexpr const char* kEntryDir = "data/aotinductor/";
constexpr const char* kDynamicEntry = "dynamic";

std::vector<std::string> split(const std::string& text, char separator) {
  std::vector<std::string> parts;
  std::string part;
  std::istringstream stream(text);
  while (std::getline(stream, part, separator)) parts.push_back(part);
  return parts;
}

std::string baseVersion(const std::string& version) { return version.substr(0, version.find('+')); }

bool hasEntries(caffe2::serialize::PyTorchStreamReader& reader) {
  for (const std::string& record : reader.getAllRecords()) {
    if (record.rfind(kEntryDir, 0) == 0) return true;
  }
  return false;
}

std::vector<std::string> entryNames(caffe2::serialize::PyTorchStreamReader& reader) {
  std::set<std::string> names;
  const size_t prefix = std::string(kEntryDir).size();
  for (const std::string& record : reader.getAllRecords()) {
    if (record.rfind(kEntryDir, 0) != 0) continue;
    size_t slash = record.find('/', prefix);
    if (slash != std::string::npos) names.insert(record.substr(prefix, slash - prefix));
  }
  return {names.begin(), names.end()};
}

std::string shapeText(const std::vector<int64_t>& shape) {
  std::string text = "[";
  for (size_t i = 0; i < shape.size(); ++i) text += (i ? ", " : "") + std::to_string(shape[i]);
  return text + "]";
}

std::vector<std::vector<int64_t>> parseShapes(const std::string& text, const std::string& where) {
  std::vector<std::vector<int64_t>> shapes;
  for (const std::string& shape : split(text, ';')) {
    std::vector<int64_t> dims;
    for (const std::string& dim : split(shape, 'x')) {
      try {
        dims.push_back(std::stoll(dim));
      } catch (const std::exception&) {
        throw CodedError("MODEL_CORRUPT", where + " has an unreadable input shape \"" + text + "\"");
      }
    }
    shapes.push_back(std::move(dims));
  }
  if (shapes.empty()) throw CodedError("MODEL_CORRUPT", where + " declares no input shapes");
  return shapes;
}

void parseRanges(CompiledEntry& entry, const std::string& text, const std::string& where) {
  long long b0, b1, h0, h1, w0, w1, m;
  if (std::sscanf(text.c_str(), "%lld-%lld,%lld-%lld,%lld-%lld,%lld", &b0, &b1, &h0, &h1, &w0, &w1, &m) != 7 || m < 1) {
    throw CodedError("MODEL_CORRUPT", where + " has unreadable dynamic ranges \"" + text + "\"");
  }
  entry.dynamic = true;
  entry.batchMin = b0, entry.batchMax = b1, entry.heightMin = h0, entry.heightMax = h1;
  entry.widthMin = w0, entry.widthMax = w1, entry.multiple = m;
}

std::string describeEntry(const CompiledEntry& entry) {
  if (!entry.dynamic) {
    std::string text;
    for (const auto& shape : entry.shapes) text += (text.empty() ? "" : " + ") + shapeText(shape);
    return text;
  }
  const auto& example = entry.shapes[0];
  return "[" + std::to_string(entry.batchMin) + "-" + std::to_string(entry.batchMax) + ", " + std::to_string(example[1]) +
         ", " + std::to_string(entry.heightMin) + "-" + std::to_string(entry.heightMax) + ", " + std::to_string(entry.widthMin) +
         "-" + std::to_string(entry.widthMax) + "] (sides multiple of " + std::to_string(entry.multiple) + ")";
}

bool takes(const CompiledEntry& entry, const std::vector<at::Tensor>& inputs) {
  if (inputs.size() != entry.shapes.size()) return false;
  for (size_t i = 0; i < inputs.size(); ++i) {
    auto sizes = inputs[i].sizes();
    const auto& want = entry.shapes[i];
    if (sizes.size() != want.size()) return false;
    if (!entry.dynamic) {
      for (size_t d = 0; d < want.size(); ++d) {
        if (sizes[d] != want[d]) return false;
      }
      continue;
    }
    if (want.size() != 4 || sizes[1] != want[1] || sizes[0] != inputs[0].size(0)) return false;
    auto within = [&](int64_t v, int64_t lo, int64_t hi) { return v >= lo && v <= hi && v % entry.multiple == 0; };
    if (sizes[0] < entry.batchMin || sizes[0] > entry.batchMax) return false;
    if (!within(sizes[2], entry.heightMin, entry.heightMax) || !within(sizes[3], entry.widthMin, entry.widthMax)) return false;
    if (i > 0 && sizes != inputs[0].sizes()) return false;  // paired inputs (change detection) share one shape
  }
  return true;
}

CompiledEntry readEntry(const std::string& path, const std::string& name, const std::string& source, c10::Device device,
                        std::vector<std::string>& inputNames) {
  std::string where = source + " entry \"" + name + "\"";
  std::unordered_map<std::string, std::string> info;
  try {
    info = torch::inductor::AOTIModelPackageLoader::load_metadata_from_package(path, name);
  } catch (const std::exception& error) {
    throw CodedError("MODEL_CORRUPT", where + " has no readable AOTInductor metadata: " + readableTorchMessage(error));
  }
  auto field = [&](const char* key) -> std::string {
    auto found = info.find(key);
    return found == info.end() ? "" : found->second;
  };
  std::string torchVersion = field("lwganet.torchVersion");
  if (torchVersion.empty()) throw CodedError("MODEL_CORRUPT", where + " was not written by the lwganet exporter (no lwganet.torchVersion)");
  if (baseVersion(torchVersion) != baseVersion(TORCH_VERSION)) {
    throw CodedError("PACKAGE_INCOMPATIBLE", source + " was compiled by torch " + torchVersion + " but this addon runs LibTorch " TORCH_VERSION
                                             "; compiled packages run only on the torch that compiled them: export it again with torch " TORCH_VERSION
                                             " (python -m lwganet export … --format pt2), or use a TorchScript export");
  }
  std::string compiledFor = field("AOTI_DEVICE_KEY");
  if (compiledFor != c10::DeviceTypeName(device.type(), /*lower_case=*/true)) {
    throw CodedError("PACKAGE_INCOMPATIBLE", source + " was compiled for device " + (compiledFor.empty() ? "(unknown)" : compiledFor) +
                                             ", not " + device.str() + "; load it with { device: '" + compiledFor + "' } or export it for " +
                                             device.str());
  }
  CompiledEntry entry;
  entry.name = name;
  entry.shapes = parseShapes(field("lwganet.shapes"), where);
  std::string ranges = field("lwganet.dynamic");
  if (!ranges.empty()) parseRanges(entry, ranges, where);
  std::vector<std::string> names = split(field("lwganet.inputs"), ',');
  if (names.size() != entry.shapes.size()) throw CodedError("MODEL_CORRUPT", where + " names " + std::to_string(names.size()) + " inputs for " + std::to_string(entry.shapes.size()) + " shapes");
  if (inputNames.empty()) inputNames = names;
  if (names != inputNames) throw CodedError("MODEL_CORRUPT", where + " takes other inputs than the package's first entry");
  return entry;
}

}  // namespace

bool isCompiledPackage(const std::string& path) {
  try {
    caffe2::serialize::PyTorchStreamReader reader(path);
    return hasEntries(reader);
  } catch (const std::exception&) {
    return false;  // not a zip LibTorch reads: the TorchScript loader reports what is wrong
  }
}

bool isCompiledPackageBytes(const std::string& bytes) {
  try {
    std::istringstream stream(bytes);
    caffe2::serialize::PyTorchStreamReader reader(&stream);
    return hasEntries(reader);
  } catch (const std::exception&) {
    return false;
  }
}

std::shared_ptr<CompiledPackage> loadCompiledPackage(const std::string& path, const std::string& source, c10::Device device,
                                                     size_t runners) {
  auto package = std::make_shared<CompiledPackage>();
  std::vector<std::string> names;
  try {
    caffe2::serialize::PyTorchStreamReader reader(path);
    names = entryNames(reader);
    if (reader.hasRecord("extra/metadata.json")) {
      auto [data, size] = reader.getRecord("extra/metadata.json");
      package->metadataJson.assign(static_cast<const char*>(data.get()), size);
    }
  } catch (const std::exception& error) {
    throw CodedError("MODEL_CORRUPT", source + " is not a readable AOTInductor package: " + readableTorchMessage(error));
  }
  for (const std::string& name : names) {
    CompiledEntry entry = readEntry(path, name, source, device, package->inputNames);
    try {
      entry.loader = std::make_shared<torch::inductor::AOTIModelPackageLoader>(
          path, name, /*run_single_threaded=*/false, runners, device.is_cuda() ? device.index() : static_cast<c10::DeviceIndex>(-1));
    } catch (const std::exception& error) {
      throw CodedError("MODEL_CORRUPT", source + " entry \"" + name + "\" cannot be loaded: " + readableTorchMessage(error));
    }
    package->entries.push_back(std::move(entry));
  }
  if (package->entries.empty()) throw CodedError("MODEL_CORRUPT", source + " holds no compiled entry");
  std::stable_partition(package->entries.begin(), package->entries.end(), [](const CompiledEntry& e) { return !e.dynamic; });
  return package;
}

std::vector<at::Tensor> runCompiled(CompiledPackage& package, const std::vector<at::Tensor>& inputs) {
  for (const at::Tensor& input : inputs) {
    if (input.scalar_type() != at::kFloat) {
      throw CodedError("INPUT_DTYPE", std::string("Compiled model inputs must be float32, got ") + c10::toString(input.scalar_type()));
    }
  }
  for (CompiledEntry& entry : package.entries) {
    if (!takes(entry, inputs)) continue;
    std::vector<at::Tensor> contiguous;
    for (const at::Tensor& input : inputs) contiguous.push_back(input.contiguous());
    return entry.loader->run(contiguous);
  }
  std::string got, compiled;
  for (const at::Tensor& input : inputs) got += (got.empty() ? "" : " + ") + shapeText(input.sizes().vec());
  for (const CompiledEntry& entry : package.entries) compiled += (compiled.empty() ? "" : "; ") + describeEntry(entry);
  throw CodedError("INPUT_SHAPE", "Compiled model has no entry for input shape " + got + "; compiled shapes: " + compiled +
                                      " (export the package with this --size/--batch, or --dynamic)");
}

}  // namespace lwganet
