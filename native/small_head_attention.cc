#include "small_head_attention.h"
#include "operator_registration.h"

#include <ATen/ATen.h>
#include <ATen/Parallel.h>

#include <algorithm>
#include <limits>
#include <vector>

namespace lwganet {
namespace {

// Word for word as in python/lwganet/formats/attention_op.py (SCHEMA), whose docstring states the
// contract: query (B, H, Nq, D), key and value (B, H, Nk, D), any strides; the result is
// (B, H, Nq, D) laid out as (B, Nq, H, D), as ATen's CPU attention lays it out.
constexpr const char* kSchema = "attention(Tensor query, Tensor key, Tensor value, float scale) -> Tensor";

constexpr int64_t kLanes = 8;  // keys per vector: one AVX2 register
constexpr int64_t kStep = 2 * kLanes;  // keys per loop iteration: two independent vectors
constexpr int64_t kQueryBlock = 64;  // queries per work item (items are spread over threads)
typedef float Lanes __attribute__((vector_size(kLanes * sizeof(float))));
typedef int32_t Ints __attribute__((vector_size(kLanes * sizeof(int32_t))));

struct View {  // a (B, H, N, D) float tensor: data and element strides
  const float* data;
  int64_t b, h, n, d;
};

struct Problem {
  View q, k, v;
  int64_t heads, queries, keys;
  float scale;
  float* out;  // (B, Nq, H, D) contiguous
};

// Always inlined into the clones below: the ABI of a by-value 32-byte vector in the default
// clone (what -Wpsabi warns about, at the end of the file: so for the whole file) never matters.
#pragma GCC diagnostic ignored "-Wpsabi"
__attribute__((always_inline)) inline Lanes splat(float x) { return Lanes{} + x; }

__attribute__((always_inline)) inline Lanes load(const float* p) {
  Lanes v;
  __builtin_memcpy(&v, p, sizeof v);
  return v;
}

__attribute__((always_inline)) inline void store(float* p, const Lanes& v) { __builtin_memcpy(p, &v, sizeof v); }

__attribute__((always_inline)) inline Lanes maxOf(const Lanes& a, const Lanes& b) { return a > b ? a : b; }

__attribute__((always_inline)) inline float sumOf(const Lanes& v) {
  float s = 0.f;
  for (int64_t i = 0; i < kLanes; ++i) s += v[i];
  return s;
}

// e^x for x ≤ 0 (a score minus its row's maximum): x = n ln2 + r with |r| ≤ ln2/2, e^r by
// Cephes' single-precision polynomial (relative error ~1e-7), 2^n written into the exponent
// bits. Below -87, where e^x leaves the normal floats, x is clamped: e^-87 ≈ 1.6e-38 next to the
// row maximum's e^0 = 1 changes no finite sum. NaN stays NaN (a NaN input, or an infinite score
// minus an infinite maximum), so such a row's output is NaN, as ATen's.
__attribute__((always_inline)) inline Lanes expNonPositive(const Lanes& score) {
  const Lanes floor = splat(-87.f);
  const Lanes x = score < floor ? floor : score;  // false for NaN: kept
  // Adding 1.5·2^23 rounds x·log2(e) to an integer n, held in the low mantissa bits of t.
  const Lanes magic = splat(12582912.f);
  const Lanes t = x * splat(1.44269504088896341f) + magic;
  const Lanes n = t - magic;
  const Lanes r = (x - n * splat(0.693359375f)) - n * splat(-2.12194440e-4f);
  Lanes p = splat(1.9875691500e-4f);
  p = p * r + splat(1.3981999507e-3f);
  p = p * r + splat(8.3334519073e-3f);
  p = p * r + splat(4.1665795894e-2f);
  p = p * r + splat(1.6666665459e-1f);
  p = p * r + splat(5.0000001201e-1f);
  p = p * (r * r) + r + splat(1.f);
  const Ints exponent = ((Ints)t - 0x4B400000 + 127) << 23;  // 2^n
  return p * (Lanes)exponent;
}

// Work items [begin, end): item = (batch · heads + head) · query blocks + block. Each item packs
// its head's keys and values transposed (D rows of `padded` keys, zero past the last key) unless
// the previous item of the range had the same head, then for each query: every score into `row`
// (one pass, kept in L1), the row maximum, then one pass of exponentials, their sum and the
// weighted sum of the values.
template <int D>
__attribute__((always_inline)) inline void attendItems(const Problem& p, int64_t begin, int64_t end) {
  const int64_t padded = (p.keys + kStep - 1) / kStep * kStep;
  const int64_t blocks = (p.queries + kQueryBlock - 1) / kQueryBlock;
  std::vector<float> buffer(static_cast<size_t>((2 * D + 1) * padded), 0.f);
  float* keysT = buffer.data();
  float* valuesT = keysT + D * padded;
  float* row = valuesT + D * padded;
  int64_t packed = -1;  // batch · heads + head of the keys and values in the buffer
  constexpr float kMinusInfinity = -std::numeric_limits<float>::infinity();
  const int64_t lastFull = p.keys / kStep * kStep;  // scores [0, lastFull) are all real keys
  for (int64_t item = begin; item < end; ++item) {
    const int64_t bh = item / blocks, block = item % blocks;
    const int64_t b = bh / p.heads, h = bh % p.heads;
    if (bh != packed) {
      const float* k = p.k.data + b * p.k.b + h * p.k.h;
      const float* v = p.v.data + b * p.v.b + h * p.v.h;
      for (int64_t j = 0; j < p.keys; ++j)
        for (int64_t d = 0; d < D; ++d) {
          keysT[d * padded + j] = k[j * p.k.n + d * p.k.d];
          valuesT[d * padded + j] = v[j * p.v.n + d * p.v.d];
        }
      packed = bh;
    }
    const int64_t firstQuery = block * kQueryBlock;
    const int64_t lastQuery = std::min(p.queries, firstQuery + kQueryBlock);
    for (int64_t i = firstQuery; i < lastQuery; ++i) {
      const float* query = p.q.data + b * p.q.b + h * p.q.h + i * p.q.n;
      Lanes q[D];
      for (int d = 0; d < D; ++d) q[d] = splat(query[d * p.q.d] * p.scale);
      Lanes max0 = splat(kMinusInfinity), max1 = max0;
      for (int64_t j = 0; j < padded; j += kStep) {
        Lanes s0 = q[0] * load(keysT + j), s1 = q[0] * load(keysT + j + kLanes);
        for (int d = 1; d < D; ++d) {
          s0 += q[d] * load(keysT + d * padded + j);
          s1 += q[d] * load(keysT + d * padded + j + kLanes);
        }
        store(row + j, s0);
        store(row + j + kLanes, s1);
        if (j < lastFull) {
          max0 = maxOf(max0, s0);
          max1 = maxOf(max1, s1);
        }
      }
      if (lastFull < padded) {  // the last block holds padding keys: they score -inf
        for (int64_t j = p.keys; j < padded; ++j) row[j] = kMinusInfinity;
        max0 = maxOf(max0, load(row + lastFull));
        max1 = maxOf(max1, load(row + lastFull + kLanes));
      }
      const Lanes both = maxOf(max0, max1);
      float rowMax = both[0];
      for (int64_t l = 1; l < kLanes; ++l) rowMax = std::max(rowMax, both[l]);
      const Lanes m = splat(rowMax);
      Lanes sum0{}, sum1{}, acc0[D], acc1[D];
      for (int d = 0; d < D; ++d) acc0[d] = acc1[d] = Lanes{};
      for (int64_t j = 0; j < padded; j += kStep) {
        const Lanes e0 = expNonPositive(load(row + j) - m);
        const Lanes e1 = expNonPositive(load(row + j + kLanes) - m);
        sum0 += e0;
        sum1 += e1;
        for (int d = 0; d < D; ++d) {
          acc0[d] += e0 * load(valuesT + d * padded + j);
          acc1[d] += e1 * load(valuesT + d * padded + j + kLanes);
        }
      }
      const float inverse = 1.f / sumOf(sum0 + sum1);
      float* out = p.out + ((b * p.queries + i) * p.heads + h) * D;
      for (int d = 0; d < D; ++d) out[d] = sumOf(acc0[d] + acc1[d]) * inverse;
    }
  }
}

__attribute__((target_clones("arch=x86-64-v3", "default")))
void attendItems4(const Problem& p, int64_t begin, int64_t end) {
  attendItems<4>(p, begin, end);
}

__attribute__((target_clones("arch=x86-64-v3", "default")))
void attendItems8(const Problem& p, int64_t begin, int64_t end) {
  attendItems<8>(p, begin, end);
}

View viewOf(const at::Tensor& t) { return {t.data_ptr<float>(), t.stride(0), t.stride(1), t.stride(2), t.stride(3)}; }

// (B, H, Nq, D) with the memory of a contiguous (B, Nq, H, D) tensor.
at::Tensor emptyResult(const at::Tensor& query) {
  return at::empty({query.size(0), query.size(2), query.size(1), query.size(3)}, query.options()).transpose(1, 2);
}

at::Tensor attention(const at::Tensor& query, const at::Tensor& key, const at::Tensor& value, double scale) {
  TORCH_CHECK(query.dim() == 4 && key.dim() == 4 && value.dim() == 4,
              "attention: query, key and value must be (B, H, N, D), got ", query.sizes(), ", ", key.sizes(), ", ",
              value.sizes());
  TORCH_CHECK(key.sizes() == value.sizes(), "attention: key and value must have one shape, got ", key.sizes(),
              " and ", value.sizes());
  TORCH_CHECK(query.size(0) == key.size(0) && query.size(1) == key.size(1) && query.size(3) == key.size(3),
              "attention: query ", query.sizes(), " and key ", key.sizes(), " must share B, H and D");
  TORCH_CHECK(key.size(2) > 0 || query.size(2) == 0, "attention: no keys to attend to");
  const int64_t dim = query.size(3);
  const bool native = (dim == 4 || dim == 8) && query.device().is_cpu() && key.device().is_cpu() &&
                      value.device().is_cpu() && query.scalar_type() == at::kFloat &&
                      key.scalar_type() == at::kFloat && value.scalar_type() == at::kFloat;
  at::Tensor out = emptyResult(query);
  if (!native) {  // other head sizes, dtypes and devices: ATen's attention, in the same layout
    out.copy_(at::scaled_dot_product_attention(query, key, value, {}, 0.0, false, scale));
    return out;
  }
  if (out.numel() == 0) return out;
  const Problem problem{viewOf(query), viewOf(key),   viewOf(value), query.size(1), query.size(2), key.size(2),
                        static_cast<float>(scale), out.data_ptr<float>()};
  const int64_t blocks = (problem.queries + kQueryBlock - 1) / kQueryBlock;
  const int64_t items = query.size(0) * problem.heads * blocks;
  // At least ~64 k scores per thread: below that, waking a second thread costs more than it saves.
  const int64_t grain = std::max<int64_t>(1, 65536 / (std::min(kQueryBlock, problem.queries) * problem.keys));
  at::parallel_for(0, items, grain, [&](int64_t begin, int64_t end) {
    if (dim == 4)
      attendItems4(problem, begin, end);
    else
      attendItems8(problem, begin, end);
  });
  return out;
}

}  // namespace

void registerSmallHeadAttentionOperator() {
  registerOperator(kSchema, torch::dispatch(c10::DispatchKey::CompositeExplicitAutograd, TORCH_FN(attention)));
}

}  // namespace lwganet
