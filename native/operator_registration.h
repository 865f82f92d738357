// Registering the addon's own operators (lwganet::*) with LibTorch's dispatcher.
#pragma once

#include <torch/library.h>

namespace lwganet {

// Registers the operator `schema` (its name first, e.g. "attention(Tensor query, ...) -> Tensor")
// in the lwganet namespace with `kernel`, unless an operator of that name is registered already
// (a second copy of the addon in the process). Thread-safe and idempotent; never throws: an
// operator left unregistered makes a model that calls it fail to load, naming the operator.
void registerOperator(const char* schema, torch::CppFunction kernel);

}  // namespace lwganet
