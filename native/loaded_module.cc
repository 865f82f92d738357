#include "loaded_module.h"

#include <sys/stat.h>
#include <torch/version.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <sstream>
#include <unistd.h>

#include "compiled_package.h"
#include "conv_prepack.h"
#include "inference_pool.h"
#include "errors.h"

namespace lwganet {
namespace {

std::mutex cacheMutex;
// weak_ptr: the cache never keeps a module alive on its own; the last handle frees the weights.
std::map<std::string, std::weak_ptr<LoadedModule>>& cache() {
  static auto* entries = new std::map<std::string, std::weak_ptr<LoadedModule>>();  // never destroyed: threads may outlive static teardown
  return *entries;
}

// File identity (device, inode, size, mtime) rather than the path text: two spellings of one
// file share weights, and a rewritten file is loaded afresh.
std::string fileIdentity(const std::string& path) {
  struct stat info;
  if (stat(path.c_str(), &info) != 0) {
    int error = errno;
    if (error == ENOENT || error == ENOTDIR) throw CodedError("MODEL_NOT_FOUND", "Model file not found: " + path);
    throw CodedError("MODEL_NOT_FOUND", "Model file cannot be read: " + path + " (" + std::strerror(error) + ")");
  }
  if (S_ISDIR(info.st_mode)) throw CodedError("MODEL_NOT_FOUND", "Model path is a directory, not a file: " + path);
  if (info.st_size == 0) throw CodedError("MODEL_CORRUPT", "Model file is empty: " + path);
  std::ostringstream key;
  key << info.st_dev << ':' << info.st_ino << ':' << info.st_size << ':' << info.st_mtim.tv_sec << '.' << info.st_mtim.tv_nsec;
  return key.str();
}

std::string versionHint(const std::string& cause) {
  if (cause.find("version") == std::string::npos) return "";
  return " (the file may have been exported by a torch newer than this LibTorch " TORCH_VERSION
         "; export it with a torch no newer than " TORCH_VERSION ")";
}

// A .pt2 package: every entry's loader, one runner per thread that may run it at once (the
// inference threads and the JS thread's runSync).
std::shared_ptr<LoadedModule> loadCompiled(const LoadRequest& request, const std::string& path, const std::string& source) {
  if (request.dtype != at::kFloat) {
    throw CodedError("DTYPE_UNSUPPORTED", source + " is a compiled float32 package; it cannot run as " + c10::toString(request.dtype));
  }
  auto loaded = std::make_shared<LoadedModule>();
  loaded->compiled = loadCompiledPackage(path, source, request.device, InferencePool::Instance().Size() + 1);
  for (const std::string& name : loaded->compiled->inputNames) loaded->arguments.push_back({name, "Tensor", false});
  for (CompiledEntry entry : loaded->compiled->entries) {
    entry.loader.reset();  // the description outlives dispose(): it must not hold the code
    loaded->compiledEntries.push_back(std::move(entry));
  }
  loaded->device = request.device;
  loaded->dtype = request.dtype;
  loaded->metadataJson = loaded->compiled->metadataJson;
  loaded->hasMetadata = !loaded->metadataJson.empty();
  return loaded;
}

// The package loader reads files only: bytes go through a private temporary file, removed as
// soon as the loader has extracted what it needs.
std::shared_ptr<LoadedModule> loadCompiledBytes(const LoadRequest& request, const std::string& source) {
  char name[] = "/tmp/lwganet-package-XXXXXX.pt2";
  int fd = mkstemps(name, 4);
  if (fd < 0) throw CodedError("MODEL_CORRUPT", source + ": cannot write a temporary file for the package (" + std::strerror(errno) + ")");
  size_t written = 0;
  while (written < request.bytes.size()) {
    ssize_t n = write(fd, request.bytes.data() + written, request.bytes.size() - written);
    if (n <= 0) break;
    written += static_cast<size_t>(n);
  }
  close(fd);
  try {
    if (written != request.bytes.size()) throw CodedError("MODEL_CORRUPT", source + ": writing a temporary copy of the package failed");
    auto loaded = loadCompiled(request, name, source);
    unlink(name);
    return loaded;
  } catch (...) {
    unlink(name);
    throw;
  }
}

std::shared_ptr<LoadedModule> loadUncached(const LoadRequest& request, const std::string& source) {
  if (request.path.empty() ? isCompiledPackageBytes(request.bytes) : isCompiledPackage(request.path)) {
    return request.path.empty() ? loadCompiledBytes(request, source) : loadCompiled(request, request.path, source);
  }
  auto loaded = std::make_shared<LoadedModule>();
  torch::jit::ExtraFilesMap extra{{"metadata.json", ""}};
  try {
    if (request.path.empty()) {
      std::istringstream stream(request.bytes);
      loaded->module = torch::jit::load(stream, request.device, extra);
    } else {
      loaded->module = torch::jit::load(request.path, request.device, extra);
    }
  } catch (const std::exception& error) {
    std::string cause = readableTorchMessage(error);
    throw CodedError("MODEL_CORRUPT", source + " is not a loadable TorchScript archive: " + cause + versionHint(cause));
  }
  auto method = loaded->module.find_method("forward");
  if (!method) throw CodedError("MODEL_CORRUPT", source + " has no forward method");

  const auto& schema = method->function().getSchema();
  for (size_t i = 1; i < schema.arguments().size(); ++i) {  // 0 is self
    const auto& argument = schema.arguments()[i];
    loaded->arguments.push_back({argument.name(), argument.type()->annotation_str(), argument.default_value().has_value()});
  }
  loaded->module.eval();
  if (request.dtype == at::kHalf) loaded->module.to(at::kHalf);
  if (request.device.is_cpu() && request.dtype == at::kFloat) loaded->prepackedConvolutions = prepackConvolutions(loaded->module);
  loaded->device = request.device;
  loaded->dtype = request.dtype;
  loaded->metadataJson = extra["metadata.json"];
  loaded->hasMetadata = !loaded->metadataJson.empty();
  return loaded;
}

}  // namespace

std::shared_ptr<LoadedModule> loadModule(const LoadRequest& request) {
  if (!request.path.empty()) {
    std::string key = fileIdentity(request.path) + '|' + request.device.str() + '|' + c10::toString(request.dtype);
    {
      std::lock_guard<std::mutex> lock(cacheMutex);
      if (auto found = cache()[key].lock()) return found;
    }
    // Loading happens outside the lock; if two threads race, the first stored copy wins.
    std::shared_ptr<LoadedModule> loaded = loadUncached(request, "Model file " + request.path);
    std::lock_guard<std::mutex> lock(cacheMutex);
    auto& slot = cache()[key];
    if (auto winner = slot.lock()) return winner;
    slot = loaded;
    return loaded;
  }
  if (request.bytes.empty()) throw CodedError("MODEL_CORRUPT", "Model buffer is empty");
  return loadUncached(request, "Model buffer (" + std::to_string(request.bytes.size()) + " bytes)");
}

size_t cachedModuleCount() {
  std::lock_guard<std::mutex> lock(cacheMutex);
  size_t alive = 0;
  for (auto it = cache().begin(); it != cache().end();) {
    if (it->second.expired()) {
      it = cache().erase(it);
    } else {
      ++alive;
      ++it;
    }
  }
  return alive;
}

}  // namespace lwganet
