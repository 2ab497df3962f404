// Tests of the lightning-indexer kernels (model.md §8): Hadamard + FP8 quantization, the index
// score against its dequantized-dot formula, and top-k selection with ties and masks.
#include "runtime/interp/kernels_indexer.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>
#include <set>
#include <vector>

#include "gtest/gtest.h"
#include "numerics/scalar_formats.h"
#include "tests/unit/runtime/test_util.h"

namespace dsc::runtime::ref {
namespace {

using testing::RandomVector;

constexpr int64_t kDim = 128;

TEST(IndexerQuantizeTest, RotatesWithSylvesterHadamardAndQuantizesWithPowerOfTwoScale) {
  const int64_t vectors = 3;
  const std::vector<float> input = RandomVector(vectors * kDim, 500, -3, 3);
  std::vector<float> x = input, scales(vectors);
  std::vector<uint8_t> codes(vectors * kDim);
  ASSERT_TRUE(IndexerQuantize(x.data(), vectors, kDim, codes.data(), scales.data()).ok());
  for (int64_t v = 0; v < vectors; ++v) {
    double amax = 0;
    for (int64_t a = 0; a < kDim; ++a) {
      double rotated = 0;  // y_a = 128^-1/2 Σ_b (−1)^popcount(a&b) x_b
      for (int64_t b = 0; b < kDim; ++b) {
        rotated +=
            (std::popcount(static_cast<uint32_t>(a & b)) % 2 ? -1.0 : 1.0) * input[v * kDim + b];
      }
      rotated /= std::sqrt(128.0);
      EXPECT_NEAR(x[v * kDim + a], rotated, 1e-5);
      amax = std::max(amax, std::fabs(rotated));
    }
    const float s = scales[v];
    EXPECT_EQ(s, std::exp2(std::round(std::log2(s)))) << "scale is a power of two";
    EXPECT_LE(amax / s, 448.0 * (1 + 1e-6));
    EXPECT_GT(amax / s, 224.0);
    for (int64_t a = 0; a < kDim; ++a) {
      const float back = numerics::DecodeE4m3(codes[v * kDim + a]) * s;
      EXPECT_NEAR(back, x[v * kDim + a], std::fabs(x[v * kDim + a]) / 16 + s / 512);
    }
  }
  float odd[6] = {1, 2, 3, 4, 5, 6};
  uint8_t odd_codes[6];
  float odd_scale;
  EXPECT_FALSE(IndexerQuantize(odd, 1, 6, odd_codes, &odd_scale).ok());
}

TEST(IndexScoresTest, MatchesDequantizedFormulaWithCausalMask) {
  const int64_t S = 4, H = 5, T = 9;
  std::vector<float> q = RandomVector(S * H * kDim, 510), k = RandomVector(T * kDim, 511);
  std::vector<float> q_scales(S * H), k_scales(T);
  std::vector<uint8_t> q_codes(S * H * kDim), k_codes(T * kDim);
  ASSERT_TRUE(IndexerQuantize(q.data(), S * H, kDim, q_codes.data(), q_scales.data()).ok());
  ASSERT_TRUE(IndexerQuantize(k.data(), T, kDim, k_codes.data(), k_scales.data()).ok());
  const std::vector<float> w = RandomVector(S * H, 512, -2, 2);  // negative weights too
  const std::vector<int64_t> positions = {3, 5, 6, 8};
  std::vector<float> scores(S * T);
  IndexScores(q_codes.data(), q_scales.data(), w.data(), k_codes.data(), k_scales.data(),
              positions.data(), S, H, kDim, T, scores.data());
  for (int64_t s = 0; s < S; ++s) {
    for (int64_t t = 0; t < T; ++t) {
      if (t > positions[s]) {
        EXPECT_EQ(scores[s * T + t], -std::numeric_limits<float>::infinity());
        continue;
      }
      double expected = 0;  // Σ_h w · H^-1/2 · d^-1/2 · relu(q̂ · k̂), q̂ = q8·s_q, k̂ = k8·s_k
      for (int64_t h = 0; h < H; ++h) {
        double dot = 0;
        for (int64_t j = 0; j < kDim; ++j) {
          dot += double{numerics::DecodeE4m3(q_codes[(s * H + h) * kDim + j])} *
                 q_scales[s * H + h] * numerics::DecodeE4m3(k_codes[t * kDim + j]) * k_scales[t];
        }
        expected += w[s * H + h] / std::sqrt(double(H)) / std::sqrt(128.0) * std::max(dot, 0.0);
      }
      EXPECT_NEAR(scores[s * T + t], expected, 1e-5 * (1 + std::fabs(expected)));
    }
  }
}

TEST(TopKIndicesTest, KeepsLargestFiniteScoresTiesToLowerPositionPadsWithMinusOne) {
  const float inf = std::numeric_limits<float>::infinity();
  const std::vector<float> scores = {
      0.5f, 2.0f, -1.0f, 2.0f, 0.7f, 2.0f,   // ties at 1, 3, 5: keep 1 and 3
      1.0f, -inf, -inf,  -inf, -inf, -inf};  // one finite candidate
  std::vector<int32_t> out(2 * 2);
  TopKIndices(scores.data(), 2, 6, 2, out.data());
  EXPECT_EQ(out, (std::vector<int32_t>{1, 3, 0, -1}));
}

TEST(TopKIndicesTest, MatchesSortOnRandomRows) {
  const int64_t rows = 6, n = 50, k = 7;
  std::vector<float> scores = RandomVector(rows * n, 520, -5, 5);
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t t = 10 + 5 * r; t < n; ++t) scores[r * n + t] = -INFINITY;
  }
  std::vector<int32_t> out(rows * k);
  TopKIndices(scores.data(), rows, n, k, out.data());
  for (int64_t r = 0; r < rows; ++r) {
    std::vector<std::pair<float, int32_t>> ranked;
    for (int32_t t = 0; t < n; ++t) {
      if (std::isfinite(scores[r * n + t])) ranked.push_back({-scores[r * n + t], t});
    }
    std::sort(ranked.begin(), ranked.end());
    std::set<int32_t> expected;
    for (int64_t i = 0; i < k; ++i) expected.insert(ranked[i].second);
    EXPECT_EQ(std::set<int32_t>(out.begin() + r * k, out.begin() + (r + 1) * k), expected);
    EXPECT_TRUE(std::is_sorted(out.begin() + r * k, out.begin() + (r + 1) * k));
  }
}

}  // namespace
}  // namespace dsc::runtime::ref
