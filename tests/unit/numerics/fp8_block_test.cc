// Tests FP8 block-128 dequantization (partial edge blocks) and the synthetic quantizer.
#include "numerics/fp8_block.h"

#include <cmath>
#include <cstdio>
#include <random>
#include <vector>

#include "gtest/gtest.h"
#include "numerics/scalar_formats.h"

namespace dsc::numerics {
namespace {

std::vector<float> GaussianWeights(int64_t count, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, 0.02f);
  std::vector<float> w(count);
  for (float& v : w) v = normal(rng);
  return w;
}

TEST(Fp8BlockTest, DequantizeUsesTheScaleOfEachPartialBlock) {
  const int64_t rows = 130, cols = 257;  // 2 × 3 blocks, the last row/column blocks partial
  EXPECT_EQ(Fp8BlockCount(rows), 2);
  EXPECT_EQ(Fp8BlockCount(cols), 3);
  std::mt19937 rng(1);
  std::vector<uint8_t> codes(rows * cols);
  for (auto& c : codes) c = static_cast<uint8_t>(rng() % 0x7F | (rng() & 0x80));
  const std::vector<float> scales = {0.5f, 0.25f, 3.0f, 1e-3f, 7.0f, 0.125f};
  std::vector<float> out(rows * cols);
  ASSERT_TRUE(DequantizeFp8Block(codes.data(), scales.data(), rows, cols, out.data()).ok());
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t c = 0; c < cols; ++c) {
      const float expected = DecodeE4m3(codes[r * cols + c]) * scales[(r / 128) * 3 + c / 128];
      ASSERT_EQ(out[r * cols + c], expected) << r << "," << c;
    }
  }
}

TEST(Fp8BlockTest, Ue8m0QuantizerGivesPowerOfTwoScalesAndBoundedError) {
  const int64_t rows = 136, cols = 200;
  const std::vector<float> w = GaussianWeights(rows * cols, 2);
  for (Fp8ScaleFormat format : {Fp8ScaleFormat::kExact, Fp8ScaleFormat::kUe8m0}) {
    auto q = QuantizeFp8Block(w.data(), rows, cols, format);
    ASSERT_TRUE(q.ok());
    ASSERT_EQ(q->scale_inv.size(), 4u);
    for (float s : q->scale_inv) {
      int exponent;
      if (format == Fp8ScaleFormat::kUe8m0) {
        EXPECT_EQ(std::frexp(s, &exponent), 0.5f) << s;
      }
    }
    auto dq = DequantizeFp8Block(*q);
    ASSERT_TRUE(dq.ok());
    double error = 0, norm = 0;
    for (int64_t i = 0; i < rows * cols; ++i) {
      const float scale = q->scale_inv[(i / cols / 128) * 2 + (i % cols) / 128];
      // E4M3 keeps 3 mantissa bits: relative error ≤ 2^-4 for normals, ≤ 2^-10·scale absolute.
      EXPECT_LE(std::fabs(w[i] - (*dq)[i]), std::fabs(w[i]) / 16 + scale / 1024) << i;
      error += std::pow(static_cast<double>(w[i]) - (*dq)[i], 2);
      norm += static_cast<double>(w[i]) * w[i];
    }
    const double relative = std::sqrt(error / norm);
    std::printf("FP8 block-128 %s relative RMS error on Gaussian weights: %.3f%%\n",
                format == Fp8ScaleFormat::kUe8m0 ? "ue8m0" : "exact", 100 * relative);
    // formats.md §8: 2.6 % (exact) / 2.7 % (ue8m0) on 64×2048; small-matrix noise allowed.
    EXPECT_NEAR(relative, format == Fp8ScaleFormat::kUe8m0 ? 0.027 : 0.026, 0.003);
  }
}

TEST(Fp8BlockTest, ExactScaleMapsTheBlockAmaxTo448) {
  std::vector<float> w = GaussianWeights(3 * 5, 3);
  w[7] = -0.5f;
  auto q = QuantizeFp8Block(w.data(), 3, 5, Fp8ScaleFormat::kExact);
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(q->scale_inv[0], 0.5f / 448.0f);
  EXPECT_EQ(q->codes[7], 0xFE);
}

TEST(Fp8BlockTest, RejectsBadInput) {
  std::vector<float> w(4, 1.0f);
  w[2] = INFINITY;
  EXPECT_FALSE(QuantizeFp8Block(w.data(), 2, 2, Fp8ScaleFormat::kUe8m0).ok());
  EXPECT_FALSE(QuantizeFp8Block(w.data(), -2, 2, Fp8ScaleFormat::kUe8m0).ok());
  Fp8BlockWeights wrong{.rows = 2, .cols = 2, .codes = std::vector<uint8_t>(4),
                        .scale_inv = std::vector<float>(2)};
  EXPECT_FALSE(DequantizeFp8Block(wrong).ok());
}

}  // namespace
}  // namespace dsc::numerics
