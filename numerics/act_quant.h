// The official activation quantizer `act_quant(x, 128, scale_fmt)` (formats.md §7, model.md
// §7 step 4 and §8 step 4): per 128-block E4M3 codes with a float32 (optionally power-of-two)
// scale, and its quantize→dequantize round trip.
#ifndef DSC_NUMERICS_ACT_QUANT_H_
#define DSC_NUMERICS_ACT_QUANT_H_

#include <cstdint>

#include "absl/status/status.h"

namespace dsc::numerics {

inline constexpr int64_t kActQuantBlockSize = 128;
// Block amax floor, so an all-zero block still gets a finite scale.
inline constexpr float kActQuantAmaxFloor = 1e-4f;

enum class ActScaleFormat {
  kPlain,  // scale_fmt None: s = amax · float32(1/448)
  kUe8m0,  // scale_fmt "ue8m0": s = 2^ceil(log2(amax · float32(1/448)))
};

// Scale of a block whose floored amax (already max(amax, 1e-4)) is `amax`: steps 2–3.
float ActQuantScale(float amax, ActScaleFormat format);

// Steps 1–3 for one block of `count` values: the scale from max(amax, 1e-4).
float ActQuantBlockScale(const float* x, int64_t count, ActScaleFormat format);

// Quantizes one block of `count` values (count is normally 128): *scale = s and
// codes[j] = e4m3(clamp(x[j] / s, ±448)). Steps 1–4 of formats.md §7.
void ActQuantBlock(const float* x, int64_t count, ActScaleFormat format, uint8_t* codes,
                   float* scale);

// Quantizes `count` values as consecutive blocks of `block_size`: codes[count],
// scales[count / block_size]. InvalidArgument unless block_size > 0 and divides count.
absl::Status ActQuant(const float* x, int64_t count, int64_t block_size, ActScaleFormat format,
                      uint8_t* codes, float* scales);

// In place: x[j] ← e4m3(clamp(x[j]/s, ±448)) · s per block (dequant(act_quant(x))), e.g. the
// KV-latent simulation of model.md §7 step 4. Same requirements as ActQuant.
absl::Status ActQuantRoundTrip(float* x, int64_t count, int64_t block_size,
                               ActScaleFormat format);

}  // namespace dsc::numerics

#endif  // DSC_NUMERICS_ACT_QUANT_H_
