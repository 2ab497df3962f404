// Tests the orthonormal Sylvester Hadamard transform against the defining sum of model.md §8.
#include "numerics/hadamard.h"

#include <bit>
#include <cmath>
#include <random>
#include <vector>

#include "gtest/gtest.h"

namespace dsc::numerics {
namespace {

std::vector<double> DefiningSum(const std::vector<float>& x) {
  const int64_t n = static_cast<int64_t>(x.size());
  std::vector<double> y(n, 0.0);
  for (int64_t a = 0; a < n; ++a) {
    for (int64_t b = 0; b < n; ++b) {
      y[a] += (std::popcount(static_cast<uint64_t>(a & b)) % 2 ? -1.0 : 1.0) * x[b];
    }
    y[a] /= std::sqrt(static_cast<double>(n));
  }
  return y;
}

TEST(HadamardTest, MatchesTheDefiningSumForEveryPowerOfTwo) {
  std::mt19937 rng(8);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  for (int64_t n = 1; n <= 256; n *= 2) {
    std::vector<float> x(n);
    for (float& v : x) v = normal(rng);
    const std::vector<double> expected = DefiningSum(x);
    double norm = 0;
    for (double v : expected) norm += v * v;
    ASSERT_TRUE(HadamardTransform(x.data(), n).ok());
    for (int64_t a = 0; a < n; ++a) {
      EXPECT_NEAR(x[a], expected[a], 1e-6 * std::sqrt(norm)) << "n=" << n << " a=" << a;
    }
  }
}

TEST(HadamardTest, Hadamard128IsOrthonormalAndAnInvolution) {
  std::mt19937 rng(9);
  std::uniform_real_distribution<float> uniform(-3.0f, 3.0f);
  std::vector<float> x(128);
  for (float& v : x) v = uniform(rng);
  std::vector<float> y = x;
  Hadamard128(y.data());
  double norm_x = 0, norm_y = 0;
  for (int i = 0; i < 128; ++i) {
    norm_x += static_cast<double>(x[i]) * x[i];
    norm_y += static_cast<double>(y[i]) * y[i];
  }
  EXPECT_NEAR(norm_y, norm_x, 1e-5 * norm_x);
  // The orthonormal Sylvester matrix is symmetric and orthogonal, so applying it twice is I.
  std::vector<float> z = y;
  ASSERT_TRUE(HadamardTransform(z.data(), 128).ok());
  for (int i = 0; i < 128; ++i) EXPECT_NEAR(z[i], x[i], 1e-5) << i;
  // A unit impulse at 0 becomes the constant 1/sqrt(128).
  std::vector<float> impulse(128, 0.0f);
  impulse[0] = 1.0f;
  Hadamard128(impulse.data());
  for (float v : impulse) EXPECT_EQ(v, static_cast<float>(1.0 / std::sqrt(128.0)));
}

TEST(HadamardTest, RejectsLengthsThatAreNotPowersOfTwo) {
  std::vector<float> x(96, 1.0f);
  EXPECT_FALSE(HadamardTransform(x.data(), 96).ok());
  EXPECT_FALSE(HadamardTransform(x.data(), 0).ok());
}

}  // namespace
}  // namespace dsc::numerics
