// Reference rotary embedding over token × head arrays (model.md §5); the per-vector math and
// the YaRN frequencies come from numerics/rope.h.
#ifndef DSC_RUNTIME_INTERP_KERNELS_ROPE_H_
#define DSC_RUNTIME_INTERP_KERNELS_ROPE_H_

#include <cstdint>

namespace dsc::runtime::ref {

// Pairing of the rotated dimensions: interleaved (2i, 2i+1) for the MLA q_pe/k_pe and the R1
// indexer; half-split (i, i + d_r/2) for the R2 indexer (model.md §0 row 1).
enum class RopeLayout { kInterleaved, kHalfSplit };

// Rotates, in place, the slice [offset, offset + rope_dim) of every head of
// x [tokens, heads, head_dim] by the angles of position positions[token]:
// φ_i = float32(p · freqs[i]) for the rope_dim/2 YaRN frequencies (numerics::YarnFrequencies).
void ApplyRope(float* x, int64_t tokens, int64_t heads, int64_t head_dim, int64_t offset,
               int64_t rope_dim, const int64_t* positions, const float* freqs, RopeLayout layout);

}  // namespace dsc::runtime::ref

#endif  // DSC_RUNTIME_INTERP_KERNELS_ROPE_H_
