#include "operator_registration.h"

#include <mutex>
#include <string>

namespace lwganet {

void registerOperator(const char* schema, torch::CppFunction kernel) {
  static std::mutex mutex;  // addons of several worker threads register at the same time
  try {
    const std::lock_guard<std::mutex> lock(mutex);
    const std::string text(schema);
    const std::string name = text.substr(0, text.find('('));
    // Checked first, and not TORCH_LIBRARY_FRAGMENT: its static initializer aborts the process
    // when the schema is already taken.
    if (c10::Dispatcher::singleton().findSchema({"lwganet::" + name, ""}).has_value()) return;
    // A FRAGMENT: the NMS operators own the namespace's DEF (nms_ops.cc). Never destroyed: the
    // operator must outlive every module that calls it.
    auto* library = new torch::Library(torch::Library::FRAGMENT, "lwganet", std::nullopt, __FILE__, __LINE__);
    library->def(schema);
    library->impl(name.c_str(), std::move(kernel));
  } catch (...) {
    // Left unregistered: see the header.
  }
}

}  // namespace lwganet
