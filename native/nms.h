// Non-maximum suppression on plain arrays of doubles (no LibTorch, no N-API), shared by the
// TorchScript operators (nms_ops.cc) and the JavaScript functions (nms_napi.cc).
// Semantics: python/lwganet/detection/native_ops.py (the operator contract: greedy NMS in descending score, IoU in float64).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace lwganet {
namespace nms {

// Row layouts, contiguous doubles:
//   aligned: x1, y1, x2, y2
//   rotated: cx, cy, w, h, angle (radians, le90; corners c − u − v, c + u − v, c + u + v, c − u + v)
enum class BoxKind { Aligned, Rotated };
constexpr std::size_t kAlignedWidth = 4;
constexpr std::size_t kRotatedWidth = 5;

// IoU of two axis-aligned boxes, areas (x2 - x1)(y2 - y1) without +1 (mmcv); 0 when the union is empty.
double alignedIou(const double* a, const double* b);

// Exact area of the intersection of two rotated rectangles (convex polygon clipping).
double rotatedIntersectionArea(const double* a, const double* b);

// Exact IoU of two rotated rectangles; 0 when the union is empty.
double rotatedIou(const double* a, const double* b);

// Greedy NMS within each group, never across groups. Candidates are visited by descending
// score, ties by ascending index (NaN scores first, as torch.sort orders them); a candidate is
// dropped when its IoU with a kept candidate of its group is greater than `iouThreshold`.
// `groups` may be null (one group). Returns the kept indices by descending score, ties by index.
std::vector<int64_t> greedyNms(BoxKind kind, const double* boxes, const double* scores, const int64_t* groups,
                               std::size_t count, double iouThreshold);

}  // namespace nms
}  // namespace lwganet
