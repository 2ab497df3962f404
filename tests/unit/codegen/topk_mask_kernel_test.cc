// The JIT's top-k mask kernel (codegen/emit_topk_mask.cc) must choose the reference's set
// (ref::TopkMask) on every ISA path: ragged row lengths and every kind of k (0, 1, inside,
// n − 1, n, beyond n), rows full of ties (−0 and +0 among them), rows whose keys agree in their
// first bytes (every radix pass decides), and prefill rows whose future keys are −inf.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

#include "codegen/jit.h"
#include "codegen/linear_kernels.h"
#include "gtest/gtest.h"
#include "runtime/interp/kernels_indexer.h"
#include "tests/unit/codegen/linear_test_util.h"

namespace dsc::codegen {
namespace {

constexpr float kNegInf = -std::numeric_limits<float>::infinity();

enum class Scores { kSpread, kFewValues, kCloseTogether };

// `rows` rows of n scores of the given kind.
std::vector<float> MakeScores(Scores kind, int64_t rows, int64_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<float> v(rows * n);
  const float few[] = {-1.5f, -0.0f, 0.0f, 0.25f, 3.0f};
  for (float& x : v) {
    switch (kind) {
      case Scores::kSpread:
        x = std::uniform_real_distribution<float>(-50.0f, 50.0f)(rng);
        break;
      case Scores::kFewValues:  // most scores tie with many others
        x = few[rng() % 5];
        break;
      case Scores::kCloseTogether:  // 1 + a few ulps: only the last radix byte tells them apart
        x = std::nextafter(1.0f, 2.0f);
        for (uint32_t step = rng() % 40; step > 0; --step) x = std::nextafter(x, 2.0f);
        break;
    }
  }
  return v;
}

class TopkMaskKernelTest : public testing::JitTargetTest {
 protected:
  void SetUp() override {
    testing::JitTargetTest::SetUp();
    fn_ = testing::CompileArgumentSizedKernel<dsc_topk_mask_fn>(*jit_, LinearKernelKind::kTopkMask,
                                                                DSC_KERNEL_TOPK_MASK);
    ASSERT_NE(fn_, nullptr);
  }

  // Runs the kernel on `scores` (rows of n) and compares with the reference bit for bit; the
  // element after the output must keep its sentinel.
  void RunAndCheck(const std::vector<float>& scores, int64_t n, int64_t k) {
    const int64_t rows = static_cast<int64_t>(scores.size()) / n;
    std::vector<float> y(rows * n + 1, testing::kSentinel);
    const dsc_topk_mask_args args = {scores.data(), y.data(), rows, n, k};
    fn_(&args);
    std::vector<float> ref(rows * n);
    runtime::ref::TopkMask(scores.data(), rows, n, k, ref.data());
    int64_t kept = 0;
    for (int64_t i = 0; i < rows * n; ++i) {
      ASSERT_EQ(std::memcmp(&y[i], &ref[i], sizeof(float)), 0)
          << "row " << i / n << ", position " << i % n << ": " << y[i] << " vs " << ref[i];
      kept += y[i] == 0.0f;
    }
    EXPECT_EQ(kept, rows * std::clamp<int64_t>(k, 0, n));
    EXPECT_EQ(y[rows * n], testing::kSentinel);
  }

  dsc_topk_mask_fn fn_ = nullptr;
};

TEST_P(TopkMaskKernelTest, RaggedRowsAndEveryKindOfK) {
  uint32_t seed = 41;
  for (int64_t n : {1, 2, 3, 7, 16, 100, 257, 1000, 2048 + 13}) {
    for (Scores kind : {Scores::kSpread, Scores::kFewValues, Scores::kCloseTogether}) {
      const std::vector<float> scores = MakeScores(kind, 3, n, seed);
      seed += 7;
      for (int64_t k : {int64_t{0}, int64_t{1}, n / 3 + 1, n - 1, n, n + 5}) {
        SCOPED_TRACE(::testing::Message()
                     << "n " << n << ", k " << k << ", kind " << static_cast<int>(kind));
        RunAndCheck(scores, n, k);
      }
    }
  }
}

TEST_P(TopkMaskKernelTest, FutureKeysAreMinusInfinityAndTakenByPositionWhenTooFewAreFinite) {
  // Prefill rows: row i sees keys 0..start + i; later keys are −inf (indexer_score's causal
  // mask). With k above the finite count, the lowest −inf positions fill the set.
  const int64_t rows = 9, n = 301, start = 120;
  std::vector<float> scores = MakeScores(Scores::kSpread, rows, n, 5);
  for (int64_t i = 0; i < rows; ++i) {
    for (int64_t t = start + i * 20 + 1; t < n; ++t) scores[i * n + t] = kNegInf;
  }
  for (int64_t k : {64, 150, 250}) {
    SCOPED_TRACE(::testing::Message() << "k " << k);
    RunAndCheck(scores, n, k);
  }
}

TEST_P(TopkMaskKernelTest, NegativeZeroTiesWithPositiveZero) {
  // Positions 0..5: −0, +0, −0, +0, −1, −0. The 3 largest by (score, then position) are the
  // zeros at positions 0, 1 and 2, whatever their signs.
  const std::vector<float> scores = {-0.0f, 0.0f, -0.0f, 0.0f, -1.0f, -0.0f};
  std::vector<float> y(6);
  const dsc_topk_mask_args args = {scores.data(), y.data(), 1, 6, 3};
  fn_(&args);
  EXPECT_EQ(y, (std::vector<float>{0.0f, 0.0f, 0.0f, kNegInf, kNegInf, kNegInf}));
  RunAndCheck(scores, 6, 3);
}

TEST(TopkMaskKernelSpecTest, ShapesAreArgumentsAndThereAreNoKnobs) {
  LinearKernelSpec spec;
  spec.kind = LinearKernelKind::kTopkMask;
  spec.n = spec.k = 1;
  EXPECT_TRUE(ValidateSpec(spec).ok());
  EXPECT_EQ(spec.Name(), "dsc_topk_mask");
  spec.n = spec.k = 2048;
  EXPECT_FALSE(ValidateSpec(spec).ok());
  spec.n = spec.k = 1;
  spec.m = 2;
  EXPECT_FALSE(ValidateSpec(spec).ok());
}

INSTANTIATE_TEST_SUITE_P(Isa, TopkMaskKernelTest, ::testing::Values("host", "x86-64-v3", "x86-64"),
                         testing::IsaParamName);

}  // namespace
}  // namespace dsc::codegen
