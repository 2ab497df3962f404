// Tests NVFP4 packing, dequantization and both quantizers: the worked example of formats.md §6,
// independent formulas, per-element error bounds, and the error of each recipe against the
// best block scales any NVFP4 encoding with the same global scale can have.
#include "numerics/nvfp4.h"

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <random>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace dsc::numerics {
namespace {

using ::testing::ElementsAreArray;

constexpr float kWorkedBlock[16] = {0.9f, -0.45f, 0.05f, 0.3f,  -0.9f, 0.62f,  0.0f,   -0.1f,
                                    0.2f, 0.7f,   -0.33f, 0.18f, 0.01f, -0.75f, 0.5f,   0.4f};

TEST(Nvfp4Test, WorkedExampleOfTheSpec) {
  const float s2 = 2.688f / 2688.0f;
  EXPECT_EQ(Nvfp4ReferenceBlockScaleCode(0.9f, s2), 0x71);  // s = 150 → 144
  uint8_t codes[16];
  QuantizeNvfp4BlockWithScale(kWorkedBlock, 0x71, s2, codes);
  EXPECT_THAT(codes, ElementsAreArray({0x7, 0xD, 0x1, 0x4, 0xF, 0x6, 0x0, 0x9, 0x3, 0x6, 0xC, 0x3,
                                       0x0, 0xF, 0x5, 0x5}));

  // The same block inside a tensor whose amax is 2.688, so the global scale is s2.
  std::vector<float> w(32, 0.25f);
  std::copy(kWorkedBlock, kWorkedBlock + 16, w.begin());
  w[20] = -2.688f;
  auto quantized = QuantizeNvfp4(w.data(), 1, 32, {.recipe = Nvfp4Recipe::kReference});
  ASSERT_TRUE(quantized.ok()) << quantized.status();
  EXPECT_EQ(quantized->global_scale, s2);
  EXPECT_THAT(std::vector<uint8_t>(quantized->packed.begin(), quantized->packed.begin() + 8),
              ElementsAreArray({0xD7, 0x41, 0x6F, 0x90, 0x63, 0x3C, 0xF0, 0x55}));
  EXPECT_EQ(quantized->block_scales[0], 0x71);
  EXPECT_EQ(quantized->block_scales[1], 0x7E);  // the block holding the tensor amax → 448

  auto dequantized = DequantizeNvfp4(*quantized);
  ASSERT_TRUE(dequantized.ok());
  const float expected[16] = {0.864f, -0.432f, 0.072f, 0.288f, -0.864f, 0.576f, 0.0f,   -0.072f,
                              0.216f, 0.576f,  -0.288f, 0.216f, 0.0f,   -0.864f, 0.432f, 0.432f};
  for (int j = 0; j < 16; ++j) EXPECT_NEAR((*dequantized)[j], expected[j], 1e-6) << j;
  EXPECT_FLOAT_EQ((*dequantized)[20], -2.688f);  // 6 · 448 · s2
}

TEST(Nvfp4Test, LowNibbleHoldsTheEvenColumn) {
  const uint8_t row[2] = {0x3A, 0x7F};
  EXPECT_EQ(Nvfp4Code(row, 0), 0xA);
  EXPECT_EQ(Nvfp4Code(row, 1), 0x3);
  EXPECT_EQ(Nvfp4Code(row, 2), 0xF);
  EXPECT_EQ(Nvfp4Code(row, 3), 0x7);
}

// Ragged weights whose rows span five orders of magnitude, never zero.
std::vector<float> RaggedWeights(int64_t rows, int64_t cols, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> w(rows * cols);
  for (int64_t r = 0; r < rows; ++r) {
    const float row_scale = std::pow(10.0f, -3.0f + 5.0f * r / std::max<int64_t>(rows - 1, 1));
    for (int64_t c = 0; c < cols; ++c) w[r * cols + c] = normal(rng) * row_scale + 1e-7f;
  }
  return w;
}

TEST(Nvfp4Test, DequantizeMatchesAnIndependentFormula) {
  const int64_t rows = 7, cols = 48;
  std::mt19937 rng(5);
  std::vector<uint8_t> packed(rows * cols / 2), scales(rows * cols / 16);
  for (auto& b : packed) b = static_cast<uint8_t>(rng());
  for (auto& s : scales) s = static_cast<uint8_t>(rng() % 0x7F);  // positive, finite
  const float s2 = 0.0123f;
  std::vector<float> out(rows * cols);
  ASSERT_TRUE(DequantizeNvfp4(packed.data(), scales.data(), s2, rows, cols, out.data()).ok());
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t c = 0; c < cols; ++c) {
      const int code = (packed[r * cols / 2 + c / 2] >> (c % 2 == 0 ? 0 : 4)) & 0xF;
      const double magnitude[8] = {0, 0.5, 1, 1.5, 2, 3, 4, 6};
      const double e2m1 = (code & 8 ? -1 : 1) * magnitude[code & 7];
      const int sc = scales[r * cols / 16 + c / 16];
      const double e4m3 = (sc >> 3) == 0 ? (sc & 7) / 512.0
                                        : (1 + (sc & 7) / 8.0) * std::ldexp(1.0, (sc >> 3) - 7);
      // e2m1·e4m3 is exact, so the float32 result is the product rounded once.
      EXPECT_EQ(out[r * cols + c], static_cast<float>(e2m1 * e4m3 * static_cast<double>(s2)))
          << r << "," << c;
    }
  }
}

TEST(Nvfp4Test, RejectsBadShapesAndNonFiniteInput) {
  std::vector<float> w(7 * 40, 1.0f);
  EXPECT_FALSE(QuantizeNvfp4(w.data(), 7, 40).ok());
  EXPECT_FALSE(QuantizeNvfp4(w.data(), -1, 32).ok());
  w[3] = NAN;
  EXPECT_FALSE(QuantizeNvfp4(w.data(), 1, 32).ok());
  float out[40];
  uint8_t bytes[20] = {}, scales[3] = {};
  EXPECT_FALSE(DequantizeNvfp4(bytes, scales, 1.0f, 1, 40, out).ok());
  Nvfp4Weights wrong{.rows = 2, .cols = 32, .packed = std::vector<uint8_t>(16),
                     .block_scales = std::vector<uint8_t>(4), .global_scale = 1.0f};
  EXPECT_FALSE(DequantizeNvfp4(wrong).ok());
}

// (The scale search may pick a smaller scale and clip a block's largest element on purpose, so
// this per-element bound is a property of the reference recipe only.)
TEST(Nvfp4Test, ReferenceRoundTripErrorIsWithinHalfAStepOfItsBlock) {
  const int64_t rows = 7, cols = 48;
  const std::vector<float> w = RaggedWeights(rows, cols, 11);
  {
    auto q = QuantizeNvfp4(w.data(), rows, cols, {.recipe = Nvfp4Recipe::kReference});
    ASSERT_TRUE(q.ok());
    auto dq = DequantizeNvfp4(*q);
    ASSERT_TRUE(dq.ok());
    int checked = 0;
    for (int64_t i = 0; i < rows * cols; ++i) {
      const uint8_t scale_code = q->block_scales[i / 16];
      const float step = DecodeE4m3(scale_code) * q->global_scale;
      EXPECT_EQ(std::signbit((*dq)[i]) || (*dq)[i] == 0, std::signbit(w[i]) || (*dq)[i] == 0);
      // Subnormal E4M3 scales (rows far below the tensor amax) round coarsely, so saturation
      // is unbounded in steps there.
      if (scale_code < 0x08) continue;
      // Largest E2M1 gap is 2 → half a gap is 1 step; saturation above 6 costs < 0.5 step
      // because a normal E4M3 scale is within 2^-4 of the exact one.
      EXPECT_LE(std::fabs(w[i] - (*dq)[i]), 1.0f * step * 1.0001f) << i;
      ++checked;
    }
    EXPECT_GT(checked, rows * cols / 2);
  }
}

double RelativeRmsError(const std::vector<float>& w, const std::vector<float>& dq) {
  double error = 0, norm = 0;
  for (size_t i = 0; i < w.size(); ++i) {
    error += (static_cast<double>(w[i]) - dq[i]) * (static_cast<double>(w[i]) - dq[i]);
    norm += static_cast<double>(w[i]) * w[i];
  }
  return std::sqrt(error / norm);
}

// The best any NVFP4 encoding with global scale s2 can do, computed independently of the
// library: for every block, all 126 positive finite E4M3 scales, and for every element the
// nearest of the 16 E2M1 values (dequantized in float32 like the format) — so neither the
// scale nor any code is constrained by the quantizer's rounding rules.
double OptimalRelativeRmsError(const std::vector<float>& w, float s2) {
  double error = 0, norm = 0;
  for (size_t block = 0; block < w.size() / 16; ++block) {
    double best = INFINITY;
    for (int scale_code = 1; scale_code <= 0x7E; ++scale_code) {
      const float scale = DecodeE4m3(static_cast<uint8_t>(scale_code));
      double block_error = 0;
      for (int j = 0; j < 16; ++j) {
        const double x = w[block * 16 + j];
        double nearest = INFINITY;
        for (float e2m1 : kE2m1Values) {
          const double d = x - static_cast<double>(e2m1 * scale * s2);
          nearest = std::min(nearest, d * d);
        }
        block_error += nearest;
      }
      best = std::min(best, block_error);
    }
    error += best;
    for (int j = 0; j < 16; ++j) norm += static_cast<double>(w[block * 16 + j]) * w[block * 16 + j];
  }
  return std::sqrt(error / norm);
}

struct RecipeErrors {
  double reference, search, exhaustive, optimum;
};

RecipeErrors MeasureRecipes(const std::vector<float>& w, int64_t rows, int64_t cols) {
  auto error_of = [&](Nvfp4Recipe recipe) {
    auto q = QuantizeNvfp4(w.data(), rows, cols, {.recipe = recipe});
    EXPECT_TRUE(q.ok());
    return RelativeRmsError(w, *DequantizeNvfp4(*q));
  };
  return {error_of(Nvfp4Recipe::kReference), error_of(Nvfp4Recipe::kScaleSearch),
          error_of(Nvfp4Recipe::kExhaustiveScaleSearch),
          OptimalRelativeRmsError(w, Nvfp4GlobalScale(w.data(), rows * cols))};
}

// The figures quoted in numerics/README.md (64×2048, as formats.md §8 simulates).
TEST(Nvfp4Test, ScaleSearchIsWithinFivePercentOfTheOptimumOnGaussianWeights) {
  const int64_t rows = 64, cols = 2048;
  std::mt19937 rng(2024);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> w(rows * cols);
  for (float& v : w) v = normal(rng);
  const RecipeErrors e = MeasureRecipes(w, rows, cols);
  std::printf("NVFP4 N(0,1) %lldx%lld relative RMS error: reference %.4f%%, scale search %.4f%%, "
              "exhaustive %.4f%%, optimum %.4f%%\n",
              static_cast<long long>(rows), static_cast<long long>(cols), 100 * e.reference,
              100 * e.search, 100 * e.exhaustive, 100 * e.optimum);
  EXPECT_NEAR(e.reference, 0.095, 0.003);  // formats.md §8
  EXPECT_LE(e.search, e.reference);
  EXPECT_LE(e.exhaustive, e.search);
  EXPECT_LE(e.search, 1.05 * e.optimum);
  EXPECT_LE(e.optimum, e.exhaustive * (1 + 1e-9));
}

TEST(Nvfp4Test, ScaleSearchHelpsOnLaplaceAndHeavyTailedWeights) {
  const int64_t rows = 64, cols = 1024;
  std::mt19937 rng(77);
  std::exponential_distribution<float> exponential(1.0f);
  std::student_t_distribution<float> student(3.0f);
  std::vector<float> laplace(rows * cols), heavy(rows * cols);
  for (float& v : laplace) v = exponential(rng) * ((rng() & 1) ? 1.0f : -1.0f);
  for (float& v : heavy) v = student(rng);
  for (const auto& [name, w] : {std::pair{"Laplace", &laplace}, std::pair{"Student-t(3)", &heavy}}) {
    const RecipeErrors e = MeasureRecipes(*w, rows, cols);
    std::printf("NVFP4 %s %lldx%lld relative RMS error: reference %.4f%%, scale search %.4f%%, "
                "exhaustive %.4f%%, optimum %.4f%%\n",
                name, static_cast<long long>(rows), static_cast<long long>(cols),
                100 * e.reference, 100 * e.search, 100 * e.exhaustive, 100 * e.optimum);
    EXPECT_LE(e.search, e.reference) << name;
    EXPECT_LE(e.search, 1.05 * e.optimum) << name;
  }
}

TEST(Nvfp4Test, ScaleSearchNeverLosesToTheReferenceOnAnyBlock) {
  const int64_t rows = 7, cols = 48;
  const std::vector<float> w = RaggedWeights(rows, cols, 3);
  auto reference = QuantizeNvfp4(w.data(), rows, cols, {.recipe = Nvfp4Recipe::kReference});
  auto search = QuantizeNvfp4(w.data(), rows, cols, {.recipe = Nvfp4Recipe::kScaleSearch});
  ASSERT_TRUE(reference.ok() && search.ok());
  EXPECT_EQ(reference->global_scale, search->global_scale);
  const std::vector<float> dq_reference = *DequantizeNvfp4(*reference);
  const std::vector<float> dq_search = *DequantizeNvfp4(*search);
  int improved_blocks = 0;
  for (int64_t block = 0; block < rows * cols / 16; ++block) {
    double e_reference = 0, e_search = 0;
    for (int64_t i = block * 16; i < block * 16 + 16; ++i) {
      e_reference += std::pow(static_cast<double>(w[i]) - dq_reference[i], 2);
      e_search += std::pow(static_cast<double>(w[i]) - dq_search[i], 2);
    }
    EXPECT_LE(e_search, e_reference) << "block " << block;
    improved_blocks += e_search < e_reference;
  }
  EXPECT_GT(improved_blocks, 0);
}

TEST(Nvfp4Test, RowRangesQuantizeIndependently) {
  const int64_t rows = 7, cols = 48;
  const std::vector<float> w = RaggedWeights(rows, cols, 9);
  auto whole = QuantizeNvfp4(w.data(), rows, cols);
  ASSERT_TRUE(whole.ok());
  std::vector<uint8_t> packed(rows * cols / 2), scales(rows * cols / 16);
  const float s2 = Nvfp4GlobalScale(w.data(), rows * cols);
  QuantizeNvfp4Rows(w.data(), 3, cols, s2, {}, packed.data(), scales.data());
  QuantizeNvfp4Rows(w.data() + 3 * cols, rows - 3, cols, s2, {}, packed.data() + 3 * cols / 2,
                    scales.data() + 3 * cols / 16);
  EXPECT_EQ(packed, whole->packed);
  EXPECT_EQ(scales, whole->block_scales);
}

TEST(Nvfp4Test, AllZeroTensorQuantizesToZero) {
  std::vector<float> w(32, 0.0f);
  auto q = QuantizeNvfp4(w.data(), 1, 32, {.recipe = Nvfp4Recipe::kReference});
  ASSERT_TRUE(q.ok());
  EXPECT_GT(q->global_scale, 0.0f);
  EXPECT_EQ(q->block_scales[0], 0x38);  // "if s == 0 use 1.0"
  const std::vector<float> dequantized = *DequantizeNvfp4(*q);
  for (float v : dequantized) EXPECT_EQ(v, 0.0f);
}

}  // namespace
}  // namespace dsc::numerics
