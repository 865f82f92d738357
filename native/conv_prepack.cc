#include "conv_prepack.h"

#include <torch/version.h>

#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

#if TORCH_VERSION_MAJOR >= 2
#include <ATen/Config.h>
#include <ATen/ops/mkldnn_reorder_conv2d_weight.h>
#include <torch/csrc/jit/ir/constants.h>
#include <torch/csrc/jit/ir/ir.h>
#include <torch/csrc/jit/passes/dead_code_elimination.h>
#if AT_MKLDNN_ENABLED()
#define LWGANET_CAN_PREPACK 1  // mkldnn::_convolution_pointwise appeared in 2.0; Debian's 1.13 has none
#endif
#endif

namespace lwganet {

#ifdef LWGANET_CAN_PREPACK
namespace {

using torch::jit::Graph;
using torch::jit::Node;
using torch::jit::Value;

bool enabledByEnvironment() {
  const char* value = std::getenv("LWGANET_PREPACK");
  return value != nullptr && std::string(value) == "1";
}

bool hasPointwiseConvolution() {
  return c10::Dispatcher::singleton().findSchema({"mkldnn::_convolution_pointwise", ""}).has_value();
}

// An int[] argument: a constant, or (lists are mutable, so constant propagation leaves them)
// a prim::ListConstruct of int constants.
std::optional<std::vector<int64_t>> intList(Value* value) {
  if (auto constant = torch::jit::toIValue(value)) {
    if (constant->isIntList()) return constant->toIntVector();
    return std::nullopt;
  }
  if (value->node()->kind() != c10::prim::ListConstruct) return std::nullopt;
  std::vector<int64_t> items;
  for (Value* item : value->node()->inputs()) {
    auto constant = torch::jit::toIValue(item);
    if (!constant || !constant->isInt()) return std::nullopt;
    items.push_back(constant->toInt());
  }
  return items;
}

// The exact GELU that is the only user of `conv`'s output, or nullptr.
Node* fusableGelu(Node* conv) {
  const auto& uses = conv->output()->uses();
  if (uses.size() != 1) return nullptr;
  Node* user = uses[0].user;
  if (user->kind() != c10::Symbol::fromQualString("aten::gelu") || user->inputs().size() != 2) return nullptr;
  auto approximate = torch::jit::toIValue(user->input(1));
  return approximate && approximate->isString() && approximate->toStringRef() == "none" ? user : nullptr;
}

// Graph::insertConstant refuses oneDNN tensors (they cannot be serialised); an in-memory constant
// node holding one is what TorchScript's own oneDNN passes build too.
Value* packedConstant(Graph& graph, const at::Tensor& packed) {
  Node* constant = graph.create(c10::prim::Constant);
  constant->t_(c10::attr::value, packed);
  constant->output()->setType(c10::TensorType::get());
  return graph.insertNode(constant)->output();
}

// Rewrites one aten::conv2d if its arguments qualify; returns whether it did.
bool rewrite(Graph& graph, Node* conv) {
  auto weight = torch::jit::toIValue(conv->input(1));
  auto bias = torch::jit::toIValue(conv->input(2));
  auto stride = intList(conv->input(3));
  auto padding = intList(conv->input(4));
  auto dilation = intList(conv->input(5));
  auto groups = torch::jit::toIValue(conv->input(6));
  if (!weight || !weight->isTensor() || !bias || !(bias->isNone() || bias->isTensor())) return false;
  if (!stride || !padding || !dilation || !groups || !groups->isInt()) return false;
  const at::Tensor& w = weight->toTensor();
  if (w.dim() != 4 || w.scalar_type() != at::kFloat || !w.device().is_cpu() || w.is_mkldnn()) return false;
  if (bias->isTensor() && bias->toTensor().scalar_type() != at::kFloat) return false;

  at::Tensor packed = at::mkldnn_reorder_conv2d_weight(w.contiguous().to_mkldnn(), *padding, *stride, *dilation, groups->toInt());

  Node* gelu = fusableGelu(conv);
  torch::jit::WithInsertPoint guard(conv);
  Value* scalars = graph.insertNode(graph.createList(c10::OptionalType::create(c10::NumberType::get()), {}))->output();
  // aten::conv2d makes its output channels-last when its weight is (graph.py relies on that to
  // run the whole graph NHWC); a packed weight has no layout and the output follows the input.
  // So the input is made channels-last first: free when it already is.
  Value* input = graph.insert(c10::Symbol::fromQualString("aten::contiguous"), {conv->input(0)},
                              {torch::jit::NamedValue("memory_format", c10::IValue(static_cast<int64_t>(c10::MemoryFormat::ChannelsLast)))});
  std::vector<torch::jit::NamedValue> args{
      input, packedConstant(graph, packed), conv->input(2), conv->input(4), conv->input(3), conv->input(5),
      conv->input(6), graph.insertConstant(std::string(gelu ? "gelu" : "none")), scalars,
      gelu ? graph.insertConstant(std::string("none")) : graph.insertConstant(c10::IValue())};
  Value* out = graph.insert(c10::Symbol::fromQualString("mkldnn::_convolution_pointwise"), args);
  out->setType(c10::TensorType::get());
  (gelu ? gelu : conv)->output()->replaceAllUsesWith(out);
  if (gelu) gelu->destroy();
  conv->destroy();
  return true;
}

void collect(torch::jit::Block* block, std::vector<Node*>& convs) {
  static const c10::Symbol conv2d = c10::Symbol::fromQualString("aten::conv2d");
  for (Node* node : block->nodes()) {
    if (node->kind() == conv2d && node->inputs().size() == 7) convs.push_back(node);
    for (torch::jit::Block* inner : node->blocks()) collect(inner, convs);
  }
}

}  // namespace

int prepackConvolutions(torch::jit::Module& module) {
  if (!enabledByEnvironment() || !hasPointwiseConvolution()) return 0;
  auto method = module.find_method("forward");
  if (!method) return 0;
  std::shared_ptr<Graph> graph = method->graph();
  std::vector<Node*> convs;
  collect(graph->block(), convs);
  int rewritten = 0;
  // Each rewrite is whole or not at all as far as the graph's meaning goes: everything that can
  // throw (packing, operator lookup) happens before the conv's uses move; nodes left unused by a
  // failure are removed below. So a failure keeps the convolutions not yet rewritten as they were.
  try {
      for (Node* conv : convs) rewritten += rewrite(*graph, conv) ? 1 : 0;
  } catch (const std::exception&) {
  }
  torch::jit::EliminateDeadCode(graph);
  return rewritten;
}

#else

int prepackConvolutions(torch::jit::Module&) { return 0; }

#endif

}  // namespace lwganet
