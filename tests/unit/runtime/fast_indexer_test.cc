// indexer_score on a fast engine (eval_indexer_fast.cc: 16-row blocks, one vector lane per query
// row, split over the pool's threads) against the reference, bit for bit: ragged sizes, causal
// with a cache prefix (start = P) and without, FP8 keys with per-key scales and float keys
// without, scores that are exactly zero after the ReLU, and negative zeros.
#include <cstring>
#include <memory>
#include <random>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "ir/parser.h"
#include "numerics/scalar_formats.h"
#include "runtime/interp/interpreter.h"
#include "tests/unit/runtime/pool_only.h"
#include "tests/unit/runtime/test_util.h"

namespace dsc::runtime {
namespace {

constexpr int64_t kHeads = 19, kDim = 24;  // two vectors of heads for a decode row, one ragged

const char* kModule = R"(module @m {
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
Tensor Fp8Values(runtime::Dims shape, uint32_t seed, ir::DType dtype) {
  Tensor x = Tensor::Float(std::move(shape), dtype);
  std::mt19937 rng(seed);
  for (size_t i = 0; i < x.f.size(); ++i) {
    const auto code = static_cast<uint8_t>(rng() % 0x7E + (rng() % 2 == 0 ? 0x80 : 0));
    x.f[i] = i % 7 == 0 ? 0.0f : numerics::DecodeE4m3(code);
  }
  return x;
}

std::vector<Tensor> Inputs(int64_t s, int64_t t, bool fp8_keys, uint32_t seed) {
  std::vector<Tensor> in;
  in.push_back(Fp8Values({s, kHeads, kDim}, seed, ir::DType::kF32));
  Tensor w = Tensor::Float({s, kHeads});
  w.f = testing::RandomVector(w.numel(), seed + 1, -1.5f, 1.5f);
  in.push_back(w);
  in.push_back(Fp8Values({t, kDim}, seed + 2, fp8_keys ? ir::DType::kF8E4M3 : ir::DType::kF32));
  if (fp8_keys) {
    Tensor ks = Tensor::Float({t, 1});
    ks.f = testing::RandomVector(t, seed + 3, 0.01f, 2.0f);
    in.push_back(ks);
  }
  return in;
}

TEST(FastIndexerTest, BitIdenticalToTheReference) {
  absl::StatusOr<std::unique_ptr<ir::Module>> module = ir::ParseModule(kModule, "indexer.ir");
  ASSERT_TRUE(module.ok()) << module.status();
  auto no_constants = [](const ir::TensorRef&) -> absl::StatusOr<const uint8_t*> { return nullptr; };
  Interpreter reference(**module, no_constants), fast(**module, no_constants);
  testing::PoolOnly threads;
  fast.set_fast_linear(&threads);
  for (auto [s, p] : std::vector<std::pair<int64_t, int64_t>>{{1, 0}, {1, 40}, {1, 2400}, {2, 0}, {3, 11}, {16, 0}, {17, 4}, {45, 0}, {33, 29}}) {
    SCOPED_TRACE(absl::StrCat("S=", s, " P=", p));
    const uint32_t seed = static_cast<uint32_t>(100 * s + p);
    for (bool causal : {true, false}) {
      SCOPED_TRACE(causal ? "causal" : "full");
      const int64_t t = causal ? p + s : p + 2 * s + 3;
      ir::SymbolBindings symbols = causal ? ir::SymbolBindings{{"S", s}, {"P", p}} : ir::SymbolBindings{{"S", s}, {"T", t}};
      const char* func = causal ? "causal" : "full";
      std::unique_ptr<SequenceState> s1 = reference.NewSequence(), s2 = fast.NewSequence();
      absl::StatusOr<std::vector<Tensor>> want = reference.Run(func, symbols, Inputs(s, t, causal, seed), s1.get());
      absl::StatusOr<std::vector<Tensor>> got = fast.Run(func, symbols, Inputs(s, t, causal, seed), s2.get());
      ASSERT_TRUE(want.ok()) << want.status();
      ASSERT_TRUE(got.ok()) << got.status();
      const Tensor& y = (*got)[0];
      const Tensor& x = (*want)[0];
      ASSERT_EQ(y.shape, x.shape);
      EXPECT_EQ(std::memcmp(y.f.data(), x.f.data(), x.f.size() * sizeof(float)), 0);
      int positive = 0;
      for (float v : x.f) positive += v > 0.0f;
      EXPECT_GE(positive, static_cast<int>(s / 2 + 1));  // real scores, not zeros
      if (s == 1) {
        EXPECT_GE(positive, static_cast<int>(t / 4));
      }
    }
  }
}

}  // namespace
}  // namespace dsc::runtime
