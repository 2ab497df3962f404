// Reference DSA lightning-indexer kernels (model.md §8): Hadamard + FP8 quantization of the
// indexer queries/keys, the index score over the cached keys, and the top-k key selection.
#ifndef DSC_RUNTIME_INTERP_KERNELS_INDEXER_H_
#define DSC_RUNTIME_INTERP_KERNELS_INDEXER_H_

#include <cstdint>

#include "absl/status/status.h"

namespace dsc::runtime::ref {

// §8 steps 3–4 for `vectors` vectors of length dim (= index_head_dim = 128, one quantization
// block each): x is Hadamard-rotated IN PLACE (orthonormal, numerics::HadamardTransform), then
// quantized with a power-of-two (ue8m0) scale: scales[v] = s, codes[v, j] =
// e4m3(clamp(x[v, j] / s, ±448)) (numerics::ActQuantBlock). InvalidArgument if dim is not a
// power of two.
absl::Status IndexerQuantize(float* x, int64_t vectors, int64_t dim, uint8_t* codes, float* scales);

// §8 steps 5–7, the official fp8_index: for query rows s < S and keys t < end_pos,
//   I[s,t] = k_scales[t] · Σ_h relu(q8[s,h] · k8[t]) · w'[s,h],
//   w'[s,h] = head_weights[s,h] · H^(−1/2) · q_scales[s,h] · dim^(−1/2),
// with E4M3-decoded codes (products exact) and float32 sums; I[s,t] = −inf for t > positions[s]
// (causal, which also covers the §7.7 chunk rule). q_codes [S, H, dim], q_scales [S, H],
// head_weights [S, H] = a · W_wᵀ (weights_proj output, unscaled), k_codes [end_pos, dim],
// k_scales [end_pos], positions [S]; writes scores [S, end_pos].
void IndexScores(const uint8_t* q_codes, const float* q_scales, const float* head_weights,
                 const uint8_t* k_codes, const float* k_scales, const int64_t* positions, int64_t s,
                 int64_t n_heads, int64_t dim, int64_t end_pos, float* scores);

// §8 step 8 per row of scores [rows, n]: the positions of the min(k, #finite) largest finite
// scores (ties → lower position, −inf = masked), written in increasing position order to
// out [rows, k] and padded with −1. Equals the official top-k restricted to causal keys.
void TopKIndices(const float* scores, int64_t rows, int64_t n, int64_t k, int32_t* out);

// sparse_topk_mask (§7.6, §8.8) per row of scores [rows, n]: y = 0 at the min(k, n) largest
// scores, −inf elsewhere, in the strict total order "larger score first, then lower position"
// (so the set is unique; −inf scores take part like any value). y must not overlap scores.
void TopkMask(const float* scores, int64_t rows, int64_t n, int64_t k, float* y);

}  // namespace dsc::runtime::ref

#endif  // DSC_RUNTIME_INTERP_KERNELS_INDEXER_H_
