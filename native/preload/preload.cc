// lwganet_preload.node: opens shared libraries by absolute path with RTLD_NOW | RTLD_GLOBAL and
// never closes them. lib/native/binding.ts loads LibTorch's libraries through it before the addon, so
// the addon's DT_NEEDED entries (libtorch.so, libc10.so, ...) resolve to the LibTorch found at
// load time instead of an RPATH. It links nothing but libc: it must load where LibTorch does not.
// (Node's process.dlopen cannot do this: it closes a library that registers no module.)
#include <dlfcn.h>
#include <node_api.h>

#include <string>

namespace {

napi_value Open(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  if (napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr) != napi_ok || argc < 1) {
    napi_throw_type_error(env, nullptr, "open(path): path must be a string");
    return nullptr;
  }
  size_t length = 0;
  if (napi_get_value_string_utf8(env, argv[0], nullptr, 0, &length) != napi_ok) {
    napi_throw_type_error(env, nullptr, "open(path): path must be a string");
    return nullptr;
  }
  std::string path(length, '\0');
  napi_get_value_string_utf8(env, argv[0], path.data(), length + 1, &length);
  if (dlopen(path.c_str(), RTLD_NOW | RTLD_GLOBAL) == nullptr) {
    const char* why = dlerror();
    napi_throw_error(env, "LIBRARY_OPEN_FAILED", why ? why : path.c_str());
  }
  return nullptr;
}

napi_value Init(napi_env env, napi_value exports) {
  napi_value fn;
  napi_create_function(env, "open", NAPI_AUTO_LENGTH, Open, nullptr, &fn);
  napi_set_named_property(env, exports, "open", fn);
  return exports;
}

}  // namespace

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
