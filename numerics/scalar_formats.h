// Bit-exact scalar number formats of formats.md §1–§5: E2M1, E4M3 ("fn"), UE8M0, BF16 and
// F16, as constexpr decode tables and round-to-nearest-even encoders.
#ifndef DSC_NUMERICS_SCALAR_FORMATS_H_
#define DSC_NUMERICS_SCALAR_FORMATS_H_

#include <array>
#include <bit>
#include <cstdint>
#include <limits>

namespace dsc::numerics {

// ---------------------------------------------------------------------------------------------
// E2M1 (FP4): 4 bits S E1 E0 M, max ±6, no NaN/inf. Code bit 3 is the sign.

inline constexpr std::array<float, 16> kE2m1Values = {
    0.0f,  0.5f,  1.0f,  1.5f,  2.0f,  3.0f,  4.0f,  6.0f,
    -0.0f, -0.5f, -1.0f, -1.5f, -2.0f, -3.0f, -4.0f, -6.0f};

inline constexpr float kE2m1Max = 6.0f;

// Only the low 4 bits of `code` are read.
constexpr float DecodeE2m1(uint8_t code) { return kE2m1Values[code & 0xF]; }

// Nearest E2M1 magnitude code (0..7) of |x|, ties to the even code (formats.md §6 step 4):
// bounds 0.25, 0.75, 1.25, 1.75, 2.5, 3.5, 5; a value on a bound goes to the even code;
// anything above 5 (incl. > 6 and +inf) saturates to 6. Branch-free (a sum of comparisons,
// `>` where the tie goes down, `>=` where it goes up), because weights are random and a
// comparison chain mispredicts. NaN is not a valid input (gives 0).
constexpr uint8_t EncodeE2m1Magnitude(float magnitude) {
  return static_cast<uint8_t>((magnitude > 0.25f) + (magnitude >= 0.75f) +
                              (magnitude > 1.25f) + (magnitude >= 1.75f) + (magnitude > 2.5f) +
                              (magnitude >= 3.5f) + (magnitude > 5.0f));
}

// Signed E2M1 code of x. The sign bit is set for every negative input, even when it rounds
// to zero (ModelOpt behaviour); -0.0 and +0.0 both give code 0.
constexpr uint8_t EncodeE2m1(float x) {
  const bool negative = x < 0.0f;
  return static_cast<uint8_t>((negative ? 8 : 0) | EncodeE2m1Magnitude(negative ? -x : x));
}

// ---------------------------------------------------------------------------------------------
// E4M3 "fn": 8 bits S EEEE MMM, bias 7, max ±448, NaN = 0x7F / 0xFF, no infinities.

inline constexpr float kE4m3Max = 448.0f;
inline constexpr uint8_t kE4m3MaxCode = 0x7E;  // +448
inline constexpr uint8_t kE4m3NanCode = 0x7F;

namespace internal {
constexpr float DecodeE4m3Bits(uint8_t code) {
  const uint32_t sign = static_cast<uint32_t>(code >> 7) << 31;
  const uint32_t exponent = (code >> 3) & 0xF;
  const uint32_t mantissa = code & 0x7;
  if (exponent == 0xF && mantissa == 0x7) return std::numeric_limits<float>::quiet_NaN();
  if (exponent == 0) {
    // Subnormal: ±M·2^-9, exact in float32.
    const float magnitude = static_cast<float>(mantissa) * (1.0f / 512.0f);
    return sign ? -magnitude : magnitude;
  }
  return std::bit_cast<float>(sign | ((exponent + 120) << 23) | (mantissa << 20));
}

constexpr std::array<float, 256> MakeE4m3Table() {
  std::array<float, 256> table{};
  for (int code = 0; code < 256; ++code) table[code] = DecodeE4m3Bits(static_cast<uint8_t>(code));
  return table;
}
}  // namespace internal

// All 256 E4M3 values (NaN at 0x7F and 0xFF).
inline constexpr std::array<float, 256> kE4m3Values = internal::MakeE4m3Table();

constexpr float DecodeE4m3(uint8_t code) { return kE4m3Values[code]; }

// float32 → E4M3 with round-to-nearest-even, saturating: |x| is clamped to 448 before
// rounding (what every producer of this model does, formats.md §2), so ±inf → ±448.
// Subnormals round to multiples of 2^-9; |x| ≤ 2^-10 → ±0. NaN → 0x7F (0xFF if the NaN's sign
// bit is set). The sign of zero results is kept (−0.0001 → 0x80).
constexpr uint8_t EncodeE4m3(float x) {
  const uint32_t bits = std::bit_cast<uint32_t>(x);
  const uint8_t sign = static_cast<uint8_t>((bits >> 31) << 7);
  const uint32_t magnitude_bits = bits & 0x7FFFFFFFu;
  if (magnitude_bits > 0x7F800000u) return sign | kE4m3NanCode;
  if (magnitude_bits >= 0x43E00000u) return sign | kE4m3MaxCode;  // |x| ≥ 448 (incl. inf)
  const int32_t exponent = static_cast<int32_t>(magnitude_bits >> 23) - 127;
  if (exponent >= -6) {
    // Normal E4M3: drop 20 mantissa bits with RNE; a carry correctly bumps the exponent.
    const uint32_t rounded = magnitude_bits + 0x7FFFFu + ((magnitude_bits >> 20) & 1u);
    const uint32_t e4m3_exponent = (rounded >> 23) - 120;
    return sign | static_cast<uint8_t>((e4m3_exponent << 3) | ((rounded >> 20) & 0x7u));
  }
  // Subnormal E4M3: value = m·2^(exponent-23) with the implicit bit; code = RNE(value·2^9).
  if (exponent < -11) return sign;  // < 2^-11 < 2^-10: rounds to zero (float32 subnormals too)
  const uint32_t significand = (magnitude_bits & 0x7FFFFFu) | 0x800000u;
  const uint32_t shift = static_cast<uint32_t>(14 - exponent);  // 21..25
  uint32_t quotient = significand >> shift;
  const uint32_t remainder = significand & ((1u << shift) - 1u);
  const uint32_t half = 1u << (shift - 1);
  if (remainder > half || (remainder == half && (quotient & 1u))) ++quotient;
  return sign | static_cast<uint8_t>(quotient);  // quotient 8 is 0x08 = 2^-6, the min normal
}

// ---------------------------------------------------------------------------------------------
// UE8M0: unsigned biased exponent, value 2^(e-127), 0xFF = NaN, no zero.

constexpr float DecodeUe8m0(uint8_t code) {
  if (code == 0xFF) return std::numeric_limits<float>::quiet_NaN();
  if (code == 0) return std::bit_cast<float>(0x00400000u);  // 2^-127, a float32 subnormal
  return std::bit_cast<float>(static_cast<uint32_t>(code) << 23);
}

// The exponent e of the smallest power of two 2^e ≥ t, computed from the bits of t exactly as
// the official kernel does (formats.md §7 step 3): biased_exponent(t) − 127, plus one if any
// mantissa bit is set. Meaningful for finite t > 0 (float32 subnormals give e = −126).
constexpr int32_t CeilLog2Exponent(float t) {
  const uint32_t bits = std::bit_cast<uint32_t>(t);
  const int32_t biased = static_cast<int32_t>((bits >> 23) & 0xFF);
  return biased - 127 + ((bits & 0x7FFFFFu) != 0 ? 1 : 0);
}

// UE8M0 code of the power-of-two scale that rounds t > 0 UP (scale_fmt "ue8m0"). Results
// outside the code range are clamped to 0x01 / 0xFE.
constexpr uint8_t EncodeUe8m0RoundUp(float t) {
  const int32_t code = CeilLog2Exponent(t) + 127;
  return static_cast<uint8_t>(code < 1 ? 1 : (code > 0xFE ? 0xFE : code));
}

// 2^ceil(log2 t) as float32 for finite normal t > 0: the activation-quantization scale of
// scale_fmt "ue8m0". Exact: built from the exponent bits.
constexpr float Ue8m0CeilScale(float t) {
  const int32_t e = CeilLog2Exponent(t);
  return std::bit_cast<float>(static_cast<uint32_t>(e + 127) << 23);
}

// ---------------------------------------------------------------------------------------------
// BF16: the upper half of a float32.

constexpr float Bf16ToFloat(uint16_t bits) {
  return std::bit_cast<float>(static_cast<uint32_t>(bits) << 16);
}

// PyTorch's rounding: NaN → 0x7FC0 with the sign kept; otherwise round to nearest even
// (overflow becomes ±inf).
constexpr uint16_t FloatToBf16(float x) {
  uint32_t bits = std::bit_cast<uint32_t>(x);
  if ((bits & 0x7FFFFFFFu) > 0x7F800000u) {
    return static_cast<uint16_t>(((bits >> 16) & 0x8000u) | 0x7FC0u);
  }
  bits += 0x7FFFu + ((bits >> 16) & 1u);
  return static_cast<uint16_t>(bits >> 16);
}

// ---------------------------------------------------------------------------------------------
// F16 (IEEE binary16), by bit manipulation so that it is constexpr and compiler-independent.

// Exact widening (subnormals, infinities, NaN payloads kept).
constexpr float F16ToFloat(uint16_t half) {
  const uint32_t sign = static_cast<uint32_t>(half & 0x8000u) << 16;
  const uint32_t exponent = (half >> 10) & 0x1F;
  const uint32_t mantissa = half & 0x3FFu;
  if (exponent == 0x1F) return std::bit_cast<float>(sign | 0x7F800000u | (mantissa << 13));
  if (exponent != 0) return std::bit_cast<float>(sign | ((exponent + 112) << 23) | (mantissa << 13));
  // Subnormal (or zero): mantissa·2^-24 is exact in float32.
  const float magnitude = static_cast<float>(mantissa) * (1.0f / 16777216.0f);
  return sign ? -magnitude : magnitude;
}

// IEEE round-to-nearest-even narrowing: overflow → ±inf, NaN stays NaN (quiet, sign and top
// payload bits kept), float32 values below half the smallest subnormal → ±0.
constexpr uint16_t FloatToF16(float x) {
  const uint32_t bits = std::bit_cast<uint32_t>(x);
  const uint16_t sign = static_cast<uint16_t>((bits >> 16) & 0x8000u);
  const uint32_t magnitude_bits = bits & 0x7FFFFFFFu;
  if (magnitude_bits > 0x7F800000u) {
    return static_cast<uint16_t>(sign | 0x7E00u | ((magnitude_bits >> 13) & 0x3FFu));
  }
  const int32_t exponent = static_cast<int32_t>(magnitude_bits >> 23) - 127;
  if (exponent >= 16) return sign | 0x7C00u;  // ≥ 65536 (incl. inf): overflow
  if (exponent >= -14) {
    // Normal F16: drop 13 mantissa bits with RNE; a carry may bump into inf, as it should.
    const uint32_t rounded = magnitude_bits + 0xFFFu + ((magnitude_bits >> 13) & 1u);
    const uint32_t f16_bits = (((rounded >> 23) - 112) << 10) | ((rounded >> 13) & 0x3FFu);
    return static_cast<uint16_t>(sign | (f16_bits >= 0x7C00u ? 0x7C00u : f16_bits));
  }
  // Subnormal F16: code = RNE(value·2^24).
  if (exponent < -25) return sign;  // < 2^-25 = half the smallest subnormal
  const uint32_t significand = (magnitude_bits & 0x7FFFFFu) | 0x800000u;
  const uint32_t shift = static_cast<uint32_t>(-1 - exponent);  // value·2^24 = sig·2^(e+1)
  uint32_t quotient = significand >> shift;
  const uint32_t remainder = significand & ((1u << shift) - 1u);
  const uint32_t half = 1u << (shift - 1);
  if (remainder > half || (remainder == half && (quotient & 1u))) ++quotient;
  return static_cast<uint16_t>(sign | quotient);
}

}  // namespace dsc::numerics

#endif  // DSC_NUMERICS_SCALAR_FORMATS_H_
