#include "runtime.h"

#include <ATen/Parallel.h>
#include <ATen/Version.h>
#include <dlfcn.h>
#include <link.h>
#include <torch/version.h>

#include <fstream>
#include <regex>
#include <string>

#include "cpu_memory.h"
#include "device.h"
#include "inference_pool.h"

namespace lwganet {

namespace {
thread_local int currentIntraOpThreads = -1;  // what this thread last set (-1: LibTorch's default)
}  // namespace

void applyIntraOpThreads(int threads) {
  if (threads != currentIntraOpThreads) {
    at::set_num_threads(threads);
    currentIntraOpThreads = threads;
  }
}

SingleThreadedScope::SingleThreadedScope() : previous_(at::get_num_threads()) { at::set_num_threads(1); }

// Restores the count as LibTorch reports it, so applyIntraOpThreads' record stays true.
SingleThreadedScope::~SingleThreadedScope() { at::set_num_threads(previous_); }

std::string loadedLibtorchPath() {
  Dl_info info;
  // Any libtorch_cpu function will do: dladdr names the file the dynamic linker actually used.
  if (dladdr(reinterpret_cast<void*>(&at::get_num_threads), &info) && info.dli_fname) return info.dli_fname;
  return "";
}

std::string loadedLibtorchVersion() {
  std::string path = loadedLibtorchPath();
  if (path.empty()) return "";
  std::string dir = path.substr(0, path.find_last_of('/'));
  std::smatch match;
  // pip torch: torch/lib/libtorch_cpu.so next to torch/version.py ("__version__ = '2.15.0+cu132'").
  std::ifstream versionPy(dir + "/../version.py");
  for (std::string line; std::getline(versionPy, line);) {
    if (std::regex_search(line, match, std::regex("^__version__\\s*=\\s*['\"]([^'\"]+)['\"]"))) return match[1];
  }
  // LibTorch zip: libtorch/build-version ("2.15.0+cpu").
  std::ifstream buildVersion(dir + "/../build-version");
  std::string version;
  if (std::getline(buildVersion, version) && !version.empty()) return version;
  // Debian: libtorch_cpu.so.1.13 (the file name carries the version).
  char resolved[4096];
  if (realpath(path.c_str(), resolved)) {
    std::string real = resolved;
    if (std::regex_search(real, match, std::regex("\\.so\\.([0-9]+\\.[0-9]+(\\.[0-9]+)?)$"))) return match[1];
  }
  return "";
}

// The BLAS LibTorch was built with ("mkl" for pip wheels; "generic" when it calls the system's
// libblas.so.3, as Debian's does) and the libblas file actually loaded, resolved through symlinks.
std::string buildBlas() {
  std::smatch match;
  std::string config = at::show_config();
  return std::regex_search(config, match, std::regex("BLAS_INFO=([^,\\s]+)")) ? std::string(match[1]) : "";
}

std::string loadedLibblas() {
  std::string found;
  dl_iterate_phdr(
      [](struct dl_phdr_info* info, size_t, void* data) {
        std::string name = info->dlpi_name ? info->dlpi_name : "";
        if (name.find("/libblas.so") == std::string::npos) return 0;
        char resolved[4096];
        *static_cast<std::string*>(data) = realpath(name.c_str(), resolved) ? resolved : name;
        return 1;
      },
      &found);
  return found;
}

Napi::Object describeRuntime(Napi::Env env) {
  Napi::Object info = Napi::Object::New(env);
  // TORCH_VERSION is what the addon was compiled against; the loaded library may differ when a
  // prebuild or a moved LibTorch is involved, which lib/native/binding.ts reports.
  std::string loaded = loadedLibtorchVersion();
  info.Set("libtorchVersion", Napi::String::New(env, loaded.empty() ? TORCH_VERSION : loaded));
  info.Set("libtorchPath", Napi::String::New(env, loadedLibtorchPath()));
  info.Set("builtWithLibtorch", Napi::String::New(env, TORCH_VERSION));
  info.Set("cudaCompiled", Napi::Boolean::New(env, cudaCompiled()));
  info.Set("cudaDeviceCount", Napi::Number::New(env, cudaDeviceCount()));
  std::string reason = cudaUnavailableReason();
  info.Set("cudaUnavailableReason", reason.empty() ? env.Null() : Napi::String::New(env, reason));
  info.Set("parallelInfo", Napi::String::New(env, at::get_parallel_info()));
  info.Set("defaultThreads", Napi::Number::New(env, at::get_num_threads()));
  info.Set("inferenceThreads", Napi::Number::New(env, static_cast<double>(InferencePool::Instance().Size())));
  CpuCacheStats cache = cpuCacheStats();
  Napi::Object cpuCache = Napi::Object::New(env);
  cpuCache.Set("enabled", Napi::Boolean::New(env, cache.enabled));
  cpuCache.Set("limitBytes", Napi::Number::New(env, static_cast<double>(cache.limitBytes)));
  cpuCache.Set("cachedBytes", Napi::Number::New(env, static_cast<double>(cache.cachedBytes)));
  cpuCache.Set("inUseBytes", Napi::Number::New(env, static_cast<double>(cache.inUseBytes)));
  cpuCache.Set("hits", Napi::Number::New(env, static_cast<double>(cache.hits)));
  cpuCache.Set("misses", Napi::Number::New(env, static_cast<double>(cache.misses)));
  info.Set("cpuCache", cpuCache);
  Napi::Object blas = Napi::Object::New(env);
  blas.Set("build", Napi::String::New(env, buildBlas()));
  std::string libblas = loadedLibblas();
  blas.Set("library", libblas.empty() ? env.Null() : Napi::String::New(env, libblas));
  info.Set("blas", blas);
  return info;
}

}  // namespace lwganet
