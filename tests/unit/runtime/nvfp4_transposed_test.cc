// Nvfp4TransposedProduct (MLA's q̃ = W_UKᵀ q_nope read from the NVFP4 rows in place) against
// the dequantize-then-multiply reference in double precision: ragged row counts, column counts
// with and without 128-column vector chunks and with a scalar tail, random codes (every E2M1
// value, both signs), random E4M3 block scales (all codes but NaN: subnormal, normal,
// negative), a non-trivial global scale; the AVX-512 and the portable code agree bit for bit.
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
      // The portable code (the AVX2 / generic clones; on an AVX-512 host the default skips it)
      // gives the same floats: exact decodes, the same fused multiply-adds in the same order.
      std::vector<float> portable(cols, std::nanf(""));
      Nvfp4TransposedProduct(codes.data(), scales.data(), global, rows, cols, x.data(), portable.data(), nullptr,
                             nullptr, /*portable_only=*/true);
      EXPECT_EQ(portable, got);
    }
  }
}

// MLA runs one product per head, each prefetching the next head's rows as it ends: the hint
// changes no value, also when the next product's rows lie right after this one's.
TEST(Nvfp4TransposedTest, PrefetchingTheNextProductChangesNothing) {
  constexpr int64_t kRows = 37, kCols = 512, kProducts = 3;
  std::mt19937 rng(5);
  std::vector<uint8_t> codes(kProducts * kRows * kCols / 2), scales(kProducts * kRows * kCols / 16);
  for (uint8_t& b : codes) b = static_cast<uint8_t>(rng());
  for (uint8_t& s : scales) s = static_cast<uint8_t>(0x20 + rng() % 0x40);
  const std::vector<float> x = testing::RandomVector(kProducts * kRows, 6, -2.0f, 2.0f);
  for (bool portable : {false, true}) {
    std::vector<float> alone(kProducts * kCols), chained(kProducts * kCols);
    for (int64_t p = 0; p < kProducts; ++p) {
      const uint8_t* c = codes.data() + p * kRows * kCols / 2;
      const uint8_t* s = scales.data() + p * kRows * kCols / 16;
      const bool more = p + 1 < kProducts;
      Nvfp4TransposedProduct(c, s, 0.5f, kRows, kCols, x.data() + p * kRows, alone.data() + p * kCols, nullptr,
                             nullptr, portable);
      Nvfp4TransposedProduct(c, s, 0.5f, kRows, kCols, x.data() + p * kRows, chained.data() + p * kCols,
                             more ? c + kRows * kCols / 2 : nullptr, more ? s + kRows * kCols / 16 : nullptr,
                             portable);
    }
    EXPECT_EQ(chained, alone);
    double norm = 0;
    for (float v : alone) norm += double(v) * v;
    EXPECT_GT(norm, 1.0);
  }
}

}  // namespace
}  // namespace dsc::runtime
