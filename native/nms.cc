#include "nms.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace lwganet {
namespace nms {
namespace {

struct Point {
  double x, y;
};

// A rotated rectangle prepared once per box: corners relative to its centre (so pairs are
// clipped in a frame near the boxes, keeping precision for large image coordinates), area,
// and enclosing axis-aligned box for the cheap overlap test.
struct Rect {
  Point centre;
  Point corner[4];
  double area;
  double x1, y1, x2, y2;
  // +1 when the corners run counter-clockwise (w·h > 0), −1 otherwise: the side of each edge
  // the interior lies on.
  double orientation;
};

Rect prepare(const double* box) {
  Rect r;
  const double c = std::cos(box[4]), s = std::sin(box[4]);
  // le90 corners: u along w, v along h; p1 = c − u − v, p2 = c + u − v, p3 = c + u + v, p4 = c − u + v.
  const Point u{box[2] / 2 * c, box[2] / 2 * s};
  const Point v{-box[3] / 2 * s, box[3] / 2 * c};
  r.centre = {box[0], box[1]};
  r.corner[0] = {-u.x - v.x, -u.y - v.y};
  r.corner[1] = {u.x - v.x, u.y - v.y};
  r.corner[2] = {u.x + v.x, u.y + v.y};
  r.corner[3] = {-u.x + v.x, -u.y + v.y};
  const double signedArea = box[2] * box[3];
  r.area = std::fabs(signedArea);
  r.orientation = signedArea < 0 ? -1.0 : 1.0;
  const double hx = std::fabs(u.x) + std::fabs(v.x), hy = std::fabs(u.y) + std::fabs(v.y);
  r.x1 = box[0] - hx;
  r.x2 = box[0] + hx;
  r.y1 = box[1] - hy;
  r.y2 = box[1] + hy;
  return r;
}

bool enclosingBoxesOverlap(const Rect& a, const Rect& b) {
  return std::min(a.x2, b.x2) > std::max(a.x1, b.x1) && std::min(a.y2, b.y2) > std::max(a.y1, b.y1);
}

// z of (a − o) × (b − o).
double cross(Point o, Point a, Point b) { return (a.x - o.x) * (b.y - o.y) - (a.y - o.y) * (b.x - o.x); }

// Clipping a polygon of n vertices by a half-plane yields at most 1.5·n vertices (inside
// vertices plus two crossings per inside run), so 4 → 6 → 9 → 13 → 19 for a rectangle.
constexpr int kMaxVertices = 20;

// Sutherland–Hodgman: a's rectangle clipped by the four half-planes of b's edges, in a frame
// centred on a. A vertex on an edge counts as inside; a crossing is added only between
// vertices on strictly different sides, so the crossing point always lies on the segment.
double intersectionArea(const Rect& a, const Rect& b) {
  if (!(a.area > 0) || !(b.area > 0)) return 0;  // also false for NaN sizes
  Point buffers[2][kMaxVertices];
  int count = 4;
  for (int i = 0; i < 4; ++i) buffers[0][i] = a.corner[i];
  const Point offset{b.centre.x - a.centre.x, b.centre.y - a.centre.y};
  Point clip[4];
  for (int i = 0; i < 4; ++i) clip[i] = {b.corner[i].x + offset.x, b.corner[i].y + offset.y};

  int current = 0;
  for (int edge = 0; edge < 4 && count > 0; ++edge) {
    const Point e0 = clip[edge], e1 = clip[(edge + 1) % 4];
    const Point* in = buffers[current];
    Point* out = buffers[1 - current];
    int produced = 0;
    for (int i = 0; i < count; ++i) {
      const Point p = in[i], q = in[(i + 1) % count];
      const double dp = b.orientation * cross(e0, e1, p), dq = b.orientation * cross(e0, e1, q);
      const bool pInside = dp >= 0, qInside = dq >= 0;
      if (pInside) out[produced++] = p;
      if (pInside != qInside) {
        const double t = dp / (dp - dq);
        out[produced++] = {p.x + t * (q.x - p.x), p.y + t * (q.y - p.y)};
      }
    }
    count = produced;
    current = 1 - current;
  }
  if (count < 3) return 0;
  const Point* polygon = buffers[current];
  double twice = 0;
  for (int i = 0; i < count; ++i) {
    const Point p = polygon[i], q = polygon[(i + 1) % count];
    twice += p.x * q.y - p.y * q.x;
  }
  // Rounding can push the area a hair above the smaller box's; the true value never is.
  return std::min(std::fabs(twice) / 2, std::min(a.area, b.area));
}

double iouOf(const Rect& a, const Rect& b) {
  if (!enclosingBoxesOverlap(a, b)) return 0;
  const double inter = intersectionArea(a, b);
  const double unionArea = a.area + b.area - inter;
  return unionArea > 0 ? inter / unionArea : 0;
}

// Visits candidates by descending score, NaN first, ties by ascending index.
std::vector<int64_t> visitOrder(const double* scores, std::size_t count) {
  std::vector<int64_t> order(count);
  std::iota(order.begin(), order.end(), int64_t{0});
  std::stable_sort(order.begin(), order.end(), [scores](int64_t i, int64_t j) {
    const bool iNan = std::isnan(scores[i]), jNan = std::isnan(scores[j]);
    if (iNan || jNan) return iNan && !jNan;
    return scores[i] > scores[j];
  });
  return order;
}

// Greedy suppression over one group's candidates, already in visit order.
template <typename Iou>
void suppressGroup(const int64_t* candidates, std::size_t count, double iouThreshold, Iou iou,
                   std::vector<char>& suppressed, std::vector<char>& kept) {
  for (std::size_t a = 0; a < count; ++a) {
    const int64_t i = candidates[a];
    if (suppressed[i]) continue;
    kept[i] = 1;
    for (std::size_t b = a + 1; b < count; ++b) {
      const int64_t j = candidates[b];
      if (!suppressed[j] && iou(i, j) > iouThreshold) suppressed[j] = 1;
    }
  }
}

}  // namespace

double alignedIou(const double* a, const double* b) {
  const double w = std::max(0.0, std::min(a[2], b[2]) - std::max(a[0], b[0]));
  const double h = std::max(0.0, std::min(a[3], b[3]) - std::max(a[1], b[1]));
  const double inter = w * h;
  const double unionArea = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter;
  return unionArea > 0 ? inter / unionArea : 0;
}

double rotatedIntersectionArea(const double* a, const double* b) {
  const Rect ra = prepare(a), rb = prepare(b);
  return enclosingBoxesOverlap(ra, rb) ? intersectionArea(ra, rb) : 0;
}

double rotatedIou(const double* a, const double* b) { return iouOf(prepare(a), prepare(b)); }

std::vector<int64_t> greedyNms(BoxKind kind, const double* boxes, const double* scores, const int64_t* groups,
                               std::size_t count, double iouThreshold) {
  std::vector<int64_t> order = visitOrder(scores, count);
  // One contiguous run of candidates per group, each run still in visit order.
  std::vector<int64_t> grouped = order;
  if (groups != nullptr) {
    std::stable_sort(grouped.begin(), grouped.end(), [groups](int64_t i, int64_t j) { return groups[i] < groups[j]; });
  }
  std::vector<char> suppressed(count, 0), kept(count, 0);
  std::vector<Rect> rects;
  if (kind == BoxKind::Rotated) {
    rects.reserve(count);
    for (std::size_t i = 0; i < count; ++i) rects.push_back(prepare(boxes + i * kRotatedWidth));
  }
  auto rotated = [&rects](int64_t i, int64_t j) { return iouOf(rects[i], rects[j]); };
  auto aligned = [boxes](int64_t i, int64_t j) { return alignedIou(boxes + i * kAlignedWidth, boxes + j * kAlignedWidth); };

  for (std::size_t start = 0; start < count;) {
    std::size_t end = start + 1;
    while (end < count && (groups == nullptr || groups[grouped[end]] == groups[grouped[start]])) ++end;
    if (kind == BoxKind::Rotated) {
      suppressGroup(grouped.data() + start, end - start, iouThreshold, rotated, suppressed, kept);
    } else {
      suppressGroup(grouped.data() + start, end - start, iouThreshold, aligned, suppressed, kept);
    }
    start = end;
  }

  std::vector<int64_t> result;
  for (int64_t i : order)
    if (kept[i]) result.push_back(i);
  return result;
}

}  // namespace nms
}  // namespace lwganet
