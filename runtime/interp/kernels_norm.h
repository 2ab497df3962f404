// Reference normalizations: RMSNorm, the fused residual-add RMSNorm and LayerNorm (model.md §4,
// §8).
#ifndef DSC_RUNTIME_INTERP_KERNELS_NORM_H_
#define DSC_RUNTIME_INTERP_KERNELS_NORM_H_

#include <cstdint>

namespace dsc::runtime::ref {

// y[r] = (x[r] · rsqrt(mean_j x[r, j]² + eps)) ⊙ w for each of `rows` rows of length `dim`.
// In-place (y == x) is allowed.
void RmsNorm(const float* x, const float* w, int64_t rows, int64_t dim, float eps, float* y);

// Fused residual variant RMSNorm(x, r): residual ← x + residual, then y = RmsNorm(residual).
// `y` may alias `x` but not `residual`.
void AddRmsNorm(const float* x, float* residual, const float* w, int64_t rows, int64_t dim,
                float eps, float* y);

// y[r] = (x[r] − μ) / sqrt(σ² + eps) ⊙ gamma + beta with the biased variance σ² (torch
// F.layer_norm). In-place (y == x) is allowed.
void LayerNorm(const float* x, const float* gamma, const float* beta, int64_t rows, int64_t dim,
               float eps, float* y);

}  // namespace dsc::runtime::ref

#endif  // DSC_RUNTIME_INTERP_KERNELS_NORM_H_
