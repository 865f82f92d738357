#include "depthwise_conv.h"
#include "operator_registration.h"

#include <ATen/ATen.h>

#include <algorithm>

namespace lwganet {
namespace {

// Word for word as in python/lwganet/formats/depthwise_op.py (SCHEMA), whose docstring states
// the contract: taps (kh, kw, C) are the conv weight (C, 1, kh, kw) with channels innermost.
constexpr const char* kSchema =
    "depthwise_conv2d(Tensor input, Tensor taps, Tensor? bias, int[2] stride, int[2] padding, int[2] dilation) -> Tensor";

struct Geometry {
  int64_t channels, height, width, outHeight, outWidth;
  int64_t kh, kw, sh, sw, ph, pw, dh, dw;
};

// The taps k in [lo, hi) whose input index `start + k * dilation` falls in [0, size): the others
// read zero padding and are skipped instead of tested one by one.
struct TapRange {
  int64_t lo, hi;
};
inline TapRange validTaps(int64_t start, int64_t size, int64_t kernel, int64_t dilation) {
  const int64_t lo = start >= 0 ? 0 : (-start + dilation - 1) / dilation;
  const int64_t last = size - 1 - start;  // largest k * dilation that stays inside
  const int64_t hi = last < 0 ? 0 : std::min(kernel, last / dilation + 1);
  return {lo, std::max(lo, hi)};
}

constexpr int64_t kBlock = 8;  // channels per accumulator: one AVX2 register
typedef float Lanes __attribute__((vector_size(kBlock * sizeof(float))));

// Always inlined into its callers, themselves inlined into each clone below: the ABI of a
// by-value 32-byte vector in the default clone (what -Wpsabi warns about) never matters.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wpsabi"
__attribute__((always_inline)) inline Lanes load(const float* p) {
  Lanes v;
  __builtin_memcpy(&v, p, sizeof v);  // unaligned
  return v;
}

// Channels [from, C) of one output pixel, one at a time: the C mod 8 that fill no vector block.
// Any part of the kernel may fall on padding (skipped).
__attribute__((always_inline)) inline void convolveChannels(const float* image, const float* taps, const float* bias,
                                                            float* y, const Geometry& g, int64_t ih0, TapRange ys,
                                                            int64_t iw0, int64_t from) {
  const int64_t c = g.channels;
  const TapRange xs = validTaps(iw0, g.width, g.kw, g.dw);
  const int64_t firstColumn = iw0 + xs.lo * g.dw;  // of the first tap inside the map (iw0 may be < 0)
  for (int64_t ch = from; ch < c; ++ch) {
    float acc = bias ? bias[ch] : 0.f;
    for (int64_t ky = ys.lo; ky < ys.hi; ++ky) {
      const float* line = image + ((ih0 + ky * g.dh) * g.width + firstColumn) * c + ch;
      const float* tapLine = taps + (ky * g.kw + xs.lo) * c + ch;
      for (int64_t k = 0; k < xs.hi - xs.lo; ++k) acc += line[k * g.dw * c] * tapLine[k * c];
    }
    y[ch] = acc;
  }
}

// One output pixel, all channels: any part of the kernel may fall on padding (skipped).
__attribute__((always_inline)) inline void convolvePixel(const float* image, const float* taps, const float* bias,
                                                         float* y, const Geometry& g, int64_t ih0, TapRange ys,
                                                         int64_t iw0) {
  const int64_t c = g.channels;
  const int64_t fullBlocks = c / kBlock * kBlock;
  const TapRange xs = validTaps(iw0, g.width, g.kw, g.dw);
  const int64_t firstColumn = iw0 + xs.lo * g.dw;  // of the first tap inside the map (iw0 may be < 0)
  for (int64_t c0 = 0; c0 < fullBlocks; c0 += kBlock) {
    Lanes acc = bias ? load(bias + c0) : Lanes{};
    for (int64_t ky = ys.lo; ky < ys.hi; ++ky) {
      const float* line = image + ((ih0 + ky * g.dh) * g.width + firstColumn) * c + c0;
      const float* tapLine = taps + (ky * g.kw + xs.lo) * c + c0;
      for (int64_t k = 0; k < xs.hi - xs.lo; ++k) acc += load(line + k * g.dw * c) * load(tapLine + k * c);
    }
    __builtin_memcpy(y + c0, &acc, sizeof acc);
  }
  convolveChannels(image, taps, bias, y, g, ih0, ys, iw0, fullBlocks);
}

constexpr int64_t kPixels = 4;  // interior pixels computed together: four independent sums

// kPixels neighbouring pixels whose kernel lies inside the map horizontally: every tap is used
// kPixels times per load, and the four accumulators hide the add latency one sum would wait on.
__attribute__((always_inline)) inline void convolveInteriorPixels(const float* image, const float* taps,
                                                                  const float* bias, float* y, const Geometry& g,
                                                                  int64_t ih0, TapRange ys, int64_t iw0) {
  const int64_t c = g.channels;
  const int64_t step = g.sw * c;  // from one output pixel's input to the next one's
  for (int64_t c0 = 0; c0 + kBlock <= c; c0 += kBlock) {
    const Lanes start = bias ? load(bias + c0) : Lanes{};
    Lanes acc0 = start, acc1 = start, acc2 = start, acc3 = start;
    for (int64_t ky = ys.lo; ky < ys.hi; ++ky) {
      const float* line = image + ((ih0 + ky * g.dh) * g.width + iw0) * c + c0;
      const float* tapLine = taps + ky * g.kw * c + c0;
      for (int64_t kx = 0; kx < g.kw; ++kx) {
        const Lanes t = load(tapLine + kx * c);
        const float* x = line + kx * g.dw * c;
        acc0 += load(x) * t;
        acc1 += load(x + step) * t;
        acc2 += load(x + 2 * step) * t;
        acc3 += load(x + 3 * step) * t;
      }
    }
    __builtin_memcpy(y + c0, &acc0, sizeof acc0);
    __builtin_memcpy(y + c + c0, &acc1, sizeof acc1);
    __builtin_memcpy(y + 2 * c + c0, &acc2, sizeof acc2);
    __builtin_memcpy(y + 3 * c + c0, &acc3, sizeof acc3);
  }
  const int64_t fullBlocks = c / kBlock * kBlock;
  if (fullBlocks == c) return;
  for (int64_t p = 0; p < kPixels; ++p)
    convolveChannels(image, taps, bias, y + p * c, g, ih0, ys, iw0 + p * g.sw, fullBlocks);
}

// Output rows [begin, end) of the flattened (N × outHeight) map, every pixel and channel.
__attribute__((always_inline)) inline void convolveRows(const float* in, const float* taps, const float* bias,
                                                        float* out, const Geometry& g, int64_t begin, int64_t end) {
  const int64_t c = g.channels;
  // Output columns [first, last) read no horizontal padding.
  const int64_t first = std::min(g.outWidth, (g.pw + g.sw - 1) / g.sw);
  const int64_t reach = g.width - 1 + g.pw - (g.kw - 1) * g.dw;
  const int64_t last = std::max(first, std::min(g.outWidth, reach < 0 ? 0 : reach / g.sw + 1));
  for (int64_t row = begin; row < end; ++row) {
    const int64_t n = row / g.outHeight, oh = row % g.outHeight;
    const int64_t ih0 = oh * g.sh - g.ph;
    const TapRange ys = validTaps(ih0, g.height, g.kh, g.dh);
    const float* image = in + n * g.height * g.width * c;
    float* y = out + row * g.outWidth * c;
    int64_t ow = 0;
    for (; ow < first; ++ow) convolvePixel(image, taps, bias, y + ow * c, g, ih0, ys, ow * g.sw - g.pw);
    for (; ow + kPixels <= last; ow += kPixels)
      convolveInteriorPixels(image, taps, bias, y + ow * c, g, ih0, ys, ow * g.sw - g.pw);
    for (; ow < g.outWidth; ++ow) convolvePixel(image, taps, bias, y + ow * c, g, ih0, ys, ow * g.sw - g.pw);
  }
}

__attribute__((target_clones("arch=x86-64-v3", "default")))
void convolveRowsFloat(const float* in, const float* taps, const float* bias, float* out, const Geometry& g,
                       int64_t begin, int64_t end) {
  convolveRows(in, taps, bias, out, g, begin, end);
}
#pragma GCC diagnostic pop

int64_t outSize(int64_t size, int64_t kernel, int64_t stride, int64_t padding, int64_t dilation) {
  return (size + 2 * padding - dilation * (kernel - 1) - 1) / stride + 1;
}

// The reference, for what the kernel does not cover (other dtypes or devices): the same
// convolution through ATen with the weight rebuilt from the taps.
at::Tensor referenceConv(const at::Tensor& input, const at::Tensor& taps, const std::optional<at::Tensor>& bias,
                         at::IntArrayRef stride, at::IntArrayRef padding, at::IntArrayRef dilation) {
  const at::Tensor weight = taps.permute({2, 0, 1}).unsqueeze(1);
  return at::conv2d(input, weight.to(input.dtype()), bias, stride, padding, dilation, input.size(1));
}

at::Tensor depthwiseConv2d(const at::Tensor& input, const at::Tensor& taps, const std::optional<at::Tensor>& bias,
                           at::IntArrayRef stride, at::IntArrayRef padding, at::IntArrayRef dilation) {
  TORCH_CHECK(input.dim() == 4, "depthwise_conv2d: input must be (N, C, H, W), got ", input.sizes());
  TORCH_CHECK(taps.dim() == 3 && taps.size(2) == input.size(1),
              "depthwise_conv2d: taps must be (kh, kw, C) with C = ", input.size(1), ", got ", taps.sizes());
  TORCH_CHECK(stride.size() == 2 && padding.size() == 2 && dilation.size() == 2,
              "depthwise_conv2d: stride, padding and dilation take two values each");
  TORCH_CHECK(stride[0] >= 1 && stride[1] >= 1 && dilation[0] >= 1 && dilation[1] >= 1 && padding[0] >= 0 &&
                  padding[1] >= 0,
              "depthwise_conv2d: stride and dilation must be >= 1 and padding >= 0");
  if (bias.has_value() && bias->defined())
    TORCH_CHECK(bias->dim() == 1 && bias->size(0) == input.size(1), "depthwise_conv2d: bias must be (C,), got ",
                bias->sizes());
  const bool native = input.device().is_cpu() && input.scalar_type() == at::kFloat &&
                      taps.scalar_type() == at::kFloat && taps.device().is_cpu() &&
                      (!bias.has_value() || !bias->defined() || (bias->scalar_type() == at::kFloat && bias->device().is_cpu()));
  if (!native) return referenceConv(input, taps, bias, stride, padding, dilation);

  const Geometry g{input.size(1), input.size(2), input.size(3),
                   outSize(input.size(2), taps.size(0), stride[0], padding[0], dilation[0]),
                   outSize(input.size(3), taps.size(1), stride[1], padding[1], dilation[1]),
                   taps.size(0), taps.size(1), stride[0], stride[1], padding[0], padding[1], dilation[0], dilation[1]};
  TORCH_CHECK(g.outHeight > 0 && g.outWidth > 0, "depthwise_conv2d: the kernel does not fit the padded ",
              g.height, "x", g.width, " map");
  const int64_t batch = input.size(0);
  at::Tensor out = at::empty({batch, g.channels, g.outHeight, g.outWidth},
                             input.options().memory_format(at::MemoryFormat::ChannelsLast));
  if (out.numel() == 0) return out;
  const at::Tensor x = input.contiguous(at::MemoryFormat::ChannelsLast);
  const at::Tensor t = taps.contiguous();
  const at::Tensor b = bias.has_value() && bias->defined() ? bias->contiguous() : at::Tensor();
  const float* biasData = b.defined() ? b.data_ptr<float>() : nullptr;
  // On the calling thread: the operator is for small maps, where waking a thread pool costs
  // more than the work (the exporter gives it convolutions of at most a few 100 k multiply-adds).
  convolveRowsFloat(x.data_ptr<float>(), t.data_ptr<float>(), biasData, out.data_ptr<float>(), g, 0,
                    batch * g.outHeight);
  return out;
}

}  // namespace

void registerDepthwiseConvOperator() {
  registerOperator(kSchema, torch::dispatch(c10::DispatchKey::CompositeExplicitAutograd, TORCH_FN(depthwiseConv2d)));
}

}  // namespace lwganet
