// numerics::ExpF and ExpShiftedInPlace (exp.h): within 1 ulp of exp computed in double over a
// sweep of every 61st float in the range where exp is finite and nonzero, the edge values, and
// the row form bit-identical to the scalar function on ragged rows with −inf, NaN, huge and
// subnormal-producing entries (the fast attention paths rely on that identity).
#include "numerics/exp.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

#include "gtest/gtest.h"

namespace dsc::numerics {
namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();

// Distance in units in the last place between two finite non-negative floats.
int64_t UlpDistance(float a, float b) {
  int32_t ia, ib;
  std::memcpy(&ia, &a, 4);
  std::memcpy(&ib, &b, 4);
  return std::abs(static_cast<int64_t>(ia) - static_cast<int64_t>(ib));
}

TEST(ExpTest, WithinOneUlpOfTheDoublePrecisionValue) {
  int64_t checked = 0, exact = 0;
  for (float lo : {-104.0f, 0.0f}) {
    const float hi = lo < 0 ? 0.0f : 88.7f;
    // Walk the bit patterns of [lo, hi] (negative floats: patterns grow toward −104).
    uint32_t a, b;
    const float from = lo < 0 ? -0.0f : 0.0f, to = lo < 0 ? lo : hi;
    std::memcpy(&a, &from, 4);
    std::memcpy(&b, &to, 4);
    for (uint64_t bits = a; bits <= b; bits += 61) {
      const uint32_t u = static_cast<uint32_t>(bits);
      float x;
      std::memcpy(&x, &u, 4);
      const float want = static_cast<float>(std::exp(static_cast<double>(x)));
      const float got = ExpF(x);
      ASSERT_LE(UlpDistance(got, want), 1) << "x = " << x << " got " << got << " want " << want;
      exact += got == want;
      ++checked;
    }
  }
  EXPECT_GT(checked, 30'000'000);
  EXPECT_GT(static_cast<double>(exact) / static_cast<double>(checked), 0.999);  // almost always the rounded value
}

TEST(ExpTest, EdgeValues) {
  EXPECT_EQ(ExpF(0.0f), 1.0f);
  EXPECT_EQ(ExpF(-0.0f), 1.0f);
  EXPECT_EQ(ExpF(1.0f), static_cast<float>(std::exp(1.0)));
  EXPECT_EQ(ExpF(-kInf), 0.0f);
  EXPECT_EQ(ExpF(kInf), kInf);
  EXPECT_EQ(ExpF(88.8f), kInf);   // above log(FLT_MAX)
  EXPECT_EQ(ExpF(-110.0f), 0.0f);  // below the least subnormal
  EXPECT_TRUE(std::isnan(ExpF(std::nanf(""))));
  const float subnormal = ExpF(-100.0f);  // 3.7e-44: a subnormal float
  EXPECT_GT(subnormal, 0.0f);
  EXPECT_LT(subnormal, std::numeric_limits<float>::min());
  EXPECT_LE(UlpDistance(subnormal, static_cast<float>(std::exp(-100.0))), 1);
}

TEST(ExpTest, RowFormEqualsTheScalarFunctionBitForBit) {
  std::mt19937 rng(11);
  std::uniform_real_distribution<float> uniform(-30.0f, 5.0f);
  for (int64_t n : {0, 1, 7, 8, 9, 16, 37, 1000}) {
    for (float shift : {0.0f, 3.25f, -kInf, 120.0f}) {
      std::vector<float> z(n);
      for (float& v : z) v = uniform(rng);
      for (int64_t j = 0; j < n; j += 5) z[j] = -kInf;
      if (n > 3) {
        z[3] = std::nanf("");
        z[1] = 95.0f;      // overflows
        z[n - 1] = -99.0f;  // subnormal result
      }
      std::vector<float> want(n);
      for (int64_t j = 0; j < n; ++j) want[j] = z[j] == -kInf ? 0.0f : ExpF(z[j] - shift);
      ExpShiftedInPlace(z.data(), n, shift);
      if (n > 0) {  // memcmp of no bytes still wants non-null pointers
        EXPECT_EQ(std::memcmp(z.data(), want.data(), n * sizeof(float)), 0) << "n = " << n << " shift = " << shift;
      }
    }
  }
}

// Each column with its own shift (a softmax row per column): vector path for 16 columns, the
// scalar one for 5; a −inf and a NaN shift; inputs as in the row-form test; rows contiguous
// or further apart (ld).
TEST(ExpTest, ColumnFormEqualsTheScalarFunctionBitForBit) {
  std::mt19937 rng(12);
  std::uniform_real_distribution<float> uniform(-30.0f, 5.0f);
  for (int64_t columns : {16, 8, 5}) {
    for (int64_t rows : {1, 3, 40}) {
      std::vector<float> shift(columns);
      for (float& v : shift) v = uniform(rng);
      shift[0] = 0.0f;
      shift[1] = -kInf;
      if (columns > 4) shift[4] = std::nanf("");
      std::vector<float> z(rows * columns);
      for (float& v : z) v = uniform(rng);
      for (size_t i = 0; i < z.size(); i += 7) z[i] = -kInf;
      z[z.size() / 2] = 95.0f;     // overflows
      z[z.size() - 1] = -99.0f;    // subnormal result
      std::vector<float> want(z.size());
      for (size_t i = 0; i < z.size(); ++i) want[i] = z[i] == -kInf ? 0.0f : ExpF(z[i] - shift[i % columns]);
      // The same columns inside wider rows (ld = columns + 11): only they change.
      const int64_t ld = columns + 11;
      std::vector<float> wide(rows * ld, 7.5f), wide_want(rows * ld, 7.5f);
      for (int64_t j = 0; j < rows; ++j) {
        std::copy_n(z.begin() + j * columns, columns, wide.begin() + j * ld);
        std::copy_n(want.begin() + j * columns, columns, wide_want.begin() + j * ld);
      }
      ExpShiftedColumnsInPlace(z.data(), rows, columns, shift.data());
      EXPECT_EQ(std::memcmp(z.data(), want.data(), z.size() * sizeof(float)), 0)
          << "rows = " << rows << " columns = " << columns;
      ExpShiftedColumnsInPlace(wide.data(), rows, columns, shift.data(), ld);
      EXPECT_EQ(std::memcmp(wide.data(), wide_want.data(), wide.size() * sizeof(float)), 0)
          << "rows = " << rows << " columns = " << columns << " ld = " << ld;
    }
  }
}

}  // namespace
}  // namespace dsc::numerics
