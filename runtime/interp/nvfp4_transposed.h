// Transposed product with an NVFP4 matrix read in place: y = Wᵀ x for W [rows, cols] stored
// row-major as the checkpoint has it (codes cols/2 bytes per row, E4M3 block scales cols/16
// per row, a per-tensor scale). MLA's q̃ = W_UKᵀ q_nope is such a product: W_UK's rows are the
// head dimension, its columns the latent rank (model.md §7b).
#ifndef DSC_RUNTIME_INTERP_NVFP4_TRANSPOSED_H_
#define DSC_RUNTIME_INTERP_NVFP4_TRANSPOSED_H_

#include <cstdint>

namespace dsc::runtime {

// y[c] = global · Σ_j (e2m1 · e4m3)[j][c] · x[j] over rows j in [0, rows), c in [0, cols);
// cols a multiple of 16. codes/scales point at row 0; rows follow each other (cols/2 and
// cols/16 bytes apart). Each y[c] sums over j in increasing order in float32 (fused
// multiply-adds where the CPU has them): it differs from the dequantize-then-multiply reference
// only in roundings. next_codes / next_scales (optional): row 0 of the product that runs next
// with the same rows and cols (MLA's next head), whose first rows are prefetched as this one
// ends, so that a sequence of products streams as one. portable_only: skip the AVX-512 code
// (tests compare the two paths on an AVX-512 host).
void Nvfp4TransposedProduct(const uint8_t* codes, const uint8_t* scales, float global, int64_t rows, int64_t cols,
                            const float* x, float* y, const uint8_t* next_codes = nullptr,
                            const uint8_t* next_scales = nullptr, bool portable_only = false);

}  // namespace dsc::runtime

#endif  // DSC_RUNTIME_INTERP_NVFP4_TRANSPOSED_H_
