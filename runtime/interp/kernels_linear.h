// Reference dense linear layer y = x · Wᵀ on float32 row-major arrays (model.md §1 "Linear").
#ifndef DSC_RUNTIME_INTERP_KERNELS_LINEAR_H_
#define DSC_RUNTIME_INTERP_KERNELS_LINEAR_H_

#include <cstdint>

namespace dsc::runtime::ref {

// y[i, j] = Σ_k x[i, k] · w[j, k] for x [m, k], w [n, k] (PyTorch/checkpoint [out, in] layout),
// y [m, n]. Weights arrive already dequantized to float32. Float32 accumulation (a oneDNN f32
// matmul, fpmath strict); the result matches FP32-REF up to summation order (~1e-6 relative).
// `y` must not alias `x` or `w`. Sizes of 0 are allowed (nothing is written if m or n is 0).
void Linear(const float* x, const float* w, int64_t m, int64_t k, int64_t n, float* y);

}  // namespace dsc::runtime::ref

#endif  // DSC_RUNTIME_INTERP_KERNELS_LINEAR_H_
