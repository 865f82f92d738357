#include "forward.h"

#include "compiled_package.h"
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
  c10::IValue result;
  if (module.compiled) {
    std::vector<at::Tensor> tensors;
    for (const c10::IValue& input : inputs) tensors.push_back(input.toTensor());
    std::vector<at::Tensor> outputs = runCompiled(*module.compiled, tensors);
    // One output is a tensor, several a tuple: what the TorchScript export of the same model returns.
    result = outputs.size() == 1 ? c10::IValue(outputs[0]) : c10::IValue(c10::ivalue::Tuple::create(std::vector<c10::IValue>(outputs.begin(), outputs.end())));
  } else {
    result = module.module.forward(std::move(inputs));
  }
  // Conversions run here too: on CUDA the copy to the CPU waits for the kernels to finish.
  return prepareOutput(result, context);
}

}  // namespace lwganet
