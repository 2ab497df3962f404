// Tests E2M1, E4M3, UE8M0, BF16 and F16 against the tables of formats.md and independent
// brute-force / compiler references.
#include "numerics/scalar_formats.h"

#include <bit>
#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "gtest/gtest.h"

namespace dsc::numerics {
namespace {

// --- E2M1 ------------------------------------------------------------------------------------

TEST(E2m1Test, DecodeTableMatchesSpec) {
  const float expected[16] = {0, 0.5, 1, 1.5, 2, 3, 4, 6, -0.0f, -0.5, -1, -1.5, -2, -3, -4, -6};
  for (int code = 0; code < 16; ++code) {
    EXPECT_EQ(DecodeE2m1(static_cast<uint8_t>(code)), expected[code]) << "code " << code;
    EXPECT_EQ(std::signbit(DecodeE2m1(static_cast<uint8_t>(code))), code >= 8) << code;
    // The formula of formats.md §1: E = 0 subnormal (M/2), else (1 + M/2)·2^(E−1).
    const int e = (code >> 1) & 3;
    const int m = code & 1;
    const float magnitude = e == 0 ? m * 0.5f : (1.0f + m * 0.5f) * std::ldexp(1.0f, e - 1);
    EXPECT_EQ(std::fabs(DecodeE2m1(static_cast<uint8_t>(code))), magnitude) << code;
  }
  EXPECT_EQ(DecodeE2m1(0xF7), 6.0f);  // only the low nibble is read
}

TEST(E2m1Test, EncodeBoundsTieToEvenCode) {
  // formats.md §6 step 4: 0.25→0, 0.75→1, 1.25→1, 1.75→2, 2.5→2, 3.5→4, 5→4.
  struct Case { float x; uint8_t code; };
  const Case cases[] = {{0.25f, 0x0}, {0.75f, 0x2}, {1.25f, 0x2}, {1.75f, 0x4}, {2.5f, 0x4},
                        {3.5f, 0x6}, {5.0f, 0x6}, {0.2500001f, 0x1}, {0.7499999f, 0x1},
                        {1.2500001f, 0x3}, {2.5000002f, 0x5}, {4.9999995f, 0x6},
                        {5.0000005f, 0x7}, {6.0f, 0x7}, {6.5f, 0x7}, {1e30f, 0x7},
                        {INFINITY, 0x7}, {0.1f, 0x0}, {0.0f, 0x0}, {-0.0f, 0x0},
                        {-0.1f, 0x8}, {-0.75f, 0xA}, {-3.0f, 0xD}, {-7.0f, 0xF}};
  for (const Case& c : cases) EXPECT_EQ(EncodeE2m1(c.x), c.code) << c.x;
}

TEST(E2m1Test, EncodeIsNearestOnAGrid) {
  for (int k = -1400; k <= 1400; ++k) {
    const float x = k * 0.005f + 0.0013f;  // avoids exact bounds
    const uint8_t code = EncodeE2m1(x);
    float best = INFINITY;
    for (int c = 0; c < 8; ++c) best = std::fmin(best, std::fabs(std::fabs(x) - kE2m1Values[c]));
    EXPECT_EQ(std::fabs(std::fabs(x) - std::fabs(DecodeE2m1(code))), best) << x;
    EXPECT_EQ((code & 8) != 0, x < 0) << x;
  }
}

TEST(E2m1Test, RoundTripsEveryCode) {
  for (int code = 0; code < 16; ++code) {
    if (code == 8) continue;  // −0 encodes as +0: there is no negative input that is zero
    EXPECT_EQ(EncodeE2m1(DecodeE2m1(static_cast<uint8_t>(code))), code);
  }
}

// --- E4M3 ------------------------------------------------------------------------------------

double E4m3FromFormula(int code) {
  const int sign = code >> 7;
  const int e = (code >> 3) & 0xF;
  const int m = code & 7;
  const double magnitude = e == 0 ? m / 8.0 * std::ldexp(1.0, -6) : (1 + m / 8.0) * std::ldexp(1.0, e - 7);
  return sign ? -magnitude : magnitude;
}

TEST(E4m3Test, DecodeTableMatchesFormulaAndAnchors) {
  for (int code = 0; code < 256; ++code) {
    const float value = DecodeE4m3(static_cast<uint8_t>(code));
    if ((code & 0x7F) == 0x7F) {
      EXPECT_TRUE(std::isnan(value)) << code;
      continue;
    }
    EXPECT_EQ(static_cast<double>(value), E4m3FromFormula(code)) << code;
    EXPECT_EQ(std::signbit(value), code >= 0x80) << code;
  }
  struct Anchor { uint8_t code; float value; };
  const Anchor anchors[] = {{0x00, 0.0f}, {0x01, 0.001953125f}, {0x07, 0.013671875f},
                            {0x08, 0.015625f}, {0x30, 0.5f}, {0x38, 1.0f}, {0x40, 2.0f},
                            {0x4C, 6.0f}, {0x71, 144.0f}, {0x77, 240.0f}, {0x7E, 448.0f},
                            {0xB8, -1.0f}, {0xFE, -448.0f}, {0x7C, 384.0f}, {0x3A, 1.25f},
                            {0x2A, 0.3125f}, {0xC5, -3.25f}};
  for (const Anchor& a : anchors) EXPECT_EQ(DecodeE4m3(a.code), a.value) << int{a.code};
  EXPECT_EQ(std::bit_cast<uint32_t>(DecodeE4m3(0x80)), 0x80000000u);  // −0
  int positive_finite_nonzero = 0;
  for (int code = 1; code < 0x7F; ++code) positive_finite_nonzero += DecodeE4m3(code) > 0;
  EXPECT_EQ(positive_finite_nonzero, 126);
}

TEST(E4m3Test, EncodeExamplesFromSpec) {
  EXPECT_EQ(EncodeE4m3(0.3f), 0x2A);
  EXPECT_EQ(EncodeE4m3(1.0625f), 0x38);  // tie to even
  EXPECT_EQ(EncodeE4m3(1.1875f), 0x3A);  // tie to even (up)
  EXPECT_EQ(EncodeE4m3(-3.3f), 0xC5);
  EXPECT_EQ(EncodeE4m3(0.00146484375f), 0x01);
  EXPECT_EQ(EncodeE4m3(std::ldexp(1.0f, -10)), 0x00);  // tie at 2^-10 goes to 0
  EXPECT_EQ(EncodeE4m3(std::nextafter(std::ldexp(1.0f, -10), 1.0f)), 0x01);
  EXPECT_EQ(EncodeE4m3(-std::ldexp(1.0f, -10)), 0x80);
  EXPECT_EQ(EncodeE4m3(448.0f), 0x7E);
  EXPECT_EQ(EncodeE4m3(464.0f), 0x7E);  // saturates (PyTorch's raw cast would give NaN)
  EXPECT_EQ(EncodeE4m3(1e9f), 0x7E);
  EXPECT_EQ(EncodeE4m3(-INFINITY), 0xFE);
  EXPECT_EQ(EncodeE4m3(NAN), 0x7F);
  EXPECT_EQ(EncodeE4m3(-NAN), 0xFF);
  EXPECT_EQ(EncodeE4m3(1e-30f), 0x00);
  EXPECT_EQ(EncodeE4m3(std::bit_cast<float>(1u)), 0x00);  // smallest float32 subnormal
  EXPECT_EQ(EncodeE4m3(0.015f), 0x08);  // subnormal range rounding up into the min normal
  static_assert(EncodeE4m3(384.0f) == 0x7C);
}

// Nearest non-negative E4M3 code to a ≥ 0 (already clamped to 448), ties to the even code.
int BruteForceE4m3Magnitude(double a) {
  int best = 0;
  double best_distance = INFINITY;
  for (int code = 0; code <= 0x7E; ++code) {
    const double distance = std::fabs(a - E4m3FromFormula(code));
    if (distance < best_distance || (distance == best_distance && code % 2 == 0)) {
      best = code;
      best_distance = distance;
    }
  }
  return best;
}

int BruteForceE4m3(float x) {
  const double a = std::fmin(std::fabs(static_cast<double>(x)), 448.0);
  return (std::signbit(x) ? 0x80 : 0) | BruteForceE4m3Magnitude(a);
}

TEST(E4m3Test, EncodeMatchesBruteForceAtEveryMidpointAndNeighbour) {
  std::vector<float> probes;
  for (int code = 0; code < 0x7E; ++code) {
    const double low = E4m3FromFormula(code);
    const double high = E4m3FromFormula(code + 1);
    const float mid = static_cast<float>((low + high) / 2);  // exact in float32
    ASSERT_EQ(static_cast<double>(mid), (low + high) / 2);
    for (float v : {static_cast<float>(low), mid, std::nextafter(mid, 0.0f),
                    std::nextafter(mid, 1e9f), static_cast<float>(high)}) {
      probes.push_back(v);
      probes.push_back(-v);
    }
  }
  for (float v : probes) EXPECT_EQ(EncodeE4m3(v), BruteForceE4m3(v)) << v;
}

TEST(E4m3Test, EncodeMatchesBruteForceOnRandomFloats) {
  std::mt19937 rng(1234);
  std::uniform_real_distribution<float> exponent(-14.0f, 10.0f);
  std::uniform_real_distribution<float> unit(-1.0f, 1.0f);
  for (int i = 0; i < 100000; ++i) {
    const float x = std::exp2(exponent(rng)) * (unit(rng) < 0 ? -1.0f : 1.0f);
    ASSERT_EQ(EncodeE4m3(x), BruteForceE4m3(x)) << x;
  }
}

TEST(E4m3Test, RoundTripsEveryFiniteCode) {
  for (int code = 0; code < 256; ++code) {
    if ((code & 0x7F) == 0x7F) continue;
    EXPECT_EQ(EncodeE4m3(DecodeE4m3(static_cast<uint8_t>(code))), code) << code;
  }
}

// --- UE8M0 -----------------------------------------------------------------------------------

TEST(Ue8m0Test, DecodeAndRoundUp) {
  EXPECT_EQ(DecodeUe8m0(127), 1.0f);
  EXPECT_EQ(DecodeUe8m0(120), 1.0f / 128);
  EXPECT_EQ(DecodeUe8m0(254), std::ldexp(1.0f, 127));
  EXPECT_EQ(DecodeUe8m0(1), std::ldexp(1.0f, -126));
  EXPECT_EQ(DecodeUe8m0(0), std::ldexp(1.0f, -127));
  EXPECT_TRUE(std::isnan(DecodeUe8m0(255)));
  // formats.md §7: amax 3.0 → t = 3·float32(1/448) → 2^-7.
  const float t = 3.0f * (1.0f / 448.0f);
  EXPECT_EQ(CeilLog2Exponent(t), -7);
  EXPECT_EQ(Ue8m0CeilScale(t), 1.0f / 128);
  EXPECT_EQ(EncodeUe8m0RoundUp(t), 120);
  EXPECT_EQ(Ue8m0CeilScale(0.25f), 0.25f);  // exact powers stay
  EXPECT_EQ(Ue8m0CeilScale(std::nextafter(0.25f, 1.0f)), 0.5f);
  EXPECT_EQ(Ue8m0CeilScale(std::nextafter(0.25f, 0.0f)), 0.25f);
  for (int e = -126; e <= 126; ++e) {
    const float p = std::ldexp(1.0f, e);
    EXPECT_EQ(Ue8m0CeilScale(p * 1.37f), 2 * p) << e;
    EXPECT_EQ(DecodeUe8m0(EncodeUe8m0RoundUp(p * 1.37f)), 2 * p) << e;
  }
}

// --- BF16 ------------------------------------------------------------------------------------

TEST(Bf16Test, DecodeEncodeExamples) {
  EXPECT_EQ(Bf16ToFloat(0x3F80), 1.0f);
  EXPECT_EQ(Bf16ToFloat(0xC000), -2.0f);
  EXPECT_EQ(FloatToBf16(1.0f), 0x3F80);
  EXPECT_EQ(FloatToBf16(std::bit_cast<float>(0x3F808000u)), 0x3F80);  // tie → even
  EXPECT_EQ(FloatToBf16(std::bit_cast<float>(0x3F818000u)), 0x3F82);  // tie → even (up)
  EXPECT_EQ(FloatToBf16(std::bit_cast<float>(0x3F808001u)), 0x3F81);
  EXPECT_EQ(FloatToBf16(std::bit_cast<float>(0x7F7FFFFFu)), 0x7F80);  // overflow → inf
  EXPECT_EQ(FloatToBf16(NAN), 0x7FC0);
  EXPECT_EQ(FloatToBf16(-NAN), 0xFFC0);
  EXPECT_EQ(FloatToBf16(-INFINITY), 0xFF80);
}

TEST(Bf16Test, EncodeIsNearestEvenAndRoundTrips) {
  std::mt19937 rng(7);
  for (int i = 0; i < 200000; ++i) {
    const uint32_t bits = rng() & 0xFFFFFFFFu;
    const float x = std::bit_cast<float>(bits);
    if (!std::isfinite(x)) continue;
    const uint16_t bf = FloatToBf16(x);
    // Candidates: truncation and the next BF16 away from zero (2^128 when that is inf).
    const uint16_t truncated = static_cast<uint16_t>(bits >> 16);
    const uint16_t next = static_cast<uint16_t>(truncated + 1);
    const double magnitude = std::fabs(static_cast<double>(x));
    const double down = std::fabs(static_cast<double>(Bf16ToFloat(truncated)));
    const double up = (next & 0x7FFF) == 0x7F80 ? std::ldexp(1.0, 128)
                                                : std::fabs(static_cast<double>(Bf16ToFloat(next)));
    const double d_down = magnitude - down;
    const double d_up = up - magnitude;
    const uint16_t expected =
        d_down < d_up || (d_down == d_up && (truncated & 1) == 0) ? truncated : next;
    ASSERT_EQ(bf, expected) << std::hex << bits;
  }
  for (uint32_t h = 0; h < 0x10000; ++h) {
    const float x = Bf16ToFloat(static_cast<uint16_t>(h));
    if (std::isnan(x)) continue;
    ASSERT_EQ(FloatToBf16(x), h);
  }
}

// --- F16 -------------------------------------------------------------------------------------

TEST(F16Test, DecodeExamples) {
  EXPECT_EQ(F16ToFloat(0x3C00), 1.0f);
  EXPECT_EQ(F16ToFloat(0xC000), -2.0f);
  EXPECT_EQ(F16ToFloat(0x7BFF), 65504.0f);
  EXPECT_EQ(F16ToFloat(0x0001), std::ldexp(1.0f, -24));
  EXPECT_EQ(F16ToFloat(0x0400), std::ldexp(1.0f, -14));
  EXPECT_EQ(F16ToFloat(0x7C00), INFINITY);
  EXPECT_TRUE(std::isnan(F16ToFloat(0x7E00)));
  EXPECT_EQ(FloatToF16(65504.0f), 0x7BFF);
  EXPECT_EQ(FloatToF16(65520.0f), 0x7C00);  // halfway to 65536 → even → inf
  EXPECT_EQ(FloatToF16(std::nextafter(65520.0f, 0.0f)), 0x7BFF);
  EXPECT_EQ(FloatToF16(std::ldexp(1.0f, -25)), 0x0000);  // tie → even (0)
  EXPECT_EQ(FloatToF16(std::ldexp(1.5f, -25)), 0x0001);
  EXPECT_EQ(FloatToF16(-std::ldexp(3.0f, -25)), 0x8002);  // 1.5 ulp → even (2)
  EXPECT_EQ(FloatToF16(1.0f + std::ldexp(1.0f, -11)), 0x3C00);  // tie → even
  EXPECT_EQ(FloatToF16(NAN) & 0x7E00, 0x7E00);
}

#if defined(__FLT16_MAX__)
// The compiler's _Float16 conversions (libgcc / F16C, IEEE RNE) are an independent reference.
TEST(F16Test, MatchesCompilerFloat16) {
  for (uint32_t h = 0; h < 0x10000; ++h) {
    const float expected = static_cast<float>(std::bit_cast<_Float16>(static_cast<uint16_t>(h)));
    const float got = F16ToFloat(static_cast<uint16_t>(h));
    if (std::isnan(expected)) {
      ASSERT_TRUE(std::isnan(got)) << h;
      continue;
    }
    ASSERT_EQ(std::bit_cast<uint32_t>(got), std::bit_cast<uint32_t>(expected)) << h;
    ASSERT_EQ(FloatToF16(got), h) << h;
  }
  std::mt19937 rng(99);
  for (int i = 0; i < 300000; ++i) {
    // Focus on the F16 range (exponents −30..17) with random mantissas, incl. exact ties.
    uint32_t bits = ((rng() % 48 + 97) << 23) | (rng() & 0x7FFFFF);
    if (i % 3 == 0) bits &= ~0xFFFu;  // many exact halfway / representable cases
    bits |= (rng() & 1u) << 31;
    const float x = std::bit_cast<float>(bits);
    const uint16_t expected = std::bit_cast<uint16_t>(static_cast<_Float16>(x));
    ASSERT_EQ(FloatToF16(x), expected) << std::hex << bits;
  }
}
#endif

}  // namespace
}  // namespace dsc::numerics
