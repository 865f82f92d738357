#include "forward.h"

#include "runtime.h"
#include "tensor_convert.h"

namespace lwganet {

OutputValue runForward(LoadedModule& module, std::vector<c10::IValue> inputs, int threads) {
  // Both guards are thread-local, so they are set here, on the thread that runs the forward.
  c10::InferenceMode inferenceMode;
  applyIntraOpThreads(threads);
  OutputContext context;
  context.halfToFloat = module.dtype == at::kHalf;
  for (const c10::IValue& input : inputs) {
    context.inputMemory.push_back(input.isTensor() && isBorrowedFromJs(input.toTensor()) ? input.toTensor().storage().data() : nullptr);
  }
  for (c10::IValue& input : inputs) {
    if (!input.isTensor()) continue;
    at::Tensor tensor = input.toTensor();
    if (module.dtype == at::kHalf && tensor.is_floating_point()) tensor = tensor.to(at::kHalf);
    if (tensor.device() != module.device) tensor = tensor.to(module.device);
    input = tensor;
  }
  c10::IValue result = module.module.forward(std::move(inputs));
  // Conversions run here too: on CUDA the copy to the CPU waits for the kernels to finish.
  return prepareOutput(result, context);
}

}  // namespace lwganet
