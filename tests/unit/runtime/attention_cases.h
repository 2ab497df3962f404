// The prefill attention and indexer cases that the fast paths' tests (tests/unit/runtime) and the
// JIT kernels' tests (tests/unit/codegen) both run against the reference interpreter: a module
// of each op, causal with a cache prefix and without, masked and not, and its random inputs.
#ifndef DSC_TESTS_UNIT_RUNTIME_ATTENTION_CASES_H_
#define DSC_TESTS_UNIT_RUNTIME_ATTENTION_CASES_H_

#include <cstdint>
#include <limits>
#include <random>
#include <vector>

#include "numerics/scalar_formats.h"
#include "runtime/interp/tensor.h"
#include "tests/unit/runtime/test_util.h"

namespace dsc::runtime::testing {

// attention: 3 heads, head dim 19 (fills no vector), value dim 37 (two 16-column tiles and a tail).
inline constexpr int64_t kAttentionHeads = 3, kAttentionQk = 19, kAttentionV = 37;

inline const char* kAttentionModule = R"(module @m {
  func @causal[S, P](%q: f32[S,3,19], %k: f32[P+S,3,19], %v: f32[P+S,3,37], %mask: f32[S,P+S]) -> (f32[S,3,37], f32[S,3,37]) {
    %o = attention %q, %k, %v, %mask {scale = 0.23, causal = true, start = P} : f32[S,3,37]
    %u = attention %q, %k, %v {scale = 0.23, causal = true, start = P} : f32[S,3,37]
    return %o, %u
  }
  func @full[S, T](%q: f32[S,3,19], %k: f32[T,3,19], %v: f32[T,3,37], %mask: f32[S,T]) -> (f32[S,3,37], f32[S,3,37]) {
    %o = attention %q, %k, %v, %mask {scale = 0.41, causal = false} : f32[S,3,37]
    %u = attention %q, %k, %v {scale = 0.41, causal = false} : f32[S,3,37]
    return %o, %u
  }
})";

// q, k, v and a mask for S rows over T keys: a third of the keys dropped (−inf), key i visible to
// row i, and the last row with no key at all (its output is NaN, as the reference makes it).
inline std::vector<Tensor> AttentionInputs(int64_t s, int64_t t, uint32_t seed) {
  constexpr float kNegInf = -std::numeric_limits<float>::infinity();
  auto random = [&](Dims shape, uint32_t sd, float lo, float hi) {
    Tensor x = Tensor::Float(std::move(shape));
    x.f = RandomVector(x.numel(), sd, lo, hi);
    return x;
  };
  std::vector<Tensor> in;
  in.push_back(random({s, kAttentionHeads, kAttentionQk}, seed, -2.0f, 2.0f));
  in.push_back(random({t, kAttentionHeads, kAttentionQk}, seed + 1, -2.0f, 2.0f));
  in.push_back(random({t, kAttentionHeads, kAttentionV}, seed + 2, -3.0f, 3.0f));
  Tensor mask = random({s, t}, seed + 3, -1.0f, 0.5f);
  std::mt19937 rng(seed);
  for (float& m : mask.f) {
    if (rng() % 3 == 0) m = kNegInf;  // keys an indexer dropped
  }
  for (int64_t i = 0; i + 1 < s; ++i) mask.f[i * t + i] = -0.25f;    // key i is visible to row i
  for (int64_t j = 0; j < t; ++j) mask.f[(s - 1) * t + j] = kNegInf;  // a row with no key at all
  in.push_back(mask);
  return in;
}

// indexer_score: 19 heads (two vectors of heads for a decode row, one ragged), head dim 24.
inline constexpr int64_t kIndexerHeads = 19, kIndexerDim = 24;

inline const char* kIndexerModule = R"(module @m {
  func @causal[S, P](%q: f32[S,19,24], %w: f32[S,19], %k: f8e4m3[P+S,24], %ks: f32[P+S,1]) -> (f32[S,P+S]) {
    %y = indexer_score %q, %w, %k, %ks {scale = 0.2041, causal = true, start = P} : f32[S,P+S]
    return %y
  }
  func @full[S, T](%q: f32[S,19,24], %w: f32[S,19], %k: f32[T,24]) -> (f32[S,T]) {
    %y = indexer_score %q, %w, %k {scale = 0.37, causal = false} : f32[S,T]
    return %y
  }
})";

// E4M3 values, as the indexer's quantized q and k are; every 7th one zero (then -0 and exact-0
// dot products occur).
inline Tensor Fp8Values(Dims shape, uint32_t seed, ir::DType dtype) {
  Tensor x = Tensor::Float(std::move(shape), dtype);
  std::mt19937 rng(seed);
  for (size_t i = 0; i < x.f.size(); ++i) {
    const auto code = static_cast<uint8_t>(rng() % 0x7E + (rng() % 2 == 0 ? 0x80 : 0));
    x.f[i] = i % 7 == 0 ? 0.0f : numerics::DecodeE4m3(code);
  }
  return x;
}

// q, w, k (and with FP8 keys their per-key scales) for S rows over T keys.
inline std::vector<Tensor> IndexerInputs(int64_t s, int64_t t, bool fp8_keys, uint32_t seed) {
  std::vector<Tensor> in;
  in.push_back(Fp8Values({s, kIndexerHeads, kIndexerDim}, seed, ir::DType::kF32));
  Tensor w = Tensor::Float({s, kIndexerHeads});
  w.f = RandomVector(w.numel(), seed + 1, -1.5f, 1.5f);
  in.push_back(w);
  in.push_back(Fp8Values({t, kIndexerDim}, seed + 2, fp8_keys ? ir::DType::kF8E4M3 : ir::DType::kF32));
  if (fp8_keys) {
    Tensor ks = Tensor::Float({t, 1});
    ks.f = RandomVector(t, seed + 3, 0.01f, 2.0f);
    in.push_back(ks);
  }
  return in;
}

}  // namespace dsc::runtime::testing

#endif  // DSC_TESTS_UNIT_RUNTIME_ATTENTION_CASES_H_
