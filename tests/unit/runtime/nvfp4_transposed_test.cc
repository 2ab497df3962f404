// Nvfp4TransposedProduct (MLA's q̃ = W_UKᵀ q_nope read from the NVFP4 rows in place) against
// the dequantize-then-multiply reference in double precision: ragged row counts, column counts
// with and without 128-column vector chunks and with a scalar tail, random codes (every E2M1
// value, both signs), random E4M3 block scales (all codes but NaN: subnormal, normal,
// negative), a non-trivial global scale.
#include <cmath>
#include <random>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "numerics/nvfp4.h"
#include "runtime/interp/nvfp4_transposed.h"
#include "tests/unit/runtime/test_util.h"

namespace dsc::runtime {
namespace {

TEST(Nvfp4TransposedTest, MatchesTheDequantizedTransposeProduct) {
  for (int64_t cols : {16, 48, 128, 144, 272, 512}) {
    for (int64_t rows : {1, 3, 8, 37, 128}) {
      SCOPED_TRACE(absl::StrCat("rows=", rows, " cols=", cols));
      const uint32_t seed = static_cast<uint32_t>(rows * 1000 + cols);
      std::mt19937 rng(seed);
      std::vector<uint8_t> codes(rows * cols / 2), scales(rows * cols / 16);
      for (uint8_t& b : codes) b = static_cast<uint8_t>(rng());
      for (uint8_t& s : scales) {  // any E4M3 but NaN: subnormal, normal, negative
        do {
          s = static_cast<uint8_t>(rng());
        } while ((s & 0x7F) == 0x7F);
      }
      const float global = 0.0371f;
      const std::vector<float> x = testing::RandomVector(rows, seed + 1, -2.0f, 2.0f);

      std::vector<float> w(rows * cols);
      ASSERT_TRUE(numerics::DequantizeNvfp4(codes.data(), scales.data(), global, rows, cols, w.data()).ok());
      std::vector<double> want(cols, 0.0), magnitude(cols, 0.0);
      for (int64_t j = 0; j < rows; ++j) {
        for (int64_t c = 0; c < cols; ++c) {
          want[c] += static_cast<double>(w[j * cols + c]) * x[j];
          magnitude[c] += std::abs(static_cast<double>(w[j * cols + c]) * x[j]);
        }
      }
      std::vector<float> got(cols, std::nanf(""));
      Nvfp4TransposedProduct(codes.data(), scales.data(), global, rows, cols, x.data(), got.data());
      EXPECT_LE(testing::RelL2(got, want), 1e-6);
      for (int64_t c = 0; c < cols; ++c) {  // every column in its place (float32 sums of rows terms)
        ASSERT_NEAR(got[c], want[c], 1e-6 * magnitude[c] * static_cast<double>(rows) + 1e-30) << "column " << c;
      }
      int nonzero = 0;
      for (float v : got) nonzero += std::isfinite(v) && v != 0.0f;
      EXPECT_GE(nonzero, static_cast<int>(cols / 2));  // real values, not zeros
    }
  }
}

}  // namespace
}  // namespace dsc::runtime
