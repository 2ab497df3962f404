// The official act_quant: per-block amax → (power-of-two) scale → saturating E4M3 codes.
#include "numerics/act_quant.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "numerics/scalar_formats.h"

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

absl::Status ActQuantRoundTrip(float* x, int64_t count, int64_t block_size,
                               ActScaleFormat format) {
  if (absl::Status status = CheckBlocking(count, block_size); !status.ok()) return status;
  for (int64_t b = 0; b < count / block_size; ++b) {
    float* block = x + b * block_size;
    const float s = ActQuantBlockScale(block, block_size, format);
    for (int64_t j = 0; j < block_size; ++j) {
      block[j] = DecodeE4m3(EncodeE4m3(std::clamp(block[j] / s, -kE4m3Max, kE4m3Max))) * s;
    }
  }
  return absl::OkStatus();
}

}  // namespace dsc::numerics
