#include "rotated_roi_align.h"
#include "operator_registration.h"

#include <ATen/ATen.h>
#include <ATen/Parallel.h>

#include <cmath>
#include <vector>

namespace lwganet {
namespace {

// Word for word as in python/lwganet/detection/native_ops.py (SCHEMAS), whose docstring states
// the sampling rule this kernel follows (mmcv RoIAlignRotated, aligned=True, clockwise=True).
constexpr const char* kSchema =
    "rotated_roi_align(Tensor features, Tensor rois, float spatial_scale, int out_size, int sampling_ratio) -> Tensor";

// One sample point: its four bilinear taps as offsets into the (H, W, C) map (in units of C)
// and their weights; `inside` is false for a point too far outside the map (it reads 0).
template <typename T>
struct Taps {
  bool inside;
  int64_t offset[4];
  T weight[4];
};

// The taps of point (y, x) on an H × W map: points below −1 or beyond the size read 0, the
// others are clamped into [0, size − 1] and interpolated (the clamped point is what grid_sample
// with border padding and align_corners=True reads in the reference).
template <typename T>
Taps<T> bilinearTaps(T y, T x, int64_t height, int64_t width) {
  Taps<T> taps{};
  if (!(y >= T(-1) && y <= T(height) && x >= T(-1) && x <= T(width))) return taps;  // NaN falls out too
  y = std::min(std::max(y, T(0)), T(height - 1));
  x = std::min(std::max(x, T(0)), T(width - 1));
  const auto y0 = static_cast<int64_t>(y);
  const auto x0 = static_cast<int64_t>(x);
  // The far tap of a point on the last row/column has weight 0: read the near one instead.
  const int64_t y1 = std::min(y0 + 1, height - 1);
  const int64_t x1 = std::min(x0 + 1, width - 1);
  const T ly = y - T(y0), lx = x - T(x0);
  const T hy = T(1) - ly, hx = T(1) - lx;
  taps.inside = true;
  taps.offset[0] = y0 * width + x0;
  taps.offset[1] = y0 * width + x1;
  taps.offset[2] = y1 * width + x0;
  taps.offset[3] = y1 * width + x1;
  taps.weight[0] = hy * hx;
  taps.weight[1] = hy * lx;
  taps.weight[2] = ly * hx;
  taps.weight[3] = ly * lx;
  return taps;
}

// acc[k] += Σ weight_t · map[offset_t · C + k] over the 4 taps, for the C channels of a point.
// The hot loop of the operator: channels are contiguous in the (H, W, C) copy, so it is a
// vector loop; the float version is also compiled for AVX2 + FMA and picked at load time.
// (always_inline: otherwise the AVX2 clone below would call one shared default-ISA copy.)
template <typename T>
__attribute__((always_inline)) inline void accumulateTaps(T* acc, const T* map, const Taps<T>& taps, int64_t channels) {
  const T* a = map + taps.offset[0] * channels;
  const T* b = map + taps.offset[1] * channels;
  const T* c = map + taps.offset[2] * channels;
  const T* d = map + taps.offset[3] * channels;
  const T wa = taps.weight[0], wb = taps.weight[1], wc = taps.weight[2], wd = taps.weight[3];
  for (int64_t k = 0; k < channels; ++k) acc[k] += wa * a[k] + wb * b[k] + wc * c[k] + wd * d[k];
}

__attribute__((target_clones("arch=x86-64-v3", "default")))
void accumulateTapsFloat(float* acc, const float* map, const Taps<float>& taps, int64_t channels) {
  accumulateTaps(acc, map, taps, channels);
}

inline void accumulate(float* acc, const float* map, const Taps<float>& taps, int64_t channels) {
  accumulateTapsFloat(acc, map, taps, channels);
}

inline void accumulate(double* acc, const double* map, const Taps<double>& taps, int64_t channels) {
  accumulateTaps(acc, map, taps, channels);
}

struct Geometry {
  int64_t channels, height, width, outSize, samples;
};

// RoIs [begin, end): for each, the S × S sample points (S = outSize · samples) of its rotated
// grid, accumulated per bin over the (H, W, C) map, then averaged into dst's (C, out, out).
template <typename T>
void alignRange(const T* map, const T* rois, T scale, const Geometry& g, T* dst, int64_t begin, int64_t end) {
  const int64_t bins = g.outSize * g.outSize;
  const int64_t side = g.outSize * g.samples;
  std::vector<T> acc(static_cast<size_t>(bins * g.channels));
  std::vector<T> steps(static_cast<size_t>(side));
  // The same arithmetic, in the same order and precision, as the reference's sample points.
  for (int64_t i = 0; i < side; ++i) steps[i] = (T(i) + T(0.5)) / T(side);
  const T count = T(g.samples * g.samples);
  for (int64_t n = begin; n < end; ++n) {
    const T* roi = rois + n * 5;
    const T cx = roi[0] * scale - T(0.5);
    const T cy = roi[1] * scale - T(0.5);
    const T w = roi[2] * scale;
    const T h = roi[3] * scale;
    const T cosT = std::cos(roi[4]);
    const T sinT = std::sin(roi[4]);
    std::fill(acc.begin(), acc.end(), T(0));
    for (int64_t r = 0; r < side; ++r) {
      const T yy = -h * T(0.5) + steps[r] * h;
      T* row = acc.data() + (r / g.samples) * g.outSize * g.channels;
      for (int64_t c = 0; c < side; ++c) {
        const T xx = -w * T(0.5) + steps[c] * w;
        const T x = cx + xx * cosT - yy * sinT;
        const T y = cy + xx * sinT + yy * cosT;
        const Taps<T> taps = bilinearTaps(y, x, g.height, g.width);
        if (!taps.inside) continue;
        accumulate(row + (c / g.samples) * g.channels, map, taps, g.channels);
      }
    }
    T* out = dst + n * g.channels * bins;
    for (int64_t bin = 0; bin < bins; ++bin) {
      const T* a = acc.data() + bin * g.channels;
      for (int64_t k = 0; k < g.channels; ++k) out[k * bins + bin] = a[k] / count;
    }
  }
}

// Messages say "shape" / "dtype" so the addon's error path gives them the INPUT_SHAPE /
// INPUT_DTYPE codes when they surface from a model's forward.
void checkInputs(const at::Tensor& features, const at::Tensor& rois, double scale, int64_t outSize, int64_t samples) {
  TORCH_CHECK(features.dim() == 4 && features.size(0) == 1,
              "rotated_roi_align: expected features of shape (1, C, H, W) but got ", features.sizes());
  TORCH_CHECK(rois.dim() == 2 && rois.size(1) == 5, "rotated_roi_align: expected rois of shape (N, 5) but got ",
              rois.sizes());
  TORCH_CHECK((features.scalar_type() == at::kFloat || features.scalar_type() == at::kDouble) &&
                  rois.scalar_type() == features.scalar_type(),
              "rotated_roi_align: expected features and rois of one dtype, float32 or float64, but got ",
              features.scalar_type(), " and ", rois.scalar_type());
  TORCH_CHECK(std::isfinite(scale) && scale > 0, "rotated_roi_align: spatial_scale must be positive and finite, got ",
              scale);
  TORCH_CHECK(outSize >= 1, "rotated_roi_align: out_size must be at least 1, got ", outSize);
  TORCH_CHECK(samples >= 1, "rotated_roi_align: sampling_ratio must be at least 1 (adaptive sampling, 0, is ",
              "not supported), got ", samples);
}

// Computed on the CPU whatever the inputs' device; the result goes back to the inputs' device.
at::Tensor rotatedRoiAlign(const at::Tensor& features, const at::Tensor& rois, double spatialScale, int64_t outSize,
                           int64_t samplingRatio) {
  checkInputs(features, rois, spatialScale, outSize, samplingRatio);
  const int64_t n = rois.size(0);
  const Geometry g{features.size(1), features.size(2), features.size(3), outSize, samplingRatio};
  at::Tensor out = at::zeros({n, g.channels, outSize, outSize}, features.options().device(at::kCPU));
  if (n == 0 || g.channels == 0 || g.height == 0 || g.width == 0) return out.to(features.device());
  // Channels last, once per call: every tap then reads C contiguous values.
  const at::Tensor map = features[0].to(at::kCPU).permute({1, 2, 0}).contiguous();
  const at::Tensor r = rois.to(at::kCPU).contiguous();
  AT_DISPATCH_FLOATING_TYPES(features.scalar_type(), "rotated_roi_align", [&] {
    const scalar_t* mapData = map.data_ptr<scalar_t>();
    const scalar_t* roiData = r.data_ptr<scalar_t>();
    scalar_t* dst = out.data_ptr<scalar_t>();
    const auto scale = static_cast<scalar_t>(spatialScale);
    at::parallel_for(0, n, 8, [&](int64_t begin, int64_t end) {
      alignRange<scalar_t>(mapData, roiData, scale, g, dst, begin, end);
    });
  });
  return out.to(features.device());
}

}  // namespace

void registerRotatedRoiAlignOperator() {
  // CompositeExplicitAutograd, as in Python: one kernel for every backend (it moves inputs to the
  // CPU itself), no autograd (inference only).
  registerOperator(kSchema, torch::dispatch(c10::DispatchKey::CompositeExplicitAutograd, TORCH_FN(rotatedRoiAlign)));
}

}  // namespace lwganet
