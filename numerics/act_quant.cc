// The official act_quant: per-block amax → (power-of-two) scale → saturating E4M3 codes.
#include "numerics/act_quant.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "absl/strings/str_cat.h"
#include "numerics/scalar_formats.h"
#include "numerics/x86_intrinsics.h"

namespace dsc::numerics {
namespace {

absl::Status CheckBlocking(int64_t count, int64_t block_size) {
  if (count < 0 || block_size <= 0 || count % block_size != 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "act_quant: ", count, " values do not split into blocks of ", block_size));
  }
  return absl::OkStatus();
}

}  // namespace

float ActQuantScale(float amax, ActScaleFormat format) {
  // A multiply by the float32 reciprocal, not a division (the official kernel's order).
  constexpr float kInverseE4m3Max = 1.0f / kE4m3Max;
  const float t = amax * kInverseE4m3Max;
  return format == ActScaleFormat::kUe8m0 ? Ue8m0CeilScale(t) : t;
}

float ActQuantBlockScale(const float* x, int64_t count, ActScaleFormat format) {
  float amax = 0.0f;
  for (int64_t j = 0; j < count; ++j) amax = std::max(amax, std::fabs(x[j]));
  return ActQuantScale(std::max(amax, kActQuantAmaxFloor), format);
}

void ActQuantBlock(const float* x, int64_t count, ActScaleFormat format, uint8_t* codes,
                   float* scale) {
  const float s = ActQuantBlockScale(x, count, format);
  for (int64_t j = 0; j < count; ++j) {
    codes[j] = EncodeE4m3(std::clamp(x[j] / s, -kE4m3Max, kE4m3Max));
  }
  *scale = s;
}

absl::Status ActQuant(const float* x, int64_t count, int64_t block_size, ActScaleFormat format,
                      uint8_t* codes, float* scales) {
  if (absl::Status status = CheckBlocking(count, block_size); !status.ok()) return status;
  for (int64_t b = 0; b < count / block_size; ++b) {
    ActQuantBlock(x + b * block_size, block_size, format, codes + b * block_size, &scales[b]);
  }
  return absl::OkStatus();
}

namespace {

// The round trip of one block with scale s, 16 values per vector, bit for bit the scalar
// DecodeE4m3(EncodeE4m3(clamp(x / s, ±448))) · s (the scalar loop cost ~8 ns per value: a
// decode step's indexer queries, 2048 per layer, took 17 µs). After the clamp |v| <= 448 or v
// is NaN: from 2^-6 up, E4M3 keeps 3 mantissa bits (the same round-to-nearest-even bit trick
// as EncodeE4m3, a carry bumping the exponent); below, multiples of 2^-9, i.e. rint(v·2^9)·2^-9
// (ties to even; ±0 and float32 subnormals stay signed zeros); NaN decodes to the quiet NaN.
__attribute__((target("avx512f"))) void RoundTripBlockAvx512(float* x, int64_t n, float s) {
  const __m512 scale = _mm512_set1_ps(s), lo = _mm512_set1_ps(-kE4m3Max), hi = _mm512_set1_ps(kE4m3Max);
  const __m512 nan = _mm512_set1_ps(DecodeE4m3(EncodeE4m3(std::numeric_limits<float>::quiet_NaN())));
  const __m512i magnitude_mask = _mm512_set1_epi32(0x7FFFFFFF), min_normal = _mm512_set1_epi32(0x3C800000);
  for (int64_t j = 0; j < n; j += 16) {
    const __mmask16 lanes = n - j >= 16 ? __mmask16{0xFFFF} : static_cast<__mmask16>((1u << (n - j)) - 1);
    __m512 v = _mm512_div_ps(_mm512_maskz_loadu_ps(lanes, x + j), scale);
    v = _mm512_mask_blend_ps(_mm512_cmp_ps_mask(v, lo, _CMP_LT_OQ), v, lo);
    v = _mm512_mask_blend_ps(_mm512_cmp_ps_mask(hi, v, _CMP_LT_OQ), v, hi);
    const __m512i bits = _mm512_castps_si512(v);
    const __m512i magnitude = _mm512_and_si512(bits, magnitude_mask);
    const __m512i rounded = _mm512_add_epi32(
        _mm512_add_epi32(magnitude, _mm512_set1_epi32(0x7FFFF)),
        _mm512_and_si512(_mm512_srli_epi32(magnitude, 20), _mm512_set1_epi32(1)));
    const __m512 normal = _mm512_castsi512_ps(_mm512_or_si512(
        _mm512_and_si512(rounded, _mm512_set1_epi32(static_cast<int>(0xFFF00000u))),
        _mm512_andnot_si512(magnitude_mask, bits)));
    const __m512 subnormal = _mm512_mul_ps(
        _mm512_roundscale_ps(_mm512_mul_ps(v, _mm512_set1_ps(512.0f)), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC),
        _mm512_set1_ps(1.0f / 512.0f));
    __m512 e4m3 = _mm512_mask_blend_ps(_mm512_cmp_epi32_mask(magnitude, min_normal, _MM_CMPINT_NLT), subnormal, normal);
    e4m3 = _mm512_mask_blend_ps(_mm512_cmp_ps_mask(v, v, _CMP_UNORD_Q), e4m3, nan);
    _mm512_mask_storeu_ps(x + j, lanes, _mm512_mul_ps(e4m3, scale));
  }
}

}  // namespace

absl::Status ActQuantRoundTrip(float* x, int64_t count, int64_t block_size,
                               ActScaleFormat format) {
  if (absl::Status status = CheckBlocking(count, block_size); !status.ok()) return status;
  static const bool avx512 = __builtin_cpu_supports("avx512f");
  for (int64_t b = 0; b < count / block_size; ++b) {
    float* block = x + b * block_size;
    const float s = ActQuantBlockScale(block, block_size, format);
    if (avx512) {
      RoundTripBlockAvx512(block, block_size, s);
      continue;
    }
    for (int64_t j = 0; j < block_size; ++j) {
      block[j] = DecodeE4m3(EncodeE4m3(std::clamp(block[j] / s, -kE4m3Max, kE4m3Max))) * s;
    }
  }
  return absl::OkStatus();
}

}  // namespace dsc::numerics
