// Tests YaRN frequencies against the worked values of model.md §5, the softmax scale of §6,
// and both RoPE layouts against a double-precision rotation.
#include "numerics/rope.h"

#include <cmath>
#include <random>
#include <vector>

#include "gtest/gtest.h"

namespace dsc::numerics {
namespace {

// The 671B model's rope: d_r 64, θ 1e4, f 40, L_0 4096, β 32 / 1, N_max 16384.
std::vector<float> DeepSeekV32Frequencies(int64_t max_seq_len = 16384) {
  auto freqs = YarnFrequencies(64, 10000.0, 40.0, 4096, 32.0, 1.0, max_seq_len);
  EXPECT_TRUE(freqs.ok()) << freqs.status();
  return *freqs;
}

TEST(RopeTest, YarnFrequenciesMatchTheWorkedValues) {
  const std::vector<float> freqs = DeepSeekV32Frequencies();
  ASSERT_EQ(freqs.size(), 32u);
  const std::pair<int, double> worked[] = {
      {0, 1.0},           {1, 0.74989420},     {8, 0.1},           {10, 0.056234129},
      {11, 0.039006926},  {16, 0.0055000004}, {22, 0.00017782794}, {23, 3.3338038e-05},
      {31, 3.3338038e-06}};
  for (const auto& [i, value] : worked) {
    // The spec prints 8 significant digits; a float32 ulp is ≥ 6e-8 relative.
    EXPECT_NEAR(freqs[i], value, 6e-8 * value) << "i=" << i;
  }
}

TEST(RopeTest, YarnOffLeavesPlainFrequenciesAndRampEndsAreExact) {
  const std::vector<float> plain = DeepSeekV32Frequencies(/*max_seq_len=*/4096);
  EXPECT_FALSE(YarnActive(4096, 4096));
  EXPECT_NEAR(plain[31], 1.3335215e-04, 6e-8 * 1.3335215e-04);
  const std::vector<float> yarn = DeepSeekV32Frequencies();
  for (int i = 0; i <= 10; ++i) EXPECT_EQ(yarn[i], plain[i]) << i;       // i ≤ low: unchanged
  for (int i = 23; i < 32; ++i) EXPECT_EQ(yarn[i], plain[i] / 40.0f) << i;  // i ≥ high: / f
  for (int i = 11; i < 23; ++i) {
    EXPECT_LT(yarn[i], plain[i]) << i;
    EXPECT_GT(yarn[i], plain[i] / 40.0f) << i;
  }
}

TEST(RopeTest, YarnFrequenciesRejectBadArguments) {
  EXPECT_FALSE(YarnFrequencies(63, 10000.0, 40.0, 4096, 32, 1, 16384).ok());
  EXPECT_FALSE(YarnFrequencies(64, 1.0, 40.0, 4096, 32, 1, 16384).ok());
  EXPECT_FALSE(YarnFrequencies(64, 10000.0, 0.0, 4096, 32, 1, 16384).ok());
}

TEST(RopeTest, SoftmaxScale) {
  EXPECT_NEAR(AttentionSoftmaxScale(192, 40.0, 1.0, /*yarn_active=*/true), 0.13523378, 1e-8);
  EXPECT_EQ(AttentionSoftmaxScale(192, 40.0, 1.0, /*yarn_active=*/false),
            static_cast<float>(1.0 / std::sqrt(192.0)));
}

TEST(RopeTest, AngleIsTheFloat32Product) {
  EXPECT_EQ(RopeAngle(3, 0.1f), 3.0f * 0.1f);
  EXPECT_EQ(RopeAngle(16383, 0.74989420f), static_cast<float>(16383) * 0.74989420f);
}

TEST(RopeTest, BothLayoutsRotatePairsLikeADoubleReference) {
  const std::vector<float> freqs = DeepSeekV32Frequencies();
  std::mt19937 rng(6);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  for (int64_t pos : {0, 1, 5, 4095, 16383}) {
    std::vector<float> x(64);
    for (float& v : x) v = normal(rng);
    for (bool interleaved : {true, false}) {
      std::vector<float> y = x;
      ApplyRope(y.data(), 64, pos, freqs.data(), interleaved);
      std::vector<float> cos_values(32), sin_values(32);
      RopeCosSin(pos, freqs.data(), 32, cos_values.data(), sin_values.data());
      std::vector<float> z = x;
      ApplyRopeWithCosSin(z.data(), 64, cos_values.data(), sin_values.data(), interleaved);
      EXPECT_EQ(y, z);
      for (int i = 0; i < 32; ++i) {
        const int first = interleaved ? 2 * i : i;
        const int second = interleaved ? 2 * i + 1 : i + 32;
        const double angle = static_cast<double>(static_cast<float>(pos) * freqs[i]);
        const double a = x[first], b = x[second];
        const double expected_first = a * std::cos(angle) - b * std::sin(angle);
        const double expected_second = a * std::sin(angle) + b * std::cos(angle);
        const double tolerance = 2e-7 * (std::fabs(a) + std::fabs(b));
        EXPECT_NEAR(y[first], expected_first, tolerance) << pos << " " << i;
        EXPECT_NEAR(y[second], expected_second, tolerance) << pos << " " << i;
        if (pos == 0) {
          EXPECT_EQ(y[first], x[first]);
          EXPECT_EQ(y[second], x[second]);
        }
      }
    }
  }
}

}  // namespace
}  // namespace dsc::numerics
