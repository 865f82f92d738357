#include "nms_ops.h"

#include <ATen/ATen.h>
#include <torch/library.h>

#include <algorithm>
#include <mutex>

#include "nms.h"

namespace lwganet {
namespace {

// Schemas word for word as in python/lwganet/detection/native_ops.py (SCHEMAS).
constexpr const char* kAlignedSchema =
    "nms_aligned(Tensor boxes, Tensor scores, Tensor groups, float iou_threshold) -> Tensor";
constexpr const char* kRotatedSchema =
    "nms_rotated(Tensor boxes, Tensor scores, Tensor groups, float iou_threshold) -> Tensor";

// The messages say "shape" / "dtype" so the addon's error path gives them the INPUT_SHAPE /
// INPUT_DTYPE codes when they surface from a model's forward.
void checkInputs(const char* op, const at::Tensor& boxes, const at::Tensor& scores, const at::Tensor& groups,
                 int64_t width) {
  TORCH_CHECK(boxes.dim() == 2 && boxes.size(1) == width, op, ": expected boxes of shape (N, ", width,
              ") but got ", boxes.sizes());
  const int64_t n = boxes.size(0);
  TORCH_CHECK(scores.dim() == 1 && scores.size(0) == n, op, ": expected scores of shape (N,) with N = ", n,
              " (one per box) but got ", scores.sizes());
  TORCH_CHECK(groups.dim() == 1 && groups.size(0) == n, op, ": expected groups of shape (N,) with N = ", n,
              " (one per box) but got ", groups.sizes());
  TORCH_CHECK(at::isFloatingType(boxes.scalar_type()) && scores.scalar_type() == boxes.scalar_type(), op,
              ": expected boxes and scores of one floating point dtype but got ", boxes.scalar_type(), " and ",
              scores.scalar_type());
  TORCH_CHECK(groups.scalar_type() == at::kLong, op, ": expected groups of dtype int64 (Long) but got ",
              groups.scalar_type());
}

// Computed on the CPU in double precision whatever the inputs' device and float dtype; the
// indices go back to the inputs' device.
at::Tensor runNms(nms::BoxKind kind, const char* op, const at::Tensor& boxes, const at::Tensor& scores,
                  const at::Tensor& groups, double iouThreshold) {
  const int64_t width = kind == nms::BoxKind::Rotated ? nms::kRotatedWidth : nms::kAlignedWidth;
  checkInputs(op, boxes, scores, groups, width);
  const at::Tensor b = boxes.to(at::kCPU, at::kDouble).contiguous();
  const at::Tensor s = scores.to(at::kCPU, at::kDouble).contiguous();
  const at::Tensor g = groups.to(at::kCPU).contiguous();
  const auto n = static_cast<std::size_t>(b.size(0));
  std::vector<int64_t> kept;
  if (n > 0) kept = nms::greedyNms(kind, b.data_ptr<double>(), s.data_ptr<double>(), g.data_ptr<int64_t>(), n, iouThreshold);
  at::Tensor out = at::empty({static_cast<int64_t>(kept.size())}, at::TensorOptions().dtype(at::kLong));
  std::copy(kept.begin(), kept.end(), out.data_ptr<int64_t>());
  return out.to(boxes.device());
}

at::Tensor nmsAligned(const at::Tensor& boxes, const at::Tensor& scores, const at::Tensor& groups, double iouThreshold) {
  return runNms(nms::BoxKind::Aligned, "nms_aligned", boxes, scores, groups, iouThreshold);
}

at::Tensor nmsRotated(const at::Tensor& boxes, const at::Tensor& scores, const at::Tensor& groups, double iouThreshold) {
  return runNms(nms::BoxKind::Rotated, "nms_rotated", boxes, scores, groups, iouThreshold);
}

}  // namespace

void registerNmsOperators() {
  static std::once_flag once;
  std::call_once(once, [] {
    // Not TORCH_LIBRARY: its static initializer aborts the process when the namespace is already
    // taken (two copies of the addon in one process). This checks first and never throws.
    try {
      if (c10::Dispatcher::singleton().findSchema({"lwganet::nms_rotated", ""}).has_value()) return;
      // Never destroyed: the ops must outlive every module that calls them.
      auto* library = new torch::Library(torch::Library::DEF, "lwganet", std::nullopt, __FILE__, __LINE__);
      library->def(kAlignedSchema);
      library->def(kRotatedSchema);
      // CompositeExplicitAutograd, as in Python: one kernel for every backend (the kernel moves
      // inputs to the CPU itself), and no autograd (the result is indices).
      library->impl("nms_aligned", torch::dispatch(c10::DispatchKey::CompositeExplicitAutograd, TORCH_FN(nmsAligned)));
      library->impl("nms_rotated", torch::dispatch(c10::DispatchKey::CompositeExplicitAutograd, TORCH_FN(nmsRotated)));
    } catch (...) {
      // Left unregistered: loading a model that calls the ops then fails with LibTorch's
      // "Unknown builtin op: lwganet::nms_..." message, which names what is missing.
    }
  });
}

}  // namespace lwganet
