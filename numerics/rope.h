// Rotary position embedding with YaRN (model.md §5) and the attention softmax scale (§6),
// evaluated in float32 in the order the official code uses.
#ifndef DSC_NUMERICS_ROPE_H_
#define DSC_NUMERICS_ROPE_H_

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"

namespace dsc::numerics {

// YaRN is applied iff the cache capacity exceeds the original context (model.md §5).
constexpr bool YarnActive(int64_t max_seq_len, int64_t original_seq_len) {
  return max_seq_len > original_seq_len;
}

// The rope_dim/2 frequencies freq'_i (float32): freq_i = 1/θ^(2i/d_r), blended towards
// freq_i/factor with the YaRN ramp between corr(beta_fast) and corr(beta_slow) when
// YarnActive(max_seq_len, original_seq_len); the plain freq_i otherwise. InvalidArgument if
// rope_dim is not a positive even number, theta ≤ 1, factor ≤ 0 or original_seq_len ≤ 0.
absl::StatusOr<std::vector<float>> YarnFrequencies(int64_t rope_dim, double theta, double factor,
                                                   int64_t original_seq_len, double beta_fast,
                                                   double beta_slow, int64_t max_seq_len);

// φ(p, i) = float32(p · freq'_i), the product rounded once (torch's float32 outer product).
inline float RopeAngle(int64_t pos, float freq) { return static_cast<float>(pos) * freq; }

// cos φ and sin φ of position `pos` for `count` frequencies, each correctly rounded to
// float32 (computed in double).
void RopeCosSin(int64_t pos, const float* freqs, int64_t count, float* cos_out, float* sin_out);

// Rotates x[0, dim) in place with precomputed cos/sin of dim/2 angles:
//   interleaved (MLA, R1 indexer): pairs (x[2i], x[2i+1]);
//   half-split (R2 indexer):       pairs (x[i], x[i + dim/2]), layout kept.
// x'_a = a·cos − b·sin, x'_b = a·sin + b·cos in float32.
void ApplyRopeWithCosSin(float* x, int64_t dim, const float* cos_values, const float* sin_values,
                         bool interleaved);

// The same, computing cos/sin of position `pos` from the dim/2 frequencies.
void ApplyRope(float* x, int64_t dim, int64_t pos, const float* freqs, bool interleaved);

// τ = qk_head_dim^(−1/2), times mscale'² with mscale' = 0.1·mscale·ln(rope_factor) + 1 when
// YaRN is active (model.md §6). Evaluated in double like the official code, then rounded.
float AttentionSoftmaxScale(int64_t qk_head_dim, double rope_factor, double mscale,
                            bool yarn_active);

}  // namespace dsc::numerics

#endif  // DSC_NUMERICS_ROPE_H_
