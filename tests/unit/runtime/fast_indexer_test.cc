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
#include "tests/unit/runtime/attention_cases.h"
#include "tests/unit/runtime/pool_only.h"
#include "tests/unit/runtime/test_util.h"

namespace dsc::runtime {
namespace {

std::vector<Tensor> Inputs(int64_t s, int64_t t, bool fp8_keys, uint32_t seed) {
  return testing::IndexerInputs(s, t, fp8_keys, seed);
}

TEST(FastIndexerTest, BitIdenticalToTheReference) {
  absl::StatusOr<std::unique_ptr<ir::Module>> module =
      ir::ParseModule(testing::kIndexerModule, "indexer.ir");
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
