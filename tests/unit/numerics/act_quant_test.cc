// Tests the official act_quant (ue8m0 and plain scales) and its round trip against the worked
// example of formats.md §7 and an independent per-element formula.
#include "numerics/act_quant.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

#include "gtest/gtest.h"
#include "numerics/scalar_formats.h"

namespace dsc::numerics {
namespace {

TEST(ActQuantTest, WorkedExampleUe8m0) {
  std::vector<float> x(128, 0.5f);
  x[3] = 3.0f;
  x[4] = 0.01f;
  x[5] = -2.2f;
  std::vector<uint8_t> codes(128);
  float scale = 0;
  ActQuantBlock(x.data(), 128, ActScaleFormat::kUe8m0, codes.data(), &scale);
  EXPECT_EQ(scale, 1.0f / 128);
  EXPECT_EQ(codes[3], 0x7C);  // 384 = 1.5·2^8, exact
  EXPECT_EQ(codes[4], 0x3A);  // 1.28 → 1.25
  EXPECT_EQ(DecodeE4m3(codes[4]) * scale, 0.009765625f);
  EXPECT_EQ(codes[5], EncodeE4m3(-2.2f * 128));
}

TEST(ActQuantTest, PlainScaleIsAmaxTimesReciprocal) {
  std::vector<float> x(128, -0.125f);
  x[77] = -5.0f;
  std::vector<uint8_t> codes(128);
  float scale = 0;
  ActQuantBlock(x.data(), 128, ActScaleFormat::kPlain, codes.data(), &scale);
  EXPECT_EQ(scale, 5.0f * (1.0f / 448.0f));
  EXPECT_EQ(codes[77], EncodeE4m3(std::fmax(-5.0f / scale, -448.0f)));
  EXPECT_EQ(ActQuantScale(1e-4f, ActScaleFormat::kPlain), 1e-4f * (1.0f / 448.0f));
}

TEST(ActQuantTest, QuantizeAndRoundTripMatchTheFormulaOnRaggedData) {
  // 3 blocks of 128 with very different magnitudes (one tiny, below the 1e-4 amax floor).
  std::mt19937 rng(4);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> x(384);
  for (int i = 0; i < 384; ++i) x[i] = normal(rng) * (i < 128 ? 1e-6f : i < 256 ? 3.0f : 700.0f);
  for (ActScaleFormat format : {ActScaleFormat::kUe8m0, ActScaleFormat::kPlain}) {
    std::vector<uint8_t> codes(384);
    std::vector<float> scales(3);
    ASSERT_TRUE(ActQuant(x.data(), 384, 128, format, codes.data(), scales.data()).ok());
    std::vector<float> round_trip = x;
    ASSERT_TRUE(ActQuantRoundTrip(round_trip.data(), 384, 128, format).ok());
    for (int b = 0; b < 3; ++b) {
      float amax = 0;
      for (int j = 0; j < 128; ++j) amax = std::fmax(amax, std::fabs(x[b * 128 + j]));
      const float t = std::fmax(amax, 1e-4f) * (1.0f / 448.0f);
      const float expected_scale =
          format == ActScaleFormat::kUe8m0 ? std::exp2(std::ceil(std::log2(t))) : t;
      ASSERT_EQ(scales[b], expected_scale) << b;
      for (int j = 0; j < 128; ++j) {
        const int i = b * 128 + j;
        const float clamped = std::fmin(std::fmax(x[i] / expected_scale, -448.0f), 448.0f);
        ASSERT_EQ(codes[i], EncodeE4m3(clamped)) << i;
        ASSERT_EQ(round_trip[i], DecodeE4m3(codes[i]) * expected_scale) << i;
        // E4M3 relative error ≤ 2^-4 (normals), absolute ≤ 2^-10·s (subnormals).
        ASSERT_LE(std::fabs(round_trip[i] - x[i]), std::fabs(x[i]) / 16 + expected_scale / 1024);
      }
    }
  }
}

// The round trip (vectorized where the CPU has AVX-512) against the scalar definition bit for
// bit, on the values where E4M3 rounding has edges: ties in both ranges, the subnormal/normal
// boundary, the clamp at ±448 and past it, ±0, float32 subnormals, and random finite bit
// patterns under each block's amax; every fifth block also holds ±inf and NaN (its scale is then
// inf: NaNs and zeros, as in the scalar code). Blocks of 128 and of 40 (a 16-lane vector tail).
TEST(ActQuantTest, RoundTripEqualsTheScalarDefinitionBitForBit) {
  // In units of the block scale: exact for a power-of-two (UE8M0) scale.
  const std::vector<float> edges = {0.0f, -0.0f, 448.0f, -448.0f, 447.9f, 464.0f, 480.0f, 1e6f, -1e6f,
                                    0.015625f, 0.0156249f, 0.01562501f, 0.0146484375f, 0.0009765625f,
                                    0.00146484375f, 0.00048828125f, 1.0625f, 1.1875f, -1.0625f, 3.25f,
                                    0.9999f, 0.02734375f, -0.0107421875f};
  const std::vector<float> non_finite = {std::numeric_limits<float>::infinity(),
                                         -std::numeric_limits<float>::infinity(),
                                         std::numeric_limits<float>::quiet_NaN()};
  int ties_checked = 0;
  for (ActScaleFormat format : {ActScaleFormat::kPlain, ActScaleFormat::kUe8m0}) {
    for (int64_t block : {int64_t{128}, int64_t{40}}) {
      for (float top : {448.0f, 1.0f, 3.7e5f}) {  // each block's amax
        const float unit = ActQuantScale(top, ActScaleFormat::kUe8m0);
        std::vector<float> x;
        uint32_t pattern = 0x00012345u;
        for (int64_t b = 0; b < 40; ++b) {
          x.push_back(top);
          for (int64_t j = 1; j < block; ++j) {
            const size_t k = static_cast<size_t>(j) % (edges.size() + 4);
            if (b % 5 == 0 && k < non_finite.size()) {
              x.push_back(non_finite[k]);
            } else if (k < edges.size()) {
              x.push_back(std::clamp(edges[k] * unit, -top, top));
            } else {
              float v;
              do {  // every exponent below the amax, both signs
                pattern = pattern * 1664525u + 1013904223u;
                std::memcpy(&v, &pattern, sizeof(v));
              } while (!(std::fabs(v) <= top));
              x.push_back(v);
            }
          }
        }
        std::vector<float> got = x, want = x;
        ASSERT_TRUE(ActQuantRoundTrip(got.data(), static_cast<int64_t>(got.size()), block, format).ok());
        for (size_t b = 0; b < x.size(); b += block) {
          const float s = ActQuantBlockScale(x.data() + b, block, format);
          for (size_t j = b; j < b + block; ++j) {
            const float v = std::clamp(x[j] / s, -448.0f, 448.0f);
            want[j] = DecodeE4m3(EncodeE4m3(v)) * s;
            ties_checked += v == 1.0625f || v == 0.0009765625f;
          }
        }
        for (size_t i = 0; i < x.size(); ++i) {
          uint32_t g, w;
          std::memcpy(&g, &got[i], sizeof(g));
          std::memcpy(&w, &want[i], sizeof(w));
          ASSERT_EQ(g, w) << "x=" << x[i] << " i=" << i << " block=" << block << " top=" << top;
        }
      }
    }
  }
  EXPECT_GT(ties_checked, 100);  // exact ties did reach the rounding
}

TEST(ActQuantTest, RejectsCountsThatDoNotSplitIntoBlocks) {
  std::vector<float> x(200, 1.0f);
  std::vector<uint8_t> codes(200);
  std::vector<float> scales(2);
  EXPECT_FALSE(ActQuant(x.data(), 200, 128, ActScaleFormat::kUe8m0, codes.data(), scales.data()).ok());
  EXPECT_FALSE(ActQuantRoundTrip(x.data(), 200, 0, ActScaleFormat::kUe8m0).ok());
  EXPECT_TRUE(ActQuantRoundTrip(x.data(), 200, 40, ActScaleFormat::kUe8m0).ok());
}

}  // namespace
}  // namespace dsc::numerics
